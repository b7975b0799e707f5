"""The shipped Ansible role ``baseline`` (deploys/ansible/) does what provnet's pyinfra
``baseline`` does: the same files, byte for byte, from the same host data and levels.yaml
(rendered by Ansible itself against the pyinfra deploy's data cases), the same refusals, the
same constants; then on twin Debian servers booted fresh for this module: ``--check`` changes
nothing, a run applies, a rerun reports changed=0 on every host, the effects seen from inside
(``sshd -T``, nft, chrony, TMOUT) are the baseline's, and pyinfra's deploy finds nothing left
to change after the role.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from deploys.ansible.runner import build_inventory
from deploys.network.context import DEFAULT_BANNER
from deploys.network.journal import read_journal
from deploys.servers import baseline
from deploys.servers.hostdata import server_data
from deploys.servers.levels import thresholds
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.syslog import TRANSPORT_PORTS
from inventory.validate import load_valid
from lab.control import NETNS_DIR, UpResult, lab_down, lab_up
from lab.netns import ServersView, root_available
from tests.conftest import EXAMPLE
from tests.deploys.servers.effects import assert_baseline_effects

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "deploys" / "ansible" / "roles" / "baseline"
DATA = Path(__file__).parent / "data"
CASES_DIR = DATA / "servers" / "baseline"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected").is_dir())
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
PROVNET = str(Path(sys.executable).with_name("provnet"))
runner = CliRunner(env={"COLUMNS": "200"})


# --------------------------------------------------------------------------- offline


def test_the_role_has_the_deploys_constants() -> None:
    role = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
    assert role["provnet_baseline_header"] == baseline.HEADER
    assert role["provnet_baseline_default_banner"] == DEFAULT_BANNER
    assert role["provnet_baseline_syslog_ports"] == TRANSPORT_PORTS
    assert role["provnet_baseline_transport_packages"] == {
        transport: list(packages) for transport, packages in baseline.TRANSPORT_PACKAGES.items()
    }
    assert tuple(role["provnet_baseline_packages"]) == baseline.PACKAGES
    assert tuple(role["provnet_baseline_ssh_ciphers"]) == baseline.SSH_CIPHERS
    assert tuple(role["provnet_baseline_ssh_macs"]) == baseline.SSH_MACS
    assert tuple(role["provnet_baseline_ssh_kex"]) == baseline.SSH_KEX
    assert tuple(role["provnet_baseline_rsyslog_files"]) == baseline.RSYSLOG_FILES


def role_files() -> dict[str, tuple[str, str]]:
    """Every file the role's tasks template: destination -> (template, mode)."""
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    for task in tasks:
        module = task.get("ansible.builtin.template")
        if module is None:
            continue
        for item in task.get("loop") or [module]:
            found[item["dest"]] = (item["src"], str(module["mode"]))
    return found


def _case(name: str) -> dict[str, Any]:
    return dict(json.loads((CASES_DIR / name / "case.json").read_text(encoding="utf-8")))


def _hostvars(name: str) -> dict[str, Any]:
    """A case's pyinfra host data as `provnet ansible run` gives it to Ansible."""
    case = _case(name)
    data = {k: v for k, v in case["data"].items() if not k.startswith("ssh_")}
    data["ansible_user"] = case["data"].get("ssh_user")
    data["ansible_port"] = case["data"].get("ssh_port", 22)
    data["provnet_level_thresholds"] = thresholds(data["provnet_security_level"]).model_dump(
        mode="json"
    )
    data["case_ssh_connection"] = case.get("facts", {}).get("ssh_connection", "")
    return data


def _planned(name: str) -> dict[str, baseline.FileSpec]:
    data = _case(name)["data"]
    try:
        return baseline.plan_files(baseline.decide(server_data(name, data.get)))
    except baseline.BaselineRefused:
        return {}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every case host rendered by ansible-playbook (connection local), in one run."""
    out = tmp_path_factory.mktemp("rendered")
    files = role_files()
    hosts = {}
    for name in CASES:
        wanted = {role: files[spec.path][0] for role, spec in _planned(name).items()}
        hosts[name] = {**_hostvars(name), "wanted": wanted}
        (out / name).mkdir()
    inventory = out / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}), encoding="utf-8")
    env = {
        **os.environ,
        "ANSIBLE_FILTER_PLUGINS": str(ROLE / "filter_plugins"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(out / "tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", str(inventory), str(DATA / "ansible" / "render_baseline.yml"),
         "-e", f"out_dir={out} role_dir={ROLE}"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_role_writes_every_file_of_the_deploy_with_its_mode() -> None:
    files = role_files()
    planned = _planned("dc_server_level3")  # a case with a mirror: every file
    assert {spec.path for spec in planned.values()} == set(files)
    for spec in planned.values():
        assert files[spec.path][1] == f"0{spec.mode}", spec.path


@pytest.mark.parametrize("name", CASES)
def test_the_role_renders_what_the_deploy_writes(rendered: Path, name: str) -> None:
    expected = CASES_DIR / name / "expected"
    decisions = (rendered / name / "decisions").read_text(encoding="utf-8")
    for verdict in ("refused.txt", "lockout.txt"):
        if (expected / verdict).is_file():
            assert (expected / verdict).read_text(encoding="utf-8").strip() in decisions
            return
    assert decisions.splitlines()[:2] == ["", ""], decisions  # no refusal, no lockout
    for role, spec in _planned(name).items():
        ours = (rendered / name / role).read_text(encoding="utf-8")
        assert ours == spec.content, f"{name}: {role} ({spec.path})"
        assert ours == (expected / role).read_text(encoding="utf-8")


def test_servers_get_their_levels_and_routers_the_ipv6_plan() -> None:
    inv = load_valid(EXAMPLE)
    views = [v for v in iter_devices(inv) if v.name in ("th-dc-srv1", "th-16540-rtr1")]
    inventory, _ = build_inventory(inv, views, SecretStore({}))
    server = inventory["all"]["hosts"]["th-dc-srv1"]
    assert server["provnet_level_thresholds"] == thresholds(3).model_dump(mode="json")
    assert server["provnet_ntp_servers"] == ["10.38.224.1", "10.38.224.2"]
    assert server["provnet_management_prefixes"] == ["10.38.128.0/18", "2001:db8:2600::/40"]
    assert "provnet_ipv6_migration" not in server
    router = inventory["all"]["hosts"]["th-16540-rtr1"]
    assert "provnet_level_thresholds" not in router and "provnet_ntp_servers" not in router
    plan = router["provnet_ipv6_migration"]
    assert plan["router"] is True
    assert plan["wan"]["vrf"] == "TSLCD-CAP2"
    assert ipaddress.ip_interface(plan["lan"]["ipv6"]).version == 6
    assert plan["acl"]["ipv6"] == ["2001:DB8:2600::/40"]


# --------------------------------------------------------------------------- on the twin

SERVERS = ("th-dc-srv1", "th-dc-srv2", "th-dc-srv3")
WATCHED = "/etc/ssh /etc/apt /etc/chrony /etc/default /etc/rsyslog.d /etc/systemd /etc/security "
WATCHED += "/etc/profile.d /etc/pam.d /usr/share/pam-configs /etc/issue /etc/issue.net "
WATCHED += "/etc/nftables.conf /etc/logrotate.d"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UpResult, ServersView]]:
    """The data centre's servers booted for this module alone: no other test has deployed to
    them (the session's twin_servers are shared with the pyinfra tests)."""
    available, reason = root_available()
    if not available:
        pytest.skip(f"twin servers need root: {reason}")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    state = tmp_path_factory.mktemp("ansible-baseline") / "state"
    limits = ["site=th-dc"]
    up = lab_up(EXAMPLE, limits, state, ipaddress.IPv4Address(f"127.{132 + worker}.0.0"))
    try:
        yield up, ServersView.read(state / NETNS_DIR)
    finally:
        lab_down(state)


def _files(servers: ServersView, name: str) -> str:
    command = f"find {WATCHED} -type f 2>/dev/null | sort | xargs sha256sum"
    return servers.run(name, ["sh", "-c", command], timeout=60).stdout


def _ansible(up: UpResult, tmp: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    journal = tmp / f"journal-{len(list(tmp.glob('journal-*')))}.jsonl"
    env = {"PROVNET_SECRETS_FILE": str(up.secrets_file), "XDG_CACHE_HOME": str(tmp)}
    done = runner.invoke(
        app,
        ["ansible", "run", "baseline", "-i", str(up.overlay), "--forks", "10",
         "--journal", str(journal), *args],
        env=env,
    )  # fmt: skip
    end = read_journal(journal)[-1] if journal.exists() else {}
    return done.exit_code, done.output, end


@pytest.fixture(scope="module")
def runs(
    fresh: tuple[UpResult, ServersView], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """--check --diff (with the files before and after), the apply, the rerun, then
    provnet's own deploy, dry, on the same servers."""
    up, servers = fresh
    tmp = tmp_path_factory.mktemp("ansible-baseline-runs")
    before = {n: _files(servers, n) for n in SERVERS}
    check = _ansible(up, tmp, "--check", "--diff")
    after_check = {n: _files(servers, n) for n in SERVERS}
    applied = _ansible(up, tmp)
    again = _ansible(up, tmp)
    pyinfra = subprocess.run(
        [PROVNET, "servers", "deploy", "baseline", "--dry", "--diff"],
        env={**os.environ, **up.environment(), "COLUMNS": "220"},
        cwd=tmp, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return {
        "check": check,
        "unchanged_by_check": before == after_check,
        "applied": applied,
        "again": again,
        "pyinfra": (pyinfra.returncode, pyinfra.stdout + pyinfra.stderr),
    }


@pytest.mark.root
def test_check_changes_nothing(runs: dict[str, Any]) -> None:
    code, output, end = runs["check"]
    assert code == 0, output
    assert set(end["hosts"]) == set(SERVERS)
    assert all(counts["changed"] > 0 for counts in end["hosts"].values()), end
    assert runs["unchanged_by_check"], "ansible run --check changed a server's files"


@pytest.mark.root
def test_a_run_applies_and_a_rerun_changes_nothing(runs: dict[str, Any]) -> None:
    code, output, end = runs["applied"]
    assert code == 0, output
    assert all(counts["changed"] > 0 for counts in end["hosts"].values()), end
    code, output, end = runs["again"]
    assert code == 0, output
    assert {host: counts["changed"] for host, counts in end["hosts"].items()} == dict.fromkeys(
        SERVERS, 0
    ), output


@pytest.mark.root
def test_the_effects_are_the_baselines(
    fresh: tuple[UpResult, ServersView], runs: dict[str, Any]
) -> None:
    assert runs["applied"][0] == 0
    for name in SERVERS:
        assert_baseline_effects(fresh[1], name)


@pytest.mark.root
def test_pyinfra_finds_nothing_to_change_after_the_role(runs: dict[str, Any]) -> None:
    code, output = runs["pyinfra"]
    assert code == 0, output
    assert output.count("no-change") == len(SERVERS), output
