"""The built-in modules against the province twin, reached as a user would: the exporter
gets the twin's overlay inventory (``--inventory``) and its secrets file, and ``auth=``
names the inventory's SNMP credential set. The twin is read, never changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from inventory.resolve import DeviceView, iter_devices
from inventory.validate import load_valid
from lab.control import UpResult
from tests.exporters.test_exporter_snmpd import (
    Exporter,
    assert_no_canary,
    start_exporter,
    stop_exporter,
    value,
)

HOST = "127.62.0.1"  # this module's exporter address


@pytest.fixture(scope="module")
def devices(twin: UpResult) -> list[DeviceView]:
    # The data-centre Linux servers are real sshd in namespaces, without an SNMP agent.
    views = [
        v
        for v in iter_devices(load_valid(twin.overlay))
        if v.snmp_credentials and not v.platform.startswith("linux")
    ]
    assert views, "the twin has no SNMP device"
    return views


@pytest.fixture(scope="module")
def exporter(tmp_path_factory: pytest.TempPathFactory, twin: UpResult) -> Iterator[Exporter]:
    running = start_exporter(
        tmp_path_factory.mktemp("exporter-twin"),
        "--inventory",
        str(twin.overlay),
        host=HOST,
        env={"PROVNET_SECRETS_FILE": str(twin.secrets_file)},
    )
    try:
        yield running
    finally:
        stop_exporter(running)


def scrape(exporter: Exporter, device: DeviceView, extra: str = "") -> str:
    return exporter.get(
        f"/snmp?target={device.host}:{device.snmp_port}&module=system,if_mib,ip_mib"
        f"&auth={device.snmp_credentials}{extra}"
    )


def test_builtin_modules_on_every_twin_device(
    exporter: Exporter, devices: list[DeviceView]
) -> None:
    for device in devices:
        body = scrape(exporter, device)
        for module in ("system", "if_mib", "ip_mib"):
            assert value(body, f'provnet_snmp_module_success{{module="{module}"}}') == 1, device
        info = re.search(r'^provnet_device_info\{sys_name="([^"]*)",', body, re.MULTILINE)
        assert info, body
        assert info[1], f"{device.name}: empty sysName"
        assert value(body, 'provnet_device_uptime_source_info{source="snmpEngineTime"}') == 1
        assert value(body, "provnet_device_uptime_seconds") >= 0
        assert value(body, "provnet_device_boots_total") >= 1
        ipv6 = value(body, 'provnet_ip_addresses{family="ipv6"}')
        assert value(body, "provnet_ipv6_enabled") == (1 if ipv6 else 0)
        assert value(body, 'provnet_ip_addresses{family="ipv4"}') >= 1, device.name
        assert re.search(
            r'^ifOperStatus\{ifAlias="[^"]*",ifDescr="[^"]+",ifIndex="\d+",'
            r'ifName="[^"]+"\} [12]$',
            body,
            re.MULTILINE,
        ), device.name


def test_uplink_state_follows_if_mib(exporter: Exporter, devices: list[DeviceView]) -> None:
    device = devices[0]
    body = scrape(exporter, device)
    states = re.findall(
        r'^ifOperStatus\{ifAlias="[^"]*",ifDescr="[^"]*",ifIndex="\d+",ifName="([^"]+)"\} (\d)$',
        body,
        re.MULTILINE,
    )
    assert states
    for name, status in states[:3]:
        with_uplink = scrape(exporter, device, f"&uplink={name}")
        expected = 1 if status == "1" else 0
        assert value(with_uplink, f'provnet_level2_uplink_up{{ifName="{name}"}}') == expected
    absent = scrape(exporter, device, "&uplink=NoSuchInterface9/9")
    assert value(absent, 'provnet_level2_uplink_up{ifName="NoSuchInterface9/9"}') == 0


def test_inventory_auths_are_listed_by_name_only(
    exporter: Exporter, devices: list[DeviceView], twin: UpResult
) -> None:
    landing = exporter.get("/")
    assert str(devices[0].snmp_credentials) in landing
    secrets = Path(twin.secrets_file).read_text(encoding="utf-8")
    values = [line.split(":", 1)[1].strip() for line in secrets.splitlines() if ":" in line]
    bodies = landing + exporter.get("/metrics") + scrape(exporter, devices[0])
    for secret in values:
        if len(secret) >= 6:
            assert secret not in bodies
            assert secret not in exporter.log.read_text()
    assert_no_canary(bodies, "twin scrape")
