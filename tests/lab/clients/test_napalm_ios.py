"""NAPALM's `ios` driver against the twin's cisco_ios router, as an engineer runs it.

Nothing here is provnet's code on the client side: napalm opens its own Netmiko session,
copies the candidate to flash: over SCP on a second SSH connection (netmiko's
FileTransfer), checks it with `dir` and `verify /md5`, diffs it with `show archive config
differences` / `incremental-diffs`, commits with `copy ... running-config` or `configure
replace ... force revert trigger error`, and rolls back from the file it saved first.
The twin runs in its own process (``provnet lab up``) on 127.(210+worker).x.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import napalm
import paramiko
import pytest
import scp
from napalm.base import NetworkDriver
from napalm.base.exceptions import CommandErrorException, ReplaceConfigException
from netmiko import ConnectHandler, file_transfer

from lab.twin import spec_from_json
from tests.lab.clients.conftest import ROUTER
from tests.platforms.twin import TwinDevices

MERGE = (
    "interface Loopback77\n description napalm-merge\n ip address 10.77.77.1 255.255.255.255\nend\n"
)


@pytest.fixture
def driver(twin: TwinDevices, netmiko_options: dict[str, object]) -> Iterator[NetworkDriver]:
    p = twin.params[ROUTER]
    device = napalm.get_network_driver("ios")(
        p.host, p.username, p.password, timeout=30, optional_args=netmiko_options
    )
    device.open()
    try:
        yield device
    finally:
        device.close()


def _running(driver: NetworkDriver) -> str:
    return str(driver.get_config(retrieve="running")["running"])


def test_the_change_workflow_of_napalm_runs_as_on_a_router(
    driver: NetworkDriver,
) -> None:
    # A router without `ip scp server enable` refuses the copy: napalm says so.
    driver.device.send_config_set(["no ip scp server enable"])
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

    # A candidate the router refuses (a typo) is rolled back by IOS; napalm says so.
    driver.load_replace_candidate(config=candidate.replace("ip ssh time-out 30", "ip sssh 30"))
    with pytest.raises(ReplaceConfigException, match="successfully restored"):
        driver.commit_config()
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


def test_commit_confirm_and_revert(driver: NetworkDriver) -> None:
    """napalm's `commit_config(revert_in=...)`: IOS's revert timer, confirmed or reverted."""
    driver.device.send_config_set(["ip scp server enable", "archive", " path flash:archive"])
    driver.load_merge_candidate(config="interface Loopback88\n description confirm-me\nend\n")
    driver.commit_config(revert_in=120)
    assert driver.has_pending_commit()
    assert driver._get_pending_commits()["timer"] == "2 min"
    driver.confirm_commit()
    assert not driver.has_pending_commit()
    assert "interface Loopback88\n description confirm-me" in _running(driver)

    driver.load_merge_candidate(config="interface Loopback89\n description revert-me\nend\n")
    driver.commit_config(revert_in=60)
    assert "Loopback89" in _running(driver)
    driver.rollback()  # a pending commit: `configure revert now`
    running = _running(driver)
    assert "Loopback89" not in running and "Loopback88" in running
    assert not driver.has_pending_commit()
    driver.device.send_config_set(["no interface Loopback88"])  # leave the router as found


def test_files_come_back_from_flash_over_scp(
    twin: TwinDevices, netmiko_options: dict[str, object], tmp_path: Path
) -> None:
    p = twin.params[ROUTER]
    conn = ConnectHandler(
        device_type="cisco_ios",
        host=p.host,
        username=p.username,
        password=p.password,
        **netmiko_options,  # type: ignore[arg-type]
    )
    try:
        conn.enable()
        # Without `ip scp server enable` the router refuses SCP (and SFTP, which IOS lacks).
        conn.send_config_set(["no ip scp server enable"])
        transport = paramiko.SSHClient()
        transport.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # loopback twin
        transport.connect(
            p.host,
            port=p.port,
            username=p.username,
            password=p.password,
            look_for_keys=False,
            allow_agent=False,
        )
        try:
            with pytest.raises(scp.SCPException, match="Permission denied"):
                scp.SCPClient(transport.get_transport()).putfo(io.BytesIO(b"x"), "flash:/x")
            sftp = transport.open_sftp()
            with pytest.raises(PermissionError):
                sftp.stat("flash:/")
        finally:
            transport.close()
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


def test_getters_read_what_the_router_has(driver: NetworkDriver, twin: TwinDevices) -> None:
    """Every getter a provincial engineer uses, compared with the twin's own plan (the
    addresses it gave the router) and with what the router was told over SSH."""
    planned = spec_from_json((twin.up.state_dir / "twin.json").read_text(encoding="utf-8"))
    plan = {i["name"]: i for i in planned.device(ROUTER).interfaces}
    facts = driver.get_facts()
    assert facts["vendor"] == "Cisco" and facts["hostname"] == ROUTER
    assert facts["interface_list"] == sorted(plan)

    driver.device.send_config_set(
        ["interface GigabitEthernet0/1", " ipv6 address 2001:db8:2600:42::1/64"]
    )
    addresses = driver.get_interfaces_ip()
    for name, interface in plan.items():
        ip, length = interface["ipv4"][0].split("/")
        assert addresses[name]["ipv4"] == {ip: {"prefix_length": int(length)}}
    v6 = addresses["GigabitEthernet0/1"]["ipv6"]
    assert v6["2001:db8:2600:42::1"] == {"prefix_length": 64}
    assert [a for a in v6 if a.startswith("fe80::")] and len(v6) == 2

    macs = {n: i["mac_address"] for n, i in driver.get_interfaces().items()}
    arp = driver.get_arp_table()
    assert {(e["interface"], e["ip"], e["mac"], e["age"]) for e in arp} == {
        (n, i["ipv4"][0].split("/")[0], macs[n], -1.0)
        for n, i in plan.items()
        if not n.startswith("Loopback")
    }

    environment = driver.get_environment()
    assert 0 < environment["cpu"][0]["%usage"] < 100
    assert 0 < environment["memory"]["used_ram"] < environment["memory"]["available_ram"]

    snmp = driver.get_snmp_information()
    assert snmp["chassis_id"] == facts["serial_number"]
    assert snmp["location"] == planned.device(ROUTER).commune_name + " / th-16540-ubnd"
    assert snmp["community"] == {}  # the province uses SNMPv3 only

    loopback = plan["Loopback0"]["ipv4"][0].split("/")[0]
    route = driver.get_route_to(f"{loopback}/32")[f"{loopback}/32"]
    assert [(r["protocol"], r["outgoing_interface"], r["next_hop"]) for r in route] == [
        ("connected", "Loopback0", "")
    ]
    assert driver.get_route_to("192.0.2.1") == {}  # no route, no default: nothing

    assert driver.get_lldp_neighbors() == {}  # LLDP is off on IOS routers by default
    assert driver.cli(["show lldp neighbors"])["show lldp neighbors"] == ("% LLDP is not enabled")
    assert driver.get_users()["admin"]["level"] == 15
    assert driver.get_ntp_servers() == {}
    driver.device.send_config_set(["ntp server 10.38.224.1", "ntp server 10.38.224.2"])
    assert driver.get_ntp_servers() == {"10.38.224.1": {}, "10.38.224.2": {}}


@pytest.mark.parametrize(
    ("command", "field", "expected"),
    [
        ("show ip interface", "interface", "GigabitEthernet0/0"),
        ("show ip arp", "interface", "GigabitEthernet0/0"),
        ("show processes cpu", "process_name", "IP Input"),
        ("show ip route 10.0.0.0", "network", None),
    ],
)
def test_ntc_templates_parse_the_new_commands(
    driver: NetworkDriver, command: str, field: str, expected: str | None
) -> None:
    """ntc-templates (through Netmiko's use_textfsm) reads what the twin prints."""
    parsed = driver.device.send_command(command, use_textfsm=True)
    if expected is None:  # no route: IOS prints an error, the template returns text
        assert parsed == "% Network not in table"
        return
    assert isinstance(parsed, list) and parsed, parsed
    assert expected in {row[field] for row in parsed}
