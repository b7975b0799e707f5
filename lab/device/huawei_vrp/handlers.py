"""Huawei VRP configuration commands that are more than setting a line: each a function of
the shared handler signature (``lab.device.base.ConfigHandler``), found by the action its
command table names (``HANDLERS``). Plain lines (action ``set``) need none.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from lab.device.base import ConfigHandler, Reply, hash_secret
from lab.device.config import ConfigNode, starts_with
from lab.device.grammar import Match, ParseError, Spec
from lab.device.huawei_vrp.grammar import CATALOG

if TYPE_CHECKING:
    from lab.device.huawei_vrp.session import VrpSession


def sysname(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    name = "Huawei" if negate else m.args[0]
    session.device.editor.set_leaf(["sysname", name], m.spec, False, parent, "system")
    session.device.state.hostname = name
    return Reply("", session.prompt)


def interface(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    name = m.args[0]
    physical = CATALOG.is_physical(name)
    if negate and physical and "." not in name:
        return Reply(session.wrong(m.positions[1]), session.prompt)
    switch_port = session.device.is_switch_port(name)
    if switch_port and "." in name:
        return Reply(session.wrong(m.positions[1]), session.prompt)
    view = "l2if" if switch_port else "if"
    return session.enter(["interface", name], view, negate, parent, name)


def no_interface(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """An interface the box does not have (and cannot create): VRP points at its name."""
    return Reply(session.wrong(m.positions[1]), session.prompt)


def vlan_numbers(text: str) -> list[int] | None:
    """``10 20 to 22`` -> [10, 20, 21, 22]; None if a number is not a VLAN (1-4094)."""
    words, out = text.split(), list[int]()
    i = 0
    while i < len(words):
        if not words[i].isdigit():
            return None
        first = last = int(words[i])
        if i + 2 < len(words) and words[i + 1] == "to" and words[i + 2].isdigit():
            last = int(words[i + 2])
            i += 2
        if not 1 <= first <= last <= 4094:
            return None
        out += range(first, last + 1)
        i += 1
    return out


def vlan_text(numbers: list[int]) -> str:
    """[10, 20, 21, 22] -> ``10 20 to 22``, as VRP prints a `vlan batch` line."""
    parts: list[str] = []
    for n in sorted(set(numbers)):
        if parts and parts[-1].split()[-1] == str(n - 1):
            head = parts[-1].split(" to ")[0]
            parts[-1] = f"{head} to {n}"
        else:
            parts.append(str(n))
    return " ".join(parts)


def configured_vlans(session: VrpSession) -> list[int]:
    node = next(iter(session.device.config.sections("vlan", "batch")), None)
    return vlan_numbers(node.text.split(None, 2)[2]) or [] if node is not None else []


def _store_vlans(session: VrpSession, numbers: list[int]) -> None:
    config = session.device.config
    for node in config.sections("vlan", "batch"):
        config.remove_top(node)
    wanted = [n for n in numbers if n != 1]
    if wanted:
        session.device.editor.insert_top(ConfigNode(f"vlan batch {vlan_text(wanted)}"))


def vlan_batch(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    numbers = vlan_numbers(m.args[0])
    if numbers is None:
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    have = configured_vlans(session)
    kept = [n for n in have if n not in numbers] if negate else [*have, *numbers]
    _store_vlans(session, kept)
    return Reply(
        "Info: This operation may take a few seconds. Please wait for a moment...done.\n"
        if not negate
        else "",
        session.prompt,
    )


def vlan(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    number = int(m.args[0])
    if not 1 <= number <= 4094:
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    have = configured_vlans(session)
    if negate:
        _store_vlans(session, [n for n in have if n != number])
        session.device.editor.remove_section(parent, f"vlan {number}")
        return Reply("", session.prompt)
    if number not in have:
        _store_vlans(session, [*have, number])
    return session.enter(["vlan", str(number)], "vlan", False, parent, f"vlan{number}")


def port_link_type(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    if not negate and m.args[0] not in ("access", "trunk", "hybrid", "dot1q-tunnel"):
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    session.device.editor.set_leaf(words, m.spec, negate, parent, "l2if")
    return Reply("", session.prompt)


def port_vlan(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """`port default vlan N`, `port trunk pvid vlan N`: the VLAN must exist, as on an S
    switch (`port trunk allow-pass vlan` takes VLANs not created yet)."""
    numbers = vlan_numbers(" ".join(words[4:] if words[1] == "trunk" else words[3:]))
    if numbers is None:
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    have = {1, *configured_vlans(session)}
    if not negate and words[2:3] != ["allow-pass"] and not set(numbers) <= have:
        return Reply("Error: The VLAN does not exist.\n", session.prompt)
    session.device.editor.set_leaf(words, m.spec, negate, parent, "l2if")
    return Reply("", session.prompt)


def if_ipv6_enable(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """IPv6 on an interface needs IPv6 on the box first (`ipv6` in the system view)."""
    if not negate and session.device.config.find("ipv6") is None:
        return Reply("Error: Please enable IPv6 in the system view first.\n", session.prompt)
    session.device.editor.set_leaf(words, m.spec, negate, parent, "if")
    return Reply("", session.prompt)


def user_interface(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    if negate:
        return Reply(session.error(ParseError("invalid", m.positions[0]), ""), session.prompt)
    kind = words[1]
    view = f"ui-{'console' if kind == 'con' else kind}{'-'.join(words[2:])}"
    return session.enter(words, "ui", False, parent, view)


def ospf(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    if len(words) == 1:
        words = [words[0], "1"]
    mode = m.spec.mode or "ospf"
    return session.enter(words, mode, negate, parent, f"{words[0]}-{words[1]}")


def area(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    area = words[1]
    try:
        area = str(ipaddress.IPv4Address(int(area) if area.isdigit() else area))
    except ValueError:
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    prefix = session.frames[-1].view
    return session.enter(["area", area], "area", negate, parent, f"{prefix}-area-{area}")


def acl(session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
    number = int(m.args[0])
    if not 2000 <= number <= 5999:
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    kind = "basic" if number < 3000 else "adv" if number < 4000 else "link"
    return session.enter(
        ["acl", "number", str(number)], "acl", negate, parent, f"acl-{kind}-{number}"
    )


def vpn_binding(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """Binding an interface to a VPN instance (or unbinding it) drops its addresses."""
    if not negate and not session.device.vpn_exists(m.args[0]):
        return Reply("Error: The VPN instance does not exist.\n", session.prompt)
    if not negate and parent.child(" ".join(words)) is not None:
        return Reply("", session.prompt)
    session.device.editor.set_leaf(words, m.spec, negate, parent, "if")
    notes = []
    for family, prefix in (("IPv4", "ip"), ("IPv6", "ipv6")):
        gone = [c for c in parent.children if c.words[:2] == [prefix, "address"]]
        for child in gone:
            parent.children.remove(child)
        if gone:
            notes.append(
                f"Info: All {family} related configurations on this interface are removed!"
            )
    return Reply("".join(n + "\n" for n in notes), session.prompt)


def acl6(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    number = int(m.args[0])
    if not 2000 <= number <= 3999:
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    kind = "basic" if number < 3000 else "adv"
    text = ["acl", "ipv6", "number", str(number)]
    return session.enter(text, "acl", negate, parent, f"acl6-{kind}-{number}")


def vpn_instance(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    name = m.args[0]
    return session.enter(
        ["ip", "vpn-instance", name], "vpn", negate, parent, f"vpn-instance-{name}"
    )


def vpn_af(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    family = words[0].removesuffix("-family")
    view = f"{session.frames[-1].view}-af-{family}"
    return session.enter(words, "vpn-af", negate, parent, view)


def usm_key(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """A USM key is stored as a cipher, as VRP stores it; the typed key is never shown (the
    device keeps it apart, for its agent)."""
    head = ["snmp-agent", "usm-user", "v3", m.args[0], words[4], m.args[1]]
    keys = session.device.usm_keys
    if negate:
        session.device.editor.set_leaf(head[:5], m.spec, True, parent, "system")
        keys.pop((m.args[0], words[4]), None)
        return Reply("", session.prompt)
    key = m.args[2].split()[-1]
    if not (key.startswith("%^%#") and key.endswith("%^%#")):
        keys[(m.args[0], words[4])] = (m.args[1].lower(), key)
        key = f"%^%#{hash_secret(key, m.args[0])[:40]}%^%#"
    stored = [*head, "cipher", key]
    session.device.editor.set_leaf(
        stored, Spec(("snmp-agent",), "set", key=5), False, parent, "system"
    )
    return Reply("", session.prompt)


def rule(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    rest = m.args[0].split()
    if negate:
        if rest and rest[0].isdigit():
            session.device.editor.set_leaf(["rule", rest[0]], m.spec, True, parent, "acl")
        return Reply("", session.prompt)
    if not rest[0].isdigit():
        used = [
            int(c.words[1])
            for c in parent.children
            if len(c.words) > 1 and c.words[0] == "rule" and c.words[1].isdigit()
        ]
        rest = [str((max(used, default=0) // 5 + 1) * 5), *rest]
    if rest[1:2] not in (["permit"], ["deny"]):
        return Reply(session.wrong(m.positions[1]), session.prompt)
    session.device.editor.set_leaf(
        ["rule", *rest], Spec(("rule",), "set", key=2), False, parent, "acl"
    )
    return Reply("", session.prompt)


def route_static(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    if words[2:3] == ["vpn-instance"] and not negate and not session.device.vpn_exists(words[3]):
        return Reply("Error: The VPN instance does not exist.\n", session.prompt)
    session.device.editor.set_leaf(words, m.spec, negate, parent, "system")
    return Reply("", session.prompt)


def if_ip(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    name = parent.text.split(None, 1)[1]
    addresses = [
        c for c in parent.children if c.words[:2] == ["ip", "address"] and len(c.words) >= 4
    ]
    if negate:
        doomed = (
            addresses if len(words) == 2 else [c for c in addresses if starts_with(c.words, words)]
        )
        if len(words) > 2 and not doomed:
            return Reply("Error: The address does not exist.\n", session.prompt)
        for child in doomed:
            parent.children.remove(child)
        session.device.manual_addresses.add(name)
        return Reply("", session.prompt)
    try:
        net = ipaddress.IPv4Interface(f"{words[2]}/{words[3]}").network
    except ValueError:
        return Reply(session.wrong(m.positions[2]), session.prompt)
    for other in session.device.state.interfaces.values():
        if other.name != name and any(a.network.overlaps(net) for a in other.ipv4):
            return Reply(
                "Error: The specified IP address conflicts with another address.\n", session.prompt
            )
    new = ConfigNode(" ".join(words))
    primary = [c for c in addresses if "sub" not in c.words]
    if "sub" in words:
        if not primary:
            return Reply("Error: Please configure the primary address first.\n", session.prompt)
        same = [c for c in addresses if c.words[2:4] == words[2:4]]
        if same:
            same[0].text = new.text
        else:
            parent.children.insert(parent.children.index(addresses[-1]) + 1, new)
    elif primary:
        primary[0].text = new.text
    else:
        session.device.editor.insert_child(parent, new, "if")
    session.device.manual_addresses.add(name)
    return Reply("", session.prompt)


def if_ipv6_len(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    length = int(m.args[1]) if len(m.args) > 1 else 0
    if not 1 <= length <= 128:
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    canon = ["ipv6", "address", f"{m.args[0]}/{length}"]
    session.device.editor.set_leaf(canon, Spec(("ipv6",), "set", key=3), negate, parent, "if")
    return Reply("", session.prompt)


def local_user(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    user = m.args[0]
    if negate:
        session.device.editor.set_leaf(["local-user", user], m.spec, True, parent, "aaa")
        return Reply("", session.prompt)
    kind = m.args[1]
    if kind not in ("irreversible-cipher", "cipher", "simple"):
        return Reply(session.wrong(m.positions[3]), session.prompt)
    value = m.args[2].split()[-1]
    pasted = re.fullmatch(r"\$1[a-z]\$\S+\$", value) is not None
    digest = value if pasted else f"$1c${hash_secret(value, user)}$"
    stored = ["local-user", user, "password", "irreversible-cipher", digest]
    session.device.editor.set_leaf(
        stored, Spec(("local-user",), "set", key=3), False, parent, "aaa"
    )
    return Reply("", session.prompt)


def undo_command_privilege(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """``undo command-privilege view VIEW COMMAND``: the command back to its default level
    (only the ``undo`` form has these words)."""
    if not negate:  # `command-privilege view ...`: `level` is missing where `view` stands
        return Reply(session.error(ParseError("invalid", m.positions[1]), ""), session.prompt)
    view, command = m.args[0], m.args[1].split()
    parent.children = [
        c
        for c in parent.children
        if not (
            c.words[:2] == ["command-privilege", "level"]
            and c.words[3:] == ["view", view, *command]
        )
    ]
    return Reply("", session.prompt)


def ui_acl(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """``acl [ipv6] N inbound`` replaces the ACL of that direction; ``undo acl [ipv6]
    [N] inbound`` removes it."""
    direction = words[-1]
    if direction not in ("inbound", "outbound"):
        return Reply(session.wrong(m.positions[-1]), session.prompt)
    numbered = len(words) > (3 if "ipv6" in words else 2)
    if not negate and not numbered:
        return Reply(session.error(ParseError("incomplete", m.positions[-1]), ""), session.prompt)
    ipv6 = words[1:2] == ["ipv6"]
    same = [
        c
        for c in parent.children
        if c.words[:1] == ["acl"]
        and c.words[-1] == direction
        and (c.words[1:2] == ["ipv6"]) == ipv6
    ]
    for child in same[1:] if not negate else same:
        parent.children.remove(child)
    if not negate:
        if same:
            same[0].text = " ".join(words)
        else:
            session.device.editor.insert_child(parent, ConfigNode(" ".join(words)), "ui")
    return Reply("", session.prompt)


def ui_password(
    session: VrpSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    key = ["set", "authentication", "password"]
    if negate:
        session.device.editor.set_leaf(key, m.spec, True, parent, "ui")
        return Reply("", session.prompt)
    stored = [*key, "cipher", f"%^%#{hash_secret(m.args[0], 'ui')[:40]}%^%#"]
    session.device.editor.set_leaf(stored, Spec(("set",), "set", key=3), False, parent, "ui")
    return Reply("", session.prompt)


HANDLERS: dict[str, ConfigHandler[VrpSession]] = {
    "sysname": sysname,
    "interface": interface,
    "no_interface": no_interface,
    "vlan_batch": vlan_batch,
    "vlan": vlan,
    "port_link_type": port_link_type,
    "port_vlan": port_vlan,
    "if_ipv6_enable": if_ipv6_enable,
    "user_interface": user_interface,
    "ospf": ospf,
    "area": area,
    "acl": acl,
    "vpn_binding": vpn_binding,
    "acl6": acl6,
    "vpn_instance": vpn_instance,
    "vpn_af": vpn_af,
    "usm_key": usm_key,
    "rule": rule,
    "route_static": route_static,
    "if_ip": if_ip,
    "if_ipv6_len": if_ipv6_len,
    "local_user": local_user,
    "undo_command_privilege": undo_command_privilege,
    "ui_acl": ui_acl,
    "ui_password": ui_password,
}
