"""`provnet ansible run`: playbooks through ansible-runner against provnet's inventory.

Decisions (extra vars, the inventory with secrets as environment lookups, the recap, the
exit codes, what reaches the journal) as data; then real runs of ansible-playbook against
the twin's Debian servers (root, as in CI): check mode changes nothing, a run applies, a
rerun changes nothing, a failing host fails alone, an unreachable host is unreachable, a
canary secret reaches no artifact, journal or output (issue: Ansible through ansible-runner).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from deploys.ansible.runner import (
    EXIT_FAILED,
    EXIT_UNREACHABLE,
    AnsibleError,
    AnsibleUnavailable,
    HostSummary,
    PlaybookResult,
    build_inventory,
    check_installed,
    collections_used,
    exit_code,
    journal_record,
    parse_extra_vars,
    run_playbook,
    summarize,
)
from deploys.network.journal import Journal, read_journal
from inventory.masking import Redactor
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from tests.conftest import EXAMPLE, TwinServers

DATA = Path(__file__).parent / "data" / "ansible"
CANARY = "canary-7f3a9c2e-not-a-real-secret"
runner = CliRunner(env={"COLUMNS": "200"})


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], {}),
        (["a=1"], {"a": "1"}),
        (["url=http://x/?a=b"], {"url": "http://x/?a=b"}),
        (["empty="], {"empty": ""}),
    ],
)
def test_extra_vars_are_key_value_pairs(pairs: list[str], expected: dict[str, str]) -> None:
    assert parse_extra_vars(pairs) == expected


@pytest.mark.parametrize("bad", ["novalue", "=1", "1a=2", "a b=1"])
def test_a_bad_extra_var_is_named(bad: str) -> None:
    with pytest.raises(AnsibleError, match=repr(bad).replace("[", r"\[")):
        parse_extra_vars([bad])


def test_collections_used_are_the_fully_qualified_modules_outside_builtin() -> None:
    text = (DATA / "needs_collection.yml").read_text() + (DATA / "marker.yml").read_text()
    text += "\n    - cisco.ios.ios_config:\n        lines: []\n"
    assert collections_used(text) == {"provnet_missing.nothing", "cisco.ios"}


def test_a_playbook_needing_a_missing_collection_says_how_to_install() -> None:
    with pytest.raises(AnsibleUnavailable, match=r"provnet_missing\.nothing.*pip install"):
        check_installed(DATA / "needs_collection.yml")


def test_secrets_file_credentials_become_environment_lookups(tmp_path: Path) -> None:
    root = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, root)
    province = root / "province.yaml"
    province.write_text(
        province.read_text()
        .replace("env: PROVNET_SSH_PASSWORD", "secret: ssh-password")
        .replace("env: PROVNET_ENABLE_SECRET", "secret: enable-secret")
    )
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"ssh-password: {CANARY}\nenable-secret: {CANARY}-enable\n")
    secrets.chmod(0o600)
    inv = load_valid(root)
    routers = [v for v in iter_devices(inv) if v.name in ("th-dc-core1", "th-ioc-rtr1")]
    assert len(routers) == 2

    inventory, environment = build_inventory(inv, routers, SecretStore({}, secrets))

    assert CANARY not in json.dumps(inventory)
    for router in routers:
        hostvars = inventory["all"]["hosts"][router.name]
        password = hostvars["ansible_password"].split("'")[3]
        enable = hostvars["ansible_become_password"].split("'")[3]
        assert hostvars["ansible_password"] == f"{{{{ lookup('env', '{password}') }}}}"
        assert (environment[password], environment[enable]) == (CANARY, f"{CANARY}-enable")
        assert "provnet_secret_ref" not in hostvars
        assert (hostvars["ansible_become"], hostvars["ansible_become_method"]) == (True, "enable")
    assert len(environment) == 2  # one variable per secret, however many hosts use it


def test_a_secret_that_cannot_be_read_names_the_host_not_the_value(tmp_path: Path) -> None:
    root = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, root)
    province = root / "province.yaml"
    province.write_text(province.read_text().replace("env: PROVNET_SSH_PASSWORD", "secret: gone"))
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("other: x\n")
    secrets.chmod(0o600)
    inv = load_valid(root)
    router = next(v for v in iter_devices(inv) if v.name == "th-dc-core1")
    with pytest.raises(AnsibleError, match="th-dc-core1"):
        build_inventory(inv, [router], SecretStore({}, secrets))


def test_the_recap_is_read_from_the_stats_event() -> None:
    stats = {
        "ok": {"a": 3, "b": 1},
        "changed": {"a": 1},
        "failures": {"b": 1},
        "dark": {"c": 1},
        "skipped": {},
        "processed": {"a": 1, "b": 1, "c": 1},
    }
    assert summarize(stats) == [
        HostSummary("a", ok=3, changed=1),
        HostSummary("b", ok=1, failures=1),
        HostSummary("c", unreachable=1),
    ]


@pytest.mark.parametrize(
    ("hosts", "rc", "expected"),
    [
        ([HostSummary("a", ok=2)], 0, 0),
        ([HostSummary("a", ok=1), HostSummary("b", failures=1)], 2, EXIT_FAILED),
        ([HostSummary("a", ok=1), HostSummary("b", unreachable=1)], 4, EXIT_UNREACHABLE),
        ([HostSummary("a", failures=1), HostSummary("b", unreachable=1)], 2, EXIT_FAILED),
        ([], 4, 3),
    ],
)
def test_exit_codes(hosts: list[HostSummary], rc: int, expected: int) -> None:
    assert exit_code(PlaybookResult("failed" if rc else "successful", rc, hosts)) == expected


def test_the_journal_gets_names_and_statuses_never_the_result() -> None:
    event = {
        "uuid": "u1",
        "event": "runner_on_failed",
        "event_data": {
            "host": "srv1",
            "task": "t",
            "task_path": "/p.yml:3",
            "res": {"msg": f"bad {CANARY}", "stdout": CANARY},
        },
    }
    name, fields = journal_record(event, Redactor({"canary": CANARY})) or ("", {})
    assert name == "host-failed"
    assert fields == {
        "uuid": "u1",
        "task": "t",
        "task_path": "/p.yml:3",
        "host": "srv1",
        "error": "bad <secret:canary>",
    }
    assert journal_record({"event": "verbose", "event_data": {}}, Redactor({})) is None


def test_an_unknown_playbook_is_bad_input() -> None:
    done = runner.invoke(app, ["ansible", "run", "no-such-playbook.yml"])
    assert done.exit_code == 2
    assert "no-such-playbook.yml" in done.output
    assert "Traceback" not in done.output


def test_a_bad_extra_var_on_the_command_line_is_bad_input() -> None:
    done = runner.invoke(app, ["ansible", "run", str(DATA / "marker.yml"), "-e", "oops"])
    assert done.exit_code == 2
    assert "oops" in done.output


# --------------------------------------------------------------------------- on the twin


SERVERS = ["th-dc-srv1", "th-dc-srv2"]


@pytest.fixture
def servers(twin_servers: TwinServers) -> Iterator[TwinServers]:
    for name in SERVERS:
        twin_servers.servers.run(name, ["rm", "-f", "/etc/provnet-marker"], check=True)
    yield twin_servers
    for name in SERVERS:
        twin_servers.servers.run(name, ["rm", "-f", "/etc/provnet-marker"])


def _run(
    twin: TwinServers, tmp_path: Path, *args: str, hosts: list[str] = SERVERS
) -> tuple[int, str, Path]:
    journal = tmp_path / f"journal-{len(list(tmp_path.glob('journal-*')))}.jsonl"
    limit = ["--limit", ",".join(f"device={name}" for name in hosts)]
    env = {"PROVNET_SECRETS_FILE": str(twin.up.secrets_file), "XDG_CACHE_HOME": str(tmp_path)}
    done = runner.invoke(
        app,
        ["ansible", "run", str(DATA / "marker.yml"), "-i", str(twin.up.overlay), *limit,
         "--journal", str(journal), *args],
        env=env,
    )  # fmt: skip
    return done.exit_code, done.output, journal


def _marker(twin: TwinServers, name: str) -> str:
    return twin.servers.run(name, ["cat", "/etc/provnet-marker"]).stdout


@pytest.mark.root
def test_check_changes_nothing_a_run_applies_a_rerun_changes_nothing(
    servers: TwinServers, tmp_path: Path
) -> None:
    code, output, _ = _run(servers, tmp_path, "--check", "--diff")
    assert code == 0, output
    assert all(_marker(servers, name) == "" for name in SERVERS)

    code, output, journal = _run(servers, tmp_path)
    assert code == 0, output
    for name in SERVERS:
        assert _marker(servers, name) == f"{name} v1\n"
    end = read_journal(journal)[-1]
    assert end["event"] == "end" and end["exit_code"] == 0
    assert {host: counts["changed"] for host, counts in end["hosts"].items()} == dict.fromkeys(
        SERVERS, 1
    )

    code, output, journal = _run(servers, tmp_path)
    assert code == 0, output
    assert all(counts["changed"] == 0 for counts in read_journal(journal)[-1]["hosts"].values())


@pytest.mark.root
def test_a_failing_task_fails_its_host_only(servers: TwinServers, tmp_path: Path) -> None:
    code, output, journal = _run(servers, tmp_path, "-e", f"fail_on={SERVERS[1]}")
    assert code == EXIT_FAILED, output
    assert f"failing {SERVERS[1]} on purpose" in output
    assert _marker(servers, SERVERS[0]) == f"{SERVERS[0]} v1\n"  # the other host went on
    events = read_journal(journal)
    failed = [e for e in events if e["event"] == "host-failed"]
    assert [(e["host"], e["task"]) for e in failed] == [(SERVERS[1], "fail where told")]
    assert events[-1]["hosts"][SERVERS[0]]["failures"] == 0


@pytest.mark.root
def test_an_unreachable_host_is_unreachable_not_failed(
    servers: TwinServers, tmp_path: Path
) -> None:
    # A server no run has reached yet (Ansible's ssh keeps a master connection to the others).
    down = "th-soc-log1"
    servers.servers.run(down, ["systemctl", "stop", "ssh.socket", "ssh.service"], check=True)
    try:
        code, output, journal = _run(servers, tmp_path, hosts=[SERVERS[0], down])
    finally:
        servers.servers.run(down, ["systemctl", "start", "ssh.service"], check=True)
    assert code == EXIT_UNREACHABLE, output
    end = read_journal(journal)[-1]
    assert end["hosts"][down]["unreachable"] == 1
    assert end["hosts"][SERVERS[0]]["failures"] == 0
    assert _marker(servers, SERVERS[0]) == f"{SERVERS[0]} v1\n"
    assert f"{down}" in output and "unreachable" in output


@pytest.mark.root
def test_a_canary_secret_reaches_no_artifact_journal_or_output(
    servers: TwinServers, tmp_path: Path
) -> None:
    inv = load_valid(servers.up.overlay)
    views = [v for v in iter_devices(inv) if v.name in SERVERS]
    inventory, _ = build_inventory(inv, views, SecretStore({}, servers.up.secrets_file))
    seen: list[str] = []
    artifacts = tmp_path / "artifacts"
    with Journal(tmp_path / "journal.jsonl") as journal:
        result = run_playbook(
            DATA / "marker.yml",
            inventory,
            {"PROVNET_ANSIBLE_SECRET_0": CANARY},
            redactor=Redactor({}),
            journal=journal,
            on_event=lambda event: seen.append(json.dumps(event.get("event_data", {}).get("task"))),
            artifacts=artifacts,
            known_hosts=servers.up.known_hosts,
        )
    assert exit_code(result) == 0, result
    printed = [p for p in artifacts.rglob("*") if p.is_file()]
    assert any(p.name == "command" for p in printed)
    for path in [*printed, tmp_path / "journal.jsonl"]:
        assert CANARY not in path.read_text(errors="replace"), path
    assert not (artifacts.parent / "env").exists()
