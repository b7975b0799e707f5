"""NAPALM's `ios` driver against the twin's cisco_ios router, as an engineer runs it.

Nothing here is provnet's code on the client side: napalm opens its own Netmiko session,
copies the candidate to flash: over SCP on a second SSH connection (netmiko's
FileTransfer), checks it with `dir` and `verify /md5`, diffs it with `show archive config
differences` / `incremental-diffs`, commits with `copy ... running-config` or `configure
replace ... force revert trigger error`, and rolls back from the file it saved first.
The twin runs in its own process (``provnet lab up``) on 127.(210+worker).x.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import napalm
import pytest
from napalm.base.exceptions import CommandErrorException
from netmiko import ConnectHandler, file_transfer

from tests.platforms.twin import TwinDevices, own_twin, worker_base

# Quảng Ninh (Thanh Hóa): a cisco_ios WAN router, a cisco_ios switch, a VC endpoint.
LIMIT = ("commune=16540",)
ROUTER = "th-16540-rtr1"

MERGE = (
    "interface Loopback77\n description napalm-merge\n ip address 10.77.77.1 255.255.255.255\nend\n"
)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinDevices]:
    state = tmp_path_factory.mktemp("napalm-twin") / "state"
    with own_twin(state, worker_base(210), LIMIT) as devices:
        yield devices


def _netmiko(twin: TwinDevices) -> dict[str, object]:
    p = twin.params[ROUTER]
    return {
        "port": p.port,
        "secret": p.secret,
        "ssh_strict": True,
        "alt_host_keys": True,
        "alt_key_file": str(twin.known_hosts),
    }


@pytest.fixture
def driver(twin: TwinDevices) -> Iterator[napalm.base.NetworkDriver]:
    p = twin.params[ROUTER]
    device = napalm.get_network_driver("ios")(
        p.host, p.username, p.password, timeout=30, optional_args=_netmiko(twin)
    )
    device.open()
    try:
        yield device
    finally:
        device.close()


def _running(driver: napalm.base.NetworkDriver) -> str:
    return str(driver.get_config(retrieve="running")["running"])


def test_the_change_workflow_of_napalm_runs_as_on_a_router(
    driver: napalm.base.NetworkDriver,
) -> None:
    # A router without `ip scp server enable` refuses the copy: napalm says so.
    with pytest.raises(CommandErrorException, match="ip scp server enable"):
        driver.load_merge_candidate(config=MERGE)
    driver.device.send_config_set(
        ["ip scp server enable", "archive", " path flash:archive", " write-memory"]
    )
    before = _running(driver)
    assert "Loopback77" not in before

    # Merge: SCP to flash:, incremental diff, `copy flash:... running-config`, saved.
    driver.load_merge_candidate(config=MERGE)
    assert driver.compare_config() == (
        "+interface Loopback77\n+ description napalm-merge\n+ ip address 10.77.77.1 255.255.255.255"
    )
    driver.commit_config()
    merged = _running(driver)
    assert "interface Loopback77\n description napalm-merge\n ip address 10.77.77.1" in merged
    startup = str(driver.get_config(retrieve="startup")["startup"])
    assert startup.startswith("Using ")  # IOS heads it with its NVRAM use; napalm keeps it
    assert startup.split("\n", 1)[1] == merged
    assert driver.compare_config() == ""  # the merge file holds nothing new now

    # Rollback: `configure replace flash:/rollback_config.txt force`, then saved.
    driver.rollback()
    assert "Loopback77" not in _running(driver)

    # Replace: the whole configuration, diffed line by line against the running one.
    hostname = next(ln for ln in before.splitlines() if ln.startswith("hostname "))
    candidate = before.replace(hostname, "hostname QN-RTR-NEW").replace(
        "ip ssh version 2", "ip ssh version 2\nip ssh time-out 30"
    )
    driver.load_replace_candidate(config=candidate)
    diff = driver.compare_config()
    assert "+hostname QN-RTR-NEW" in diff
    assert f"-{hostname}" in diff
    assert "+ip ssh time-out 30" in diff
    driver.discard_config()  # the candidate becomes the running configuration again
    assert driver.compare_config() == ""
    assert "QN-RTR-NEW" not in _running(driver)

    driver.load_replace_candidate(config=candidate)
    driver.commit_config()
    assert driver.get_facts()["hostname"] == "QN-RTR-NEW"
    assert "ip ssh time-out 30" in _running(driver)
    driver.rollback()
    assert driver.get_facts()["hostname"] == hostname.split()[1]
    # napalm turned `file prompt quiet` on for its file operations (the rollback file
    # holds it); closing turns it off again, leaving the router as it found it.
    assert "file prompt quiet" in _running(driver)
    driver.close()
    driver.open()
    assert _running(driver) == before


def test_files_come_back_from_flash_over_scp(twin: TwinDevices, tmp_path: Path) -> None:
    p = twin.params[ROUTER]
    conn = ConnectHandler(
        device_type="cisco_ios",
        host=p.host,
        username=p.username,
        password=p.password,
        **_netmiko(twin),  # type: ignore[arg-type]
    )
    try:
        conn.enable()
        conn.send_config_set(["ip scp server enable", "file prompt quiet"])
        conn.send_command("copy running-config flash:/backup.cfg")
        target = tmp_path / "backup.cfg"
        result = file_transfer(
            conn,
            source_file="backup.cfg",
            dest_file=str(target),
            file_system="flash:",
            direction="get",
        )
        assert result["file_exists"] and result["file_verified"]
        running = conn.send_command("show running-config")
        assert target.read_text(encoding="utf-8").strip() in running
        conn.send_command("delete flash:/backup.cfg")
        assert "No such file" in conn.send_command("dir flash:/backup.cfg")
    finally:
        conn.disconnect()
