"""Running a server deploy through pyinfra's Python API, as pyinfra's own CLI does
(``pyinfra_cli/cli.py``: Config, Inventory, State, ``connect_all``, ``add_deploy``,
``run_ops``), with what ``provnet servers`` adds around it:

- the inventory is built in memory from provnet's (:func:`inventory.export.pyinfra_hosts`,
  the same data as the exported file); passwords are resolved from the secrets store now,
  into the in-memory host data only;
- host keys are checked (``ssh_known_hosts_file`` + ``ssh_strict_host_key_checking``);
- each host is prepared on its own, so one that fails (unreachable, refused by the deploy,
  a fact that errors) fails alone and the others go on; operations run host by host in
  parallel (``no_wait``), never waiting for a failed one;
- per host: how many operations would change and pyinfra's own diff of each file.

``pyinfra_cli`` itself is never imported here: it monkey-patches the whole process with
gevent on import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import gevent  # type: ignore[import-untyped]
from pyinfra.api.config import Config
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.deploy import add_deploy
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.facts import get_facts
from pyinfra.api.host import Host
from pyinfra.api.inventory import Inventory as PyinfraInventory
from pyinfra.api.operations import run_ops
from pyinfra.api.state import BaseStateCallback, State, StateStage
from pyinfra.context import ctx_config, ctx_state
from pyinfra.facts.deb import DebPackages
from pyinfra.facts.server import Command, LinuxDistribution
from pyinfra.facts.systemd import SystemdStatus

from deploys.servers.base import ServerDeploy
from inventory.errors import SecretUnavailable
from inventory.export import PyinfraHost, host_data
from inventory.masking import Redactor
from inventory.secrets import SecretStore
from provnet.errors import NOT_CONTAINED

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
PYINFRA_LOGGER = "pyinfra"
FAILED_UNITS = "systemctl list-units --failed --plain --no-legend --no-pager || true"


class Status(StrEnum):
    CHANGED = "changed"  # applied; something changed
    UNCHANGED = "unchanged"  # applied; nothing to change
    WOULD_CHANGE = "would-change"  # dry run: changes listed, nothing done
    NO_CHANGE = "no-change"  # dry run: nothing to change
    FAILED = "failed"  # refused, a fact or an operation failed
    UNREACHABLE = "unreachable"  # no SSH session (down, wrong host key, auth)

    @property
    def ok(self) -> bool:
        return self not in (Status.FAILED, Status.UNREACHABLE)


@dataclass
class HostReport:
    name: str
    status: Status = Status.NO_CHANGE
    operations: int = 0
    changes: int = 0  # operations that changed (or would)
    diff: str = ""  # pyinfra's diff of the files, plain text
    error: str = ""


@dataclass
class RunReport:
    deploy: str
    dry: bool
    hosts: list[HostReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(h.status.ok for h in self.hosts)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((s.value for s in Status), 0)
        for h in self.hosts:
            counts[h.status.value] += 1
        return counts


# --- inventory -------------------------------------------------------------------------------


def build_inventory(
    hosts: Sequence[PyinfraHost],
    store: SecretStore,
    known_hosts: str | None,
    redactor: Redactor,
    extra: dict[str, str] | None = None,
) -> tuple[PyinfraInventory, dict[str, str]]:
    """pyinfra's Inventory of ``hosts`` (groups as the export names them), and the hosts
    left out because a secret could not be resolved (name -> why, naming the reference).
    ``extra``: data given to every host (pyinfra's ``--data KEY=VALUE``)."""
    entries: list[tuple[str, dict[str, Any]]] = []
    left_out: dict[str, str] = {}
    for host in hosts:
        try:
            password = (
                store.resolve(host.password, f"{host.name}, ssh password").reveal()
                if host.password is not None
                else None
            )
        except SecretUnavailable as exc:
            left_out[host.name] = redactor.redact(str(exc))
            continue
        entries.append((host.name, {**host_data(host, password, known_hosts), **(extra or {})}))
    kept = {name for name, _ in entries}
    groups: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for host in hosts:
        if host.name in kept:
            for group in host.groups:
                groups.setdefault(group, ([], {}))[0].append(host.name)
    return PyinfraInventory((entries, {}), **groups), left_out


# --- capturing pyinfra's output per host -------------------------------------------------------


class _Capture(logging.Handler):
    """Log lines by greenlet: each host is prepared in its own (as pyinfra's CLI does)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: dict[object, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = _ANSI.sub("", record.getMessage())
        except Exception:  # a message that cannot be formatted is not worth a crash
            line = str(record.msg)
        self.lines.setdefault(gevent.getcurrent(), []).append(line)

    def mine(self) -> list[str]:
        """The lines logged by the calling greenlet."""
        return self.lines.get(gevent.getcurrent(), [])


@contextmanager
def _captured() -> Iterator[_Capture]:
    """pyinfra's log lines while the block runs, kept from the terminal."""
    logger = logging.getLogger(PYINFRA_LOGGER)
    capture = _Capture()
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(capture)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _Errors(BaseStateCallback):
    """Connection errors by host (pyinfra logs them; the callback hands us the error)."""

    def __init__(self) -> None:
        self.connect: dict[str, str] = {}

    def host_connect_error(self, state: State, host: Host, error: Any) -> None:  # type: ignore[override]
        self.connect[host.name] = str(error)


class _Progress(BaseStateCallback):
    def __init__(self, advance: Callable[[str], None]) -> None:
        self.advance = advance

    def operation_host_success(  # type: ignore[override]
        self, state: State, host: Host, op_hash: str, retry_count: int = 0
    ) -> None:
        self.advance(host.name)

    def operation_host_error(  # type: ignore[override]
        self, state: State, host: Host, op_hash: str, retry_attempt: int = 0, max_retries: int = 0
    ) -> None:
        self.advance(host.name)


# --- the run ---------------------------------------------------------------------------------


def _fail(state: State, host: Host) -> None:
    """Flag one host failed; the others go on (pyinfra raises when none is left)."""
    with suppress(PyinfraError):
        state.fail_hosts({host})


def _diff_lines(lines: list[str]) -> str:
    """pyinfra's "Will create/modify FILE" and the diff lines under them."""
    kept: list[str] = []
    keep = False
    for line in lines:
        if "Will create" in line or "Will modify" in line or "Will remove" in line:
            keep = True
            kept.append(line.strip())
        elif keep and line.startswith("  "):
            kept.append(line[2:])
        elif keep and not line.strip():
            keep = False
            kept.append("")
    return "\n".join(kept).strip()


@dataclass
class Runner:
    """One run of a deploy over the hosts of an inventory."""

    deploy: ServerDeploy
    inventory: PyinfraInventory
    redactor: Redactor
    dry: bool = False
    diff: bool = True
    left_out: dict[str, str] = field(default_factory=dict)
    state: State = field(init=False)
    reports: dict[str, HostReport] = field(init=False)
    _errors: _Errors = field(init=False)

    def __post_init__(self) -> None:
        config = Config(DIFF=self.diff, FAIL_PERCENT=None)
        self.state = State(check_for_changes=True)
        self._errors = _Errors()
        with ctx_state.use(self.state):
            self.state.init(self.inventory, config)
        self.state.add_callback_handler(self._errors)
        self.reports = {h.name: HostReport(h.name) for h in self.inventory}
        for name, why in self.left_out.items():
            self.reports[name] = HostReport(name, Status.FAILED, error=why)

    def _report(self, host: Host) -> HostReport:
        return self.reports[host.name]

    def connect(self) -> None:
        self.state.set_stage(StateStage.Connect)
        # "No hosts remaining" when every host failed: each is reported below.
        with _captured(), ctx_state.use(self.state), suppress(PyinfraError):
            connect_all(self.state)
        for host in self.inventory:
            if not host.connected:
                report = self._report(host)
                report.status = Status.UNREACHABLE
                why = self._errors.connect.get(host.name, "could not connect")
                report.error = self.redactor.redact(why)

    def prepare(self, advance: Callable[[str], None] = lambda _: None) -> None:
        """Run the deploy's code for every connected host at once, each in its own greenlet
        (facts, decisions); a host whose preparation raises fails alone."""
        self.state.set_stage(StateStage.Prepare)
        active = [h for h in self.inventory if h in self.state.active_hosts]
        for host in self.inventory:
            if host not in active:
                advance(host.name)
        # pyinfra's state context is one for the process (the host's is per greenlet).
        with _captured() as capture, ctx_state.use(self.state):
            jobs = {self.state.pool.spawn(self._prepare_host, h, capture): h for h in active}
            for job in gevent.iwait(list(jobs)):
                advance(jobs[job].name)
        for job, host in jobs.items():
            failure = job.get()
            if failure is not None:
                report = self._report(host)
                report.status = Status.FAILED
                report.error = self.redactor.redact(failure)
                _fail(self.state, host)

    def _prepare_host(self, host: Host, capture: _Capture) -> str | None:
        """Prepare one host; the error (a message) when its preparation raises."""
        report = self._report(host)
        try:
            with ctx_config.use(self.state.config.copy()):
                add_deploy(self.state, self.deploy.function, host=host)
        except NOT_CONTAINED:
            raise
        except BaseException as exc:
            return f"{type(exc).__name__}: {exc}"
        ops = self.state.ops[host].values()
        report.operations = len(ops)
        # An operation under ``_if`` (a restart after a changed file) only runs when its
        # condition holds at run time: it follows the changes counted here.
        report.changes = sum(
            1 for op in ops if not op.global_arguments.get("_if") and op.operation_meta.will_change
        )
        report.diff = self.redactor.redact(_diff_lines(capture.mine()))
        report.status = Status.WOULD_CHANGE if report.changes else Status.NO_CHANGE
        return None

    def execute(self, advance: Callable[[str], None] = lambda _: None) -> None:
        self.state.set_stage(StateStage.Execute)
        self.state.add_callback_handler(_Progress(advance))
        # "No hosts remaining" when the last active host failed: reported below. A host's
        # failure is its report's error; gevent would also print its greenlet's traceback.
        hub = gevent.get_hub()
        hub.exception_stream = None
        try:
            with _captured(), ctx_state.use(self.state), suppress(PyinfraError):
                run_ops(self.state, no_wait=True)
        finally:
            del hub.exception_stream  # back to gevent's default (sys.stderr)
        for host in self.inventory:
            report = self._report(host)
            if not report.status.ok:
                continue
            self._settle(host, report)

    def settle_unchanged(self) -> None:
        """Nothing would change anywhere: every prepared host is unchanged, without a run."""
        for report in self.reports.values():
            if report.status is Status.NO_CHANGE:
                report.status = Status.UNCHANGED

    def _settle(self, host: Host, report: HostReport) -> None:
        changed = 0
        errors: list[str] = []
        unfinished: list[str] = []
        for op_hash, op_data in self.state.ops[host].items():
            meta = op_data.operation_meta
            if not meta.is_complete():
                unfinished.append(", ".join(sorted(self.state.get_op_meta(op_hash).names)))
                continue
            if meta.did_error():
                names = ", ".join(sorted(self.state.get_op_meta(op_hash).names))
                detail = meta.stderr.strip().splitlines()[-1:] if meta.stderr else []
                why = detail[0] if detail else "failed, no output (connection lost?)"
                errors.append(f"{names}: {why}")
            elif meta.did_change():
                changed += 1
        report.changes = changed
        if unfinished and not errors:
            # The host's run stopped without an operation error: pyinfra lets an exception
            # the connection raises (EOFError from a server gone mid-upload) end the host's
            # greenlet, leaving its operations neither done nor failed.
            errors.append(
                f"stopped at {unfinished[0]} (connection lost?): "
                f"{len(unfinished)} operation(s) not run"
            )
        if errors or host in self.state.failed_hosts:
            report.status = Status.FAILED
            report.error = self.redactor.redact("; ".join(errors) or "failed")
        else:
            report.status = Status.CHANGED if changed else Status.UNCHANGED

    def disconnect(self) -> None:
        self.state.set_stage(StateStage.Disconnect)
        with _captured(), ctx_state.use(self.state):
            disconnect_all(self.state)

    def report(self) -> RunReport:
        return RunReport(self.deploy.name, self.dry, list(self.reports.values()))


# --- facts -----------------------------------------------------------------------------------


@dataclass
class HostFacts:
    name: str
    os: str = ""
    packages: int = 0
    running: int = 0
    failed_units: tuple[str, ...] = ()
    error: str = ""


def _os_name(distro: Any) -> str:
    if not isinstance(distro, dict):
        return ""
    release = distro.get("release_meta", {}) or {}
    return str(release.get("PRETTY_NAME") or f"{distro.get('name', '')} {distro.get('major', '')}")


def gather_facts(inventory: PyinfraInventory, redactor: Redactor) -> list[HostFacts]:
    """What pyinfra sees on each host: OS, installed packages, running and failed units."""
    state = State(check_for_changes=False)
    errors = _Errors()
    with ctx_state.use(state):
        state.init(inventory, Config(FAIL_PERCENT=None))
    state.add_callback_handler(errors)
    found = {h.name: HostFacts(h.name) for h in inventory}
    with _captured(), ctx_state.use(state):
        with suppress(PyinfraError):
            connect_all(state)
        try:
            distro = get_facts(state, LinuxDistribution, apply_failed_hosts=False)
            packages = get_facts(state, DebPackages, apply_failed_hosts=False)
            units = get_facts(state, SystemdStatus, apply_failed_hosts=False)
            failed = get_facts(state, Command, args=(FAILED_UNITS,), apply_failed_hosts=False)
        except PyinfraError:
            distro, packages, units, failed = {}, {}, {}, {}
        for host in inventory:
            facts = found[host.name]
            if not host.connected:
                facts.error = redactor.redact(errors.connect.get(host.name, "could not connect"))
                continue
            facts.os = _os_name(distro.get(host))
            facts.packages = len(packages.get(host) or {})
            status = units.get(host) or {}
            facts.running = sum(1 for up in status.values() if up)
            facts.failed_units = tuple(
                line.split()[0] for line in str(failed.get(host) or "").splitlines() if line.strip()
            )
        disconnect_all(state)
    return list(found.values())
