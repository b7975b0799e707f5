"""Cisco IOS configuration commands that are more than setting a line: each a function of
the shared handler signature (``lab.device.base.ConfigHandler``), found by the action its
command table names (``HANDLERS``). Plain lines (action ``set``) need none.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from lab.device.base import ConfigHandler, Frame, Reply, fake_hash, hash_secret
from lab.device.cisco_ios.grammar import CATALOG, child_mode
from lab.device.config import ConfigNode, starts_with
from lab.device.grammar import Match, ParseError, Spec
from lab.snmp.usm import UsmError, V3User

if TYPE_CHECKING:
    from lab.device.cisco_ios.device import IosDevice
    from lab.device.cisco_ios.session import IosSession


def do_exec(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    start = m.positions[1] if len(m.positions) > 1 else len(m.words[0]) + 1
    reply = session.exec_line(m.args[0], from_config=True, offset=start)
    return Reply(
        reply.output, session.prompt if not reply.close else reply.prompt, close=reply.close
    )


def end_config(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    session.frames = []
    return Reply("", session.prompt)


def exit_mode(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    session.frames.pop()
    return Reply("", session.prompt)


def hostname(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    name = "Router" if negate else m.args[0]
    session.set_leaf(["hostname", name], m.spec, False, parent, "config")
    session.device.state.hostname = name
    return Reply("", session.prompt)


def interface(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    name = m.args[0]
    physical = CATALOG.is_physical(name)
    switch = session.device.model.switch
    if (switch and physical and "." in name) or (not switch and name.startswith("Vlan")):
        # a switch port has no sub-interfaces; a router (no switch module) no VLAN interface
        return Reply(session.error(ParseError("invalid", m.positions[1]), ""), session.prompt)
    if negate and physical and "." not in name:
        return Reply("% Removal of physical interfaces is not permitted\n", session.prompt)
    text = f"interface {name}"
    l2_port = switch and physical
    if not negate:
        session.device.editor.section(parent, text, "config", [] if l2_port else ["no ip address"])
    mode = "l2if" if l2_port else "subif" if "." in name else "if"
    return session.enter_section(
        ["interface", name],
        Spec(("interface",), "set", mode=mode),
        negate,
        parent,
        session.frames[-1],
    )


def if_ip(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    mode = session.frames[-1].mode
    name = parent.text.split(None, 1)[1]
    addresses = [c for c in parent.children if c.words[:2] == ["ip", "address"]]
    secondary = "secondary" in words
    if negate:
        if len(words) == 2:
            doomed = addresses
        else:
            doomed = [c for c in addresses if starts_with(c.words, words)]
        for child in doomed:
            parent.children.remove(child)
        if (
            not any(
                "secondary" not in c.words
                for c in parent.children
                if c.words[:2] == ["ip", "address"]
            )
            and parent.child("no ip address") is None
        ):
            for child in [c for c in parent.children if c.words[:2] == ["ip", "address"]]:
                parent.children.remove(child)
            session.device.editor.insert_child(
                parent, ConfigNode("no ip address"), child_mode(mode)
            )
        session.device.manual_addresses.add(name)
        return Reply("", session.prompt)
    new = ConfigNode(" ".join(words))
    if words[2:3] != ["dhcp"]:
        bad = bad_mask(words[2], words[3])
        if bad is not None:
            return Reply(bad, session.prompt)
        overlap = _overlap(session.device, name, words[2], words[3])
        if overlap is not None:
            return Reply(f"% {overlap}\n", session.prompt)
    primary = [c for c in addresses if "secondary" not in c.words]
    if secondary:
        if not primary:
            return Reply("% Primary address must be configured first\n", session.prompt)
        same = [c for c in addresses if c.words[2:4] == words[2:4]]
        if same:
            same[0].text = new.text
        else:
            idx = parent.children.index(addresses[-1]) + 1
            parent.children.insert(idx, new)
    else:
        no_line = parent.child("no ip address")
        if no_line is not None:
            parent.children.remove(no_line)
        if primary:
            primary[0].text = new.text
        else:
            session.device.editor.insert_child(parent, new, child_mode(mode))
    session.device.manual_addresses.add(name)
    return Reply("", session.prompt)


def bad_mask(addr: str, mask: str) -> str | None:
    """What IOS says of an address its mask does not fit: a mask that is not contiguous
    (``Bad mask 0xFF00FF00 for address ...``) or the subnet's own or broadcast address
    (``% Bad mask /30 for address ...``); None if the pair is a host address."""
    bits = int(ipaddress.IPv4Address(mask))
    inverted = ~bits & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return f"Bad mask 0x{bits:08X} for address {addr}\n"
    net = ipaddress.IPv4Interface(f"{addr}/{mask}").network
    host = ipaddress.IPv4Address(addr)
    if net.prefixlen < 31 and host in (net.network_address, net.broadcast_address):
        return f"% Bad mask /{net.prefixlen} for address {addr}\n"
    return None


def switchport_vlan(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """An access VLAN that does not exist yet is created, as a Catalyst does (and says)."""
    vlan = int(m.args[0])
    if not 1 <= vlan <= 4094:
        return Reply(session.error(ParseError("invalid", m.positions[-1]), ""), session.prompt)
    note = ""
    config = session.device.config
    if not negate and vlan != 1 and config.find(f"vlan {vlan}") is None:
        session.device.editor.section(config.root, f"vlan {vlan}", "config")
        note = f"% Access VLAN does not exist. Creating vlan {vlan}\n"
    session.set_leaf(words, m.spec, negate, parent, session.frames[-1].mode)
    return Reply(note, session.prompt)


def _overlap(device: IosDevice, name: str, addr: str, mask: str) -> str | None:
    try:
        net = ipaddress.IPv4Interface(f"{addr}/{mask}").network
    except ValueError:
        return None
    for other in device.state.interfaces.values():
        if other.name == name:
            continue
        for a in other.ipv4:
            if a.network.overlaps(net):
                return f"{net.network_address} overlaps with {other.name}"
    return None


def enable_secret(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    if negate:
        session.set_leaf(["enable", "secret"], m.spec, True, parent, "config")
        session.device.enable_secret = None
        return Reply("", session.prompt)
    value = m.args[0].split()
    if len(value) >= 2 and value[0] in ("5", "8", "9"):
        stored = " ".join(value)  # already hashed, as pasted from a config
    else:
        secret = value[-1]
        session.device.enable_secret = secret
        salt = fake_hash("salt", session.device.state.name)[:14]
        stored = f"9 $9${salt}${hash_secret(secret, salt)}"
    session.set_leaf(["enable", "secret", *stored.split()], m.spec, False, parent, "config")
    return Reply("", session.prompt)


def username(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    name = m.args[0]
    if negate:
        session.set_leaf(["username", name], m.spec, True, parent, "config")
        return Reply("", session.prompt)
    options = m.args[1].split()
    for i, w in enumerate(options):
        if w == "secret" and i + 1 < len(options):
            rest = options[i + 1 :]
            if rest[0] in ("5", "8", "9") and len(rest) > 1:
                break
            salt = fake_hash("salt", name)[:14]
            options = [*options[:i], "secret", "9", f"$9${salt}${hash_secret(rest[-1], salt)}"]
            break
        if w == "password" and i + 1 < len(options) and not options[i + 1].isdigit():
            options = [*options[:i], "password", "0", *options[i + 1 :]]
            break
    session.set_leaf(["username", name, *options], m.spec, False, parent, "config")
    return Reply("", session.prompt)


def vrf_route(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """A static route in a VRF needs the VRF defined first, as on IOS."""
    name = m.args[0]
    if not negate and not session.device.vrf_exists(name):
        return Reply(f"% IP routing table {name} does not exist. Create first\n", session.prompt)
    session.set_leaf(words, m.spec, negate, parent, "config")
    return Reply("", session.prompt)


def vrf_forwarding(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """Binding an interface to a VRF (or unbinding it) drops its addresses, as on IOS."""
    name = m.args[0]
    if not negate and not session.device.vrf_exists(name):
        return Reply(f"% VRF {name} not configured.\n", session.prompt)
    if parent.child(" ".join(words)) is not None and not negate:
        return Reply("", session.prompt)  # the same VRF again: nothing happens
    session.set_leaf(words, m.spec, negate, parent, session.frames[-1].mode)
    interface = parent.text.split(None, 1)[1]
    why = "disabling" if negate else "enabling"
    notes = []
    for family, prefix in (("IPv4", "ip"), ("IPv6", "ipv6")):
        gone = [c for c in parent.children if c.words[:2] == [prefix, "address"]]
        for child in gone:
            parent.children.remove(child)
        if gone:
            notes.append(
                f"% Interface {interface} {family} disabled and address(es) removed "
                f"due to {why} VRF {name}"
            )
    addressed = any(c.words[:2] == ["ip", "address"] for c in parent.children)
    if not addressed and parent.child("no ip address") is None:
        session.device.editor.insert_child(parent, ConfigNode("no ip address"), "if")
    return Reply("".join(n + "\n" for n in notes), session.prompt)


# IOS's words for the protocols, in the inventory's (and lab.snmp.usm's) names
_IOS_AUTH = {"md5": "MD5", "sha": "SHA", "sha-2 256": "SHA256", "sha-2 384": "SHA384"}
_IOS_AUTH["sha-2 512"] = "SHA512"
_IOS_PRIV = {"des": "DES", "aes 128": "AES", "aes 192": "AES192", "aes 256": "AES256"}


def _protocol(words: list[str], table: dict[str, str]) -> tuple[str | None, int]:
    """The protocol the words start with (one word or two) and how many words it took."""
    for used in (2, 1):
        found = table.get(" ".join(words[:used]).lower())
        if found is not None and len(words) >= used:
            return found, used
    return None, 0


def parse_v3_user(name: str, words: list[str]) -> V3User | str | None:
    """``GROUP v3 auth sha PASS [priv aes 128 PASS] [access ACL]`` -> the user (None for a
    v1/v2c user), or the error IOS prints."""
    if words[1] != "v3":
        return None
    rest = words[2:]
    if rest[:1] == ["encrypted"]:
        return "% Localized keys are not kept by the twin; give the passwords\n"
    auth, used = _protocol(rest[1:], _IOS_AUTH) if rest[:1] == ["auth"] else (None, 0)
    if auth is None or len(rest) <= 1 + used:
        return "% Incomplete command.\n\n"
    auth_password, tail = rest[1 + used], rest[2 + used :]
    priv: str | None = None
    priv_password: str | None = None
    if tail[:1] == ["priv"]:
        priv, used = _protocol(tail[1:], _IOS_PRIV)
        if priv is None or len(tail) <= 1 + used:
            return "% Incomplete command.\n\n"
        priv_password = tail[1 + used]
    try:
        return V3User(name, auth, auth_password, priv, priv_password)
    except UsmError:
        return "% Password must be at least 8 characters\n"


def snmp_user(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """SNMPv3 users live outside the running configuration, as on IOS: never shown; the
    agent answers them from the next request on."""
    users = session.device.snmp_users
    if negate:
        users.pop(m.args[0], None)
        return Reply("", session.prompt)
    options = m.args[1].split()
    if len(options) < 2 or options[1] not in ("v1", "v2c", "v3"):
        return Reply("% Incomplete command.\n\n", session.prompt)
    user = parse_v3_user(m.args[0], options)
    if isinstance(user, str):
        return Reply(user, session.prompt)
    users[m.args[0]] = (options[0], user)
    return Reply("", session.prompt)


def vrf_af(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    """``address-family ipv4|ipv6`` under ``vrf definition``; IOS prints
    ``exit-address-family`` after it, at the same depth."""
    family = m.args[0].lower()
    if family not in ("ipv4", "ipv6"):
        pos = m.positions[1] if len(m.positions) > 1 else 0
        return Reply(session.error(ParseError("invalid", pos), ""), session.prompt)
    text = f"address-family {family}"
    node = parent.child(text)
    if negate:
        if node is not None:
            i = parent.children.index(node)
            end = i + 1
            if end < len(parent.children) and parent.children[end].text == "exit-address-family":
                end += 1
            del parent.children[i:end]
        return Reply("", session.prompt)
    if node is None:
        node = ConfigNode(text)
        later = [
            i
            for i, c in enumerate(parent.children)
            if c.words[:1] == ["address-family"] and c.text > text
        ]
        at = later[0] if later else len(parent.children)
        parent.children[at:at] = [node, ConfigNode("exit-address-family")]
    frame = session.frames[-1]
    session.frames.append(Frame("vrf-af", [*frame.path, text]))
    return Reply("", session.prompt)


def banner(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    head = " ".join(m.words[:2])
    existing = session.device.config.find(head)
    if negate:
        if existing is not None:
            session.device.config.remove_top(existing)
        return Reply("", session.prompt)
    raw = m.args[0]
    delim, rest = raw[0], raw[1:]
    if delim == "^" and rest.startswith("C"):
        delim, rest = "^C", rest[1:]

    def store(body: str) -> None:
        node = session.device.config.find(head)
        if node is None:
            node = ConfigNode(head, banner=body)
            session.device.editor.insert_top(node, leaf=False)
        else:
            node.banner = body
        session.device.changed_since_save = True

    if delim in rest:
        store(rest.split(delim, 1)[0])
        return Reply("", session.prompt)
    collected = [rest]

    def more(line: str) -> Reply:
        if delim in line:
            collected.append(line.split(delim, 1)[0])
            store("\n".join(collected))
            return Reply("", session.prompt)
        collected.append(line)
        return session.ask("", "", more)

    return session.ask(f"Enter TEXT message.  End with the character '{delim}'.\n", "", more)


def crypto_keygen(
    session: IosSession, m: Match, negate: bool, parent: ConfigNode, words: list[str]
) -> Reply:
    if negate:
        return Reply("", session.prompt)
    bits = 2048
    args = m.args[0].split() if m.args else []
    if "modulus" in args:
        idx = args.index("modulus")
        if idx + 1 < len(args) and args[idx + 1].isdigit():
            bits = int(args[idx + 1])
    domain = next(
        (
            n.words[3]
            for n in session.device.config.sections("ip", "domain", "name")
            if len(n.words) > 3
        ),
        None,
    )
    if domain is None:
        return Reply("% Please define a domain-name first.\n", session.prompt)
    return Reply(
        f"The name for the keys will be: {session.device.hostname()}.{domain}\n"
        f"% The key modulus size is {bits} bits\n"
        f"% Generating {bits} bit RSA keys, keys will be non-exportable...\n"
        "[OK] (elapsed time was 1 seconds)\n\n",
        session.prompt,
    )


HANDLERS: dict[str, ConfigHandler[IosSession]] = {
    "do": do_exec,
    "end": end_config,
    "exit": exit_mode,
    "hostname": hostname,
    "interface": interface,
    "if_ip": if_ip,
    "enable_secret": enable_secret,
    "username": username,
    "vrf_route": vrf_route,
    "vrf_forwarding": vrf_forwarding,
    "snmp_user": snmp_user,
    "switchport_vlan": switchport_vlan,
    "vrf_af": vrf_af,
    "banner": banner,
    "crypto_keygen": crypto_keygen,
}
