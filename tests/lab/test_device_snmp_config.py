"""What the SNMP agent answers follows each simulator's configuration (pure, no sockets).

The device keeps ``DeviceState.snmp_communities`` / ``snmp_users`` / sysLocation /
sysContact in step with its configuration lines; the agent reads them on every request
(tests/lab/clients/test_snmp_follows_config.py checks that end to end with net-snmp).
"""

from __future__ import annotations

from lab.device import make_device
from lab.device.cisco_ios import IosDevice
from lab.device.huawei_vrp import VrpDevice
from lab.snmp.engine import SnmpEngine
from lab.snmp.usm import V3User
from tests.lab.test_device_cli import feed, ios_state, vrp_state

USER = V3User("provnet-ro", "SHA256", "auth-pass-1", "AES", "priv-pass-1")


def test_ios_provisioned_then_rotated() -> None:
    state = ios_state()
    state.snmp_communities, state.snmp_users = frozenset({"inv-comm"}), (USER,)
    state.sys_location = "Xã Quảng Ninh / ubnd"
    device = make_device(state)
    assert isinstance(device, IosDevice)
    config = device.running_config()
    assert "snmp-server community inv-comm RO\n" in config
    assert "snmp-server group PROVNET-RO v3 priv\n" in config
    assert "snmp-server user" not in config and "auth-pass-1" not in config
    assert state.snmp_users == (USER,)
    s = device.open_session()
    feed(
        s,
        "configure terminal",
        "snmp-server community new-comm RO",
        "no snmp-server community inv-comm",
        "snmp-server location Phong may",
        "snmp-server user ops PROVNET-RO v3 auth sha-2 256 ops-auth-1 priv aes 256 ops-priv-1",
        "end",
    )
    assert state.snmp_communities == frozenset({"new-comm"})
    assert state.sys_location == "Phong may"
    assert {u.name for u in state.snmp_users or ()} == {"provnet-ro", "ops"}
    ops = next(u for u in state.snmp_users or () if u.name == "ops")
    assert (ops.auth_protocol, ops.priv_protocol) == ("SHA256", "AES256")
    assert feed(s, "conf t", "snmp-server user x G v3 auth sha short", "end") == "R1#"
    assert "x" not in {u.name for u in state.snmp_users or ()}
    s.run("configure terminal")
    assert s.run("snmp-server user x G v3 auth sha short") == (
        "% Password must be at least 8 characters\nR1(config)#"
    )


def test_vrp_provisioned_then_rotated() -> None:
    state = vrp_state()
    state.snmp_communities, state.snmp_users = frozenset({"inv-comm"}), (USER,)
    device = make_device(state)
    assert isinstance(device, VrpDevice)
    config = device.running_config()
    assert " snmp-agent community read cipher %^%#" in config and "inv-comm" not in config
    assert " snmp-agent usm-user v3 provnet-ro authentication-mode sha2-256 cipher" in config
    assert "auth-pass-1" not in config
    assert state.snmp_communities == frozenset({"inv-comm"})
    assert state.snmp_users == (USER,)
    s = device.open_session()
    feed(
        s,
        "system-view",
        "undo snmp-agent sys-info version v2c v3",
        "snmp-agent sys-info version v3",
        "snmp-agent sys-info location Phong may",
        "snmp-agent usm-user v3 provnet-ro authentication-mode sha2-256 new-auth-pass",
        "quit",
    )
    assert state.snmp_communities == frozenset()  # v2c no longer allowed
    assert state.sys_location == "Phong may"
    assert state.snmp_users == (
        V3User("provnet-ro", "SHA256", "new-auth-pass", "AES", "priv-pass-1"),
    )
    feed(s, "system-view", "undo snmp-agent group v3 PROVNET-RO privacy", "quit")
    assert state.snmp_users == ()


def test_the_engine_reads_the_configured_communities_on_each_request() -> None:
    state = ios_state()
    engine = SnmpEngine(state, communities=("endpoint",))
    state.snmp_communities = None
    assert engine._v2c_allowed(b"endpoint")
    state.snmp_communities = frozenset({"configured"})
    assert engine._v2c_allowed(b"configured") and not engine._v2c_allowed(b"endpoint")
