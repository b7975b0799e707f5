"""`net backup` into a real git repository, devices from the fake backend of conftest.py
(a mock of the platform layer; test_apply_twin.py backs up the twin through the CLI)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deploys.network.backup import backup_path, run_backup
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from tests.deploys.conftest import CANARY, FakeBackend, FakeDevice


def _log(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def test_one_commit_per_run_only_when_something_changed(
    views: list[DeviceView], fakes: dict[str, FakeDevice], redactor: Redactor, tmp_path: Path
) -> None:
    repo = tmp_path / "backups"
    backend = FakeBackend(fakes)
    routers = [v for v in views if v.role.value == "wan_router"]
    first = run_backup(backend, routers, repo, redactor)
    assert first.commit is not None and not first.failed
    assert _log(repo) == ["backup: 2 of 2 device configurations changed"]
    assert (repo / "province" / "th-dc" / "th-dc-rtr1.cfg").is_file()
    assert (repo / "14758" / "th-14758-ubnd" / "th-14758-rtr1.cfg").is_file()
    telco = next(r for r in first.results if r.device == "th-14845-rtr1")
    assert telco.skipped == "telco" and fakes["th-14845-rtr1"].connects == 0

    again = run_backup(backend, routers, repo, redactor)
    assert again.commit is None and again.changed == []
    assert len(_log(repo)) == 1

    fakes["th-14758-rtr1"].config["ntp server 10.38.224.1"] = []
    third = run_backup(backend, routers, repo, redactor)
    assert third.changed == ["14758/th-14758-ubnd/th-14758-rtr1.cfg"]
    assert _log(repo)[0] == "backup: 1 of 2 device configurations changed"


def test_secrets_are_masked_and_a_failing_device_does_not_stop_the_others(
    views: list[DeviceView], fakes: dict[str, FakeDevice], redactor: Redactor, tmp_path: Path
) -> None:
    fakes["th-14758-rtr1"].config["snmp-server community public RO"] = []
    fakes["th-14758-rtr1"].config[f"snmp-server location {CANARY}"] = []
    backend = FakeBackend(fakes)
    real_connect = backend.connect

    def connect(device: DeviceView):  # type: ignore[no-untyped-def]
        if device.name == "th-dc-rtr1":
            raise ConnectionRefusedError(f"refused (login {CANARY})")
        return real_connect(device)

    backend.connect = connect  # type: ignore[method-assign]
    routers = [v for v in views if v.role.value == "wan_router"]
    report = run_backup(backend, routers, tmp_path / "repo", redactor)
    assert [r.device for r in report.failed] == ["th-dc-rtr1"]
    assert CANARY not in report.failed[0].error
    text = (tmp_path / "repo" / backup_path(routers[1])).read_text(encoding="utf-8")
    assert "snmp-server community ******** RO" in text
    assert CANARY not in text and "<secret:snmp-v3-ro.auth_password>" in text


def test_a_linux_server_is_skipped_not_failed(
    views: list[DeviceView], fakes: dict[str, FakeDevice], redactor: Redactor, tmp_path: Path
) -> None:
    """A whole site's backup (its servers included) backs up the network devices and says
    the servers are not network devices; it used to fail on their platform."""
    site = [v for v in views if v.site.id == "th-dc"]
    servers = [v.name for v in site if v.role.value == "server"]
    assert servers
    report = run_backup(FakeBackend(fakes), site, tmp_path / "backups", redactor)
    assert not report.failed
    skipped = {r.device: r.skipped for r in report.results if r.skipped}
    assert {name: skipped.get(name) for name in servers} == dict.fromkeys(
        servers, "linux: not a network device"
    )
    assert all(fakes[name].connects == 0 for name in servers if name in fakes)
    assert report.commit is not None
