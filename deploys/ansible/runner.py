"""Existing Ansible playbooks, run through ansible-runner against provnet's inventory.

The inventory is provnet's own, given to ``ansible_runner.run`` as a dict (the groups and
host variables ``provnet inventory export --format ansible`` writes). Secrets reach Ansible
only as environment variables that the host variables look up (``{{ lookup('env', ...) }}``):
``suppress_env_files`` keeps them out of the private data directory, and the one artifact
ansible-runner writes the environment into (``command``) is scrubbed when the run ends.
Every event goes to a callback (the live view) and to the JSON-lines journal the network
changes and server deploys write; the end is the per-host summary AWX shows.

Exit codes (ansible-playbook's own 2 and 4 would collide with provnet's 2, bad input):
0 every host ok; 1 a task failed on some host; 4 some host unreachable and none failed;
3 Ansible itself failed before any host ran (its message says why); 2 bad input.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploys.errors import DeployError
from deploys.network.changes.ipv6_migration import CHANGE as IPV6_MIGRATION
from deploys.network.context import ChangeDataError
from deploys.network.journal import Journal
from deploys.servers.levels import thresholds
from inventory.errors import SecretUnavailable
from inventory.export import ansible as ansible_inventory
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.model import SecretRef
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_UNREACHABLE",
    "AnsibleError",
    "AnsibleUnavailable",
    "HostSummary",
    "PlaybookResult",
    "build_inventory",
    "exit_code",
    "parse_extra_vars",
    "run_playbook",
]

EXIT_FAILED = 1
EXIT_INTERNAL = 3
EXIT_UNREACHABLE = 4
INSTALL_HINT = "pip install 'provnet[ansible]' (or: ./dev setup)"
SECRET_ENV_PREFIX = "PROVNET_ANSIBLE_SECRET_"
_SECRET_REFS = {
    "provnet_secret_ref": "ansible_password",
    "provnet_enable_secret_ref": "ansible_become_password",
}
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FQCN_RE = re.compile(r"^\s*-?\s*([a-z0-9_]+)\.([a-z0-9_]+)\.[a-z0-9_]+:", re.MULTILINE)


class AnsibleError(DeployError):
    """Bad input for an Ansible run (exit 2): the playbook, ``-e``, the selection."""


class AnsibleUnavailable(AnsibleError, ModuleNotFoundError):
    """ansible-runner, ansible-core or a collection the playbook uses is not installed."""


@dataclass
class HostSummary:
    """One host's line of the recap, as AWX shows it."""

    host: str
    ok: int = 0
    changed: int = 0
    failures: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0


@dataclass(frozen=True)
class FailedTask:
    host: str
    task: str
    task_path: str
    message: str
    unreachable: bool


@dataclass
class PlaybookResult:
    status: str
    rc: int
    hosts: list[HostSummary] = field(default_factory=list)
    failed: list[FailedTask] = field(default_factory=list)
    artifacts: Path | None = None
    error: str = ""
    """Ansible's own message when it failed before any host ran."""


# --------------------------------------------------------------------------- decisions


def parse_extra_vars(pairs: Iterable[str]) -> dict[str, str]:
    """``-e KEY=VALUE`` pairs (the value may hold ``=``); :class:`AnsibleError` names a bad one."""
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _KEY_RE.fullmatch(key):
            raise AnsibleError(f"-e {pair!r}: expected KEY=VALUE with KEY a variable name")
        found[key] = value
    return found


def build_inventory(
    inv: Inventory, views: Sequence[DeviceView], store: SecretStore
) -> tuple[dict[str, Any], dict[str, str]]:
    """The Ansible inventory of ``views`` and the environment its secret lookups read.

    A ``{secret: NAME}`` credential (which the exported file can only name) becomes an
    environment variable here, resolved from the secrets store now; ``{env: NAME}`` ones
    already are lookups of the caller's environment.
    """
    inventory = ansible_inventory(inv, views)
    by_name = {view.name: view for view in views}
    environment: dict[str, str] = {}
    names: dict[str, str] = {}
    for host, hostvars in inventory["all"]["hosts"].items():
        hostvars |= shipped_playbook_vars(inv, by_name[host], hostvars)
        for ref_var, var in _SECRET_REFS.items():
            described = hostvars.pop(ref_var, None)
            if described is None:
                continue
            ref = SecretRef.model_validate({"secret": str(described).removeprefix("secret:")})
            variable = names.setdefault(str(described), f"{SECRET_ENV_PREFIX}{len(names)}")
            if variable not in environment:
                try:
                    environment[variable] = store.resolve(ref, f"{host}.{var}").reveal()
                except SecretUnavailable as exc:
                    raise AnsibleError(f"host {host}: {exc}") from None
            hostvars[var] = f"{{{{ lookup('env', '{variable}') }}}}"
            if var == "ansible_become_password":  # as the export does for an env reference
                hostvars |= {"ansible_become": True, "ansible_become_method": "enable"}
    return inventory, environment


def shipped_playbook_vars(
    inv: Inventory, view: DeviceView, hostvars: Mapping[str, Any]
) -> dict[str, Any]:
    """What the shipped playbooks read beside the export's variables, computed where
    provnet's own deploys compute it (one source of truth):

    - a server (it has ``provnet_security_level``): ``provnet_level_thresholds``, the
      thresholds of its level from ``deploys/servers/levels.yaml``, each with its basis;
    - a device the ``ipv6_migration`` change applies to: ``provnet_ipv6_migration``, the
      change's addresses and ACL (``router``, ``wan``, ``lan``, ``acl``) from the address
      plan, as its templates get them (left out when the inventory lacks the data: the
      playbook then fails that host, naming the variable).
    """
    found: dict[str, Any] = {}
    level = hostvars.get("provnet_security_level")
    if level is not None:
        found["provnet_level_thresholds"] = thresholds(int(level)).model_dump(mode="json")
    if IPV6_MIGRATION.skip_reason(view) is None:
        try:
            context = IPV6_MIGRATION.context(inv, view)
        except ChangeDataError:
            return found
        found["provnet_ipv6_migration"] = {
            key: context[key] for key in ("router", "wan", "lan", "acl") if key in context
        }
    return found


def collections_used(playbook_text: str) -> set[str]:
    """``namespace.name`` of every fully qualified module a playbook names (``ansible.*``
    is ansible-core's own builtin namespace and counts only when not ``builtin``)."""
    return {
        f"{namespace}.{name}"
        for namespace, name in _FQCN_RE.findall(playbook_text)
        if (namespace, name) != ("ansible", "builtin")
    }


def summarize(stats: Mapping[str, Any]) -> list[HostSummary]:
    """The recap from a ``playbook_on_stats`` event's data."""
    columns = {
        "ok": "ok",
        "changed": "changed",
        "failures": "failures",
        "dark": "unreachable",
        "skipped": "skipped",
        "rescued": "rescued",
        "ignored": "ignored",
    }
    hosts: dict[str, HostSummary] = {}
    for key, attribute in columns.items():
        for host, count in (stats.get(key) or {}).items():
            summary = hosts.setdefault(host, HostSummary(host))
            setattr(summary, attribute, int(count))
    for host in stats.get("processed") or {}:
        hosts.setdefault(host, HostSummary(host))
    return [hosts[name] for name in sorted(hosts)]


def failed_task(event: Mapping[str, Any], redactor: Redactor) -> FailedTask | None:
    """A failed or unreachable task from its event, its message cleaned of secrets."""
    kind = event.get("event")
    data = event.get("event_data") or {}
    if kind not in ("runner_on_failed", "runner_on_unreachable") or data.get("ignore_errors"):
        return None
    result = data.get("res") or {}
    message = str(result.get("msg") or result.get("stderr") or result.get("reason") or "")
    return FailedTask(
        host=str(data.get("host", "")),
        task=str(data.get("task", "")),
        task_path=str(data.get("task_path", "")),
        message=redactor.clean(message.strip())[:500],
        unreachable=kind == "runner_on_unreachable",
    )


def exit_code(result: PlaybookResult) -> int:
    if any(h.failures for h in result.hosts) or any(not f.unreachable for f in result.failed):
        return EXIT_FAILED
    if any(h.unreachable for h in result.hosts):
        return EXIT_UNREACHABLE
    if result.rc != 0:
        return EXIT_FAILED if result.hosts else EXIT_INTERNAL
    return 0


JOURNAL_EVENTS = {
    "playbook_on_play_start": "play",
    "playbook_on_task_start": "task",
    "runner_on_ok": "host-ok",
    "runner_on_failed": "host-failed",
    "runner_on_unreachable": "host-unreachable",
    "runner_on_skipped": "host-skipped",
}


def journal_record(
    event: Mapping[str, Any], redactor: Redactor
) -> tuple[str, dict[str, Any]] | None:
    """What of an ansible-runner event goes to the journal (name, fields), or None: names,
    hosts, status and the failure's message; never the module's full result."""
    name = JOURNAL_EVENTS.get(str(event.get("event")))
    if name is None:
        return None
    data = event.get("event_data") or {}
    fields: dict[str, Any] = {"uuid": event.get("uuid")}
    for key in ("play", "task", "task_path", "host"):
        if data.get(key):
            fields[key] = redactor.clean(str(data[key]))
    if name == "host-ok":
        fields["changed"] = bool((data.get("res") or {}).get("changed"))
    failure = failed_task(event, redactor)
    if failure is not None:
        fields["error"] = failure.message
    return name, fields


# --------------------------------------------------------------------------- running


def check_installed(playbook: Path) -> None:
    """:class:`AnsibleUnavailable` with the way to install what the playbook needs."""
    for module, package in (("ansible_runner", "ansible-runner"), ("ansible", "ansible-core")):
        if importlib.util.find_spec(module) is None:
            raise AnsibleUnavailable(f"{package} is not installed: {INSTALL_HINT}")
    if shutil.which("ansible-playbook") is None and not _venv_binary("ansible-playbook").exists():
        raise AnsibleUnavailable(f"ansible-playbook is not on PATH: {INSTALL_HINT}")
    missing = sorted(c for c in collections_used(playbook.read_text()) if not _has_collection(c))
    if missing:
        raise AnsibleUnavailable(
            f"{playbook}: needs the Ansible collection(s) {', '.join(missing)}: {INSTALL_HINT}"
        )


def _venv_binary(name: str) -> Path:
    return Path(sys.executable).parent / name


def _has_collection(name: str) -> bool:
    """Whether ``namespace.name`` is installed where Ansible looks by default (its
    collections paths, then every ``ansible_collections`` on ``sys.path``, as the ``ansible``
    package installs them)."""
    namespace, collection = name.split(".", 1)
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
    roots = [Path(p) for p in configured.split(os.pathsep) if p] or [
        Path.home() / ".ansible" / "collections",
        Path("/usr/share/ansible/collections"),
    ]
    roots += [Path(entry) for entry in sys.path if entry]
    return any((root / "ansible_collections" / namespace / collection).is_dir() for root in roots)


def default_artifacts() -> Path:
    """Where runs keep their artifacts unless told (the last ``keep_artifacts`` runs)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "provnet" / "ansible-artifacts"


def _scrub(artifacts: Path, redactor: Redactor, environment: Mapping[str, str]) -> None:
    """ansible-runner writes the whole environment into ``command`` and ``status`` data:
    drop the secret variables and mask any known value left in any artifact."""
    for path in artifacts.rglob("*"):
        if not path.is_file():
            continue
        try:
            original = text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if path.name == "command":
            with_env = json.loads(text)
            for key in environment:
                with_env.get("env", {}).pop(key, None)
            text = json.dumps(with_env, ensure_ascii=False)
        cleaned = redactor.redact(text)
        for value in environment.values():
            cleaned = cleaned.replace(value, "********")
        if cleaned != original:
            path.write_text(cleaned, encoding="utf-8")


def host_key_environment(known_hosts: Path, private: Path) -> dict[str, str]:
    """A HOME of the run's own whose ``.ssh/known_hosts`` is ``known_hosts``.

    OpenSSH (servers) gets the file as ``UserKnownHostsFile`` in the inventory; ``network_cli``
    (paramiko or libssh) reads only ``~/.ssh/known_hosts``, so the run's HOME points there. The
    user's collections stay on the search path; the user's ``~/.ssh`` is never read or written.
    """
    home = private / "home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(known_hosts, home / ".ssh" / "known_hosts")
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.pathsep.join(
        [str(Path.home() / ".ansible" / "collections"), "/usr/share/ansible/collections"]
    )
    return {"HOME": str(home), "ANSIBLE_COLLECTIONS_PATH": collections}


def run_playbook(
    playbook: Path,
    inventory: dict[str, Any],
    environment: Mapping[str, str],
    *,
    redactor: Redactor,
    journal: Journal | None = None,
    on_event: Callable[[Mapping[str, Any]], None] | None = None,
    limit: str | None = None,
    check: bool = False,
    diff: bool = False,
    extra_vars: Mapping[str, str] | None = None,
    forks: int = 5,
    artifacts: Path | None = None,
    keep_artifacts: int = 10,
    known_hosts: Path | None = None,
) -> PlaybookResult:
    """Run ``playbook`` through ``ansible_runner.run``; never raises for a host's failure."""
    check_installed(playbook)
    import ansible_runner

    failures: list[FailedTask] = []
    stats: dict[str, Any] = {}
    secrets = redactor.with_values({k: v for k, v in environment.items() if len(v) >= 4})

    def handle(event: dict[str, Any]) -> bool:
        if event.get("event") == "playbook_on_stats":
            stats.update(event.get("event_data") or {})
        failure = failed_task(event, secrets)
        if failure is not None:
            failures.append(failure)
        record = journal_record(event, secrets)
        if journal is not None and record is not None:
            journal.write(record[0], **record[1])
        if on_event is not None:
            on_event(event)
        return True  # ansible-runner keeps the event in its artifacts (scrubbed at the end)

    private = Path(tempfile.mkdtemp(prefix="provnet-ansible-"))
    host_keys: dict[str, str] = {}
    if known_hosts is not None:
        host_keys = host_key_environment(known_hosts, private)
        inventory = {**inventory, "all": {**inventory.get("all", {})}}
        inventory["all"]["vars"] = {
            **inventory["all"].get("vars", {}),
            "ansible_ssh_common_args": f"-o UserKnownHostsFile={known_hosts} "
            "-o StrictHostKeyChecking=yes",
        }
    artifact_dir = artifacts or default_artifacts()
    ident = uuid.uuid4().hex  # this run's directory of artifact_dir: the one to scrub
    cmdline = " ".join(flag for flag, on in (("--check", check), ("--diff", diff)) if on)
    if journal is not None:
        journal.write("ansible-run", playbook=str(playbook), limit=limit, check=check, forks=forks)
    try:
        runner = ansible_runner.run(
            private_data_dir=str(private),
            playbook=str(playbook.resolve()),
            inventory=inventory,
            envvars={
                **environment,
                **host_keys,
                "ANSIBLE_HOST_KEY_CHECKING": "True",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_ROLES_PATH": str(playbook.resolve().parent / "roles"),
                # ansible-playbook of this very environment, even when it is not activated
                "PATH": os.pathsep.join([str(_venv_binary("")), os.environ.get("PATH", "")]),
            },
            extravars=dict(extra_vars or {}),
            limit=limit,
            forks=forks,
            cmdline=cmdline or None,
            event_handler=handle,
            suppress_env_files=True,
            artifact_dir=str(artifact_dir),
            ident=ident,
            rotate_artifacts=keep_artifacts,
            quiet=True,
        )
        result = PlaybookResult(
            status=str(runner.status),
            rc=int(runner.rc if runner.rc is not None else -1),
            hosts=summarize(stats),
            failed=failures,
            artifacts=Path(runner.config.artifact_dir),
        )
        if not result.hosts and result.rc != 0:
            stdout = runner.stdout.read() if runner.stdout else ""
            result.error = (
                secrets.clean(stdout.strip())[-1500:] or f"ansible-playbook exit {result.rc}"
            )
    finally:
        _scrub(artifact_dir / ident, secrets, environment)
        shutil.rmtree(private, ignore_errors=True)
    if journal is not None:
        journal.write(
            "end",
            status=result.status,
            rc=result.rc,
            hosts={h.host: vars(h) for h in result.hosts},
            exit_code=exit_code(result),
        )
    return result
