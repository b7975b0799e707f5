"""Huawei VRP (AR routers, S switches): the CLI engine (pure) for `huawei_vrp`.

Views and prompts as on the box (``<R1>``, ``[R1]``, ``[R1-GigabitEthernet0/0/1]``,
``[R1-ui-vty0-4]``, ``[R1-aaa]`` ...), keyword abbreviation, ``undo`` negation,
``display`` from any view, the ``save`` dialogue, ``rollback configuration to file``,
and errors as VRP prints them (``Error: Unrecognized command found at '^' position.``).
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from lab.device.base import (
    CliSession,
    FileEntry,
    InterfaceCatalog,
    InterfaceSettings,
    InterfaceType,
    Reply,
    Route,
    TreeDevice,
    apply_filter,
    connected_routes,
    fake_hash,
    hash_secret,
    interface_settings_from,
    resolve_static,
)
from lab.device.config import VRP_DIALECT, ConfigNode, starts_with
from lab.device.editing import ConfigEditor
from lab.device.grammar import Grammar, Match, ParseError, Spec, spec
from lab.state import DeviceState, InterfaceState

CATALOG = InterfaceCatalog(
    [
        InterfaceType("GigabitEthernet", True),
        InterfaceType("XGigabitEthernet", True),
        InterfaceType("Ethernet", True),
        InterfaceType("40GE", True),
        InterfaceType("100GE", True),
        InterfaceType("MEth", True),
        InterfaceType("Cellular", True),
        InterfaceType("Serial", True),
        InterfaceType("LoopBack", False),
        InterfaceType("Vlanif", False),
        InterfaceType("Eth-Trunk", False),
        InterfaceType("Tunnel", False),
        InterfaceType("NULL", False),
        InterfaceType("Dialer", False),
        InterfaceType("Virtual-Template", False),
    ]
)

VERSION = "V200R010C00SPC600"
SYSTEM_VIEW_BANNER = "Enter system view, return user view with Ctrl+Z."
SAVE_QUESTION = (
    "Warning: The current configuration will be written to the device. "
    "Are you sure to continue?[Y/N]:"
)
SAVED = (
    "Now saving the current configuration to the slot 0.\nInfo: Save the configuration "
    "successfully.\n"
)

DISPLAY_SPECS: list[Spec] = [
    spec("display version", "d_version"),
    spec("display current-configuration", "d_current"),
    spec("display current-configuration interface <IFNAME>", "d_current_interface"),
    spec("display saved-configuration", "d_saved"),
    spec("display startup", "d_startup"),
    spec("display ip interface brief", "d_ip_int_brief"),
    spec("display ipv6 interface brief", "d_ipv6_int_brief"),
    spec("display ip routing-table", "d_ip_routing"),
    spec("display ipv6 routing-table", "d_ipv6_routing"),
    spec("display clock", "d_clock"),
    spec("display interface brief", "d_int_brief"),
    spec("display interface [<IFNAME>]", "d_interface"),
    spec("display users", "d_users"),
    spec("display this", "d_this"),
]
USER_SPECS: list[Spec] = [
    *DISPLAY_SPECS,
    spec("system-view", "system_view"),
    spec("quit", "quit"),
    spec("screen-length <INT> temporary", "screen_length"),
    spec("save [<WORD>]", "save"),
    spec("startup saved-configuration <WORD>", "startup"),
    spec("rollback configuration to file <WORD>", "rollback"),
    spec("dir [<WORD>]", "dir"),
    spec("reboot", "reboot"),
]

G = "set"
COMMON = [
    *DISPLAY_SPECS,
    spec("quit", "quit"),
    spec("return", "return"),
    spec("save [<WORD>]", "save"),
]
EXEC_ACTIONS = {s.action for s in USER_SPECS} | {"return"}
VIEW_SPECS: dict[str, list[Spec]] = {
    "system": [
        spec("sysname <WORD>", "sysname", key=1),
        spec("interface <IFNAME>", "interface", mode="if"),
        spec("ipv6", G),
        spec("ip route-static <IPV4> <MASKLEN> <LINE>", "route_static"),
        spec("ip route-static vpn-instance <WORD> <IPV4> <MASKLEN> <LINE>", "route_static"),
        spec("ipv6 route-static <IPV6> <INT> <LINE>", G),
        spec("ipv6 route-static vpn-instance <WORD> <IPV6> <INT> <LINE>", "route_static"),
        spec("ip vpn-instance <WORD>", "vpn_instance", mode="vpn"),
        spec("aaa", G, mode="aaa"),
        spec("user-interface vty <INT> [<INT>]", "user_interface", mode="ui"),
        spec(
            "user-interface console <INT>",
            "user_interface",
            mode="ui",
            canonical="user-interface con",
        ),
        spec("ospf [<INT>]", "ospf", mode="ospf"),
        spec("ospf <INT> vpn-instance <WORD>", "ospf", mode="ospf"),
        spec("ospfv3 [<INT>]", "ospf", mode="ospfv3"),
        spec("ospfv3 <INT> vpn-instance <WORD>", "ospf", mode="ospfv3"),
        spec("bgp <INT>", G, mode="bgp"),
        spec("acl number <INT>", "acl", mode="acl"),
        spec("acl ipv6 number <INT>", "acl6", mode="acl"),
        spec("acl <INT>", "acl", mode="acl"),
        spec("ntp-service unicast-server <WORD> [<LINE>]", G, key=3),
        spec("ntp-service source-interface <IFNAME>", G, key=2),
        spec("ntp-service authentication enable", G),
        spec("info-center loghost <WORD> [<LINE>]", G, key=3),
        spec("info-center source <LINE>", G),
        spec("info-center timestamp <LINE>", G, key=3),
        spec("info-center enable", G, default_on=True),
        spec("snmp-agent", G),
        spec("snmp-agent <LINE>", G),
        spec("snmp-agent usm-user v3 <WORD> [<LINE>]", G),
        spec("snmp-agent usm-user v3 <WORD> authentication-mode <WORD> <LINE>", "usm_key"),
        spec("snmp-agent usm-user v3 <WORD> privacy-mode <WORD> <LINE>", "usm_key"),
        spec("stelnet server enable", G),
        spec("telnet server enable", G),
        spec("ssh user <WORD> <LINE>", G),
        spec("ssh server <LINE>", G),
        spec("ssh client <LINE>", G),
        spec("clock timezone <LINE>", G, key=2),
        spec("dns resolve", G),
        spec("dns server <IPV4>", G),
        spec("dns domain <WORD>", G, key=2),
        spec("header login information <LINE>", G, key=3, no_min=2),  # undo header login
        spec("header shell information <LINE>", G, key=3, no_min=2),
        spec("vlan batch <LINE>", G),
        spec("stp <LINE>", G),
        spec("http server enable", G),
        spec("http secure-server enable", G),
        *COMMON,
    ],
    "if": [
        spec("description <LINE>", G, key=1),
        spec("ip address <IPV4> <MASKLEN> [sub]", "if_ip", no_min=2),
        spec("ip address dhcp-alloc", G, key=2),
        spec("ip binding vpn-instance <WORD>", "vpn_binding", key=3),
        spec("dot1q termination vid <INT>", G, key=3),
        spec("arp broadcast enable", G),
        spec("ipv6 enable", G),
        spec("ipv6 address <IPV6PFX> [eui-64]", G, key=3, no_min=2),
        spec("ipv6 address <IPV6> <INT>", "if_ipv6_len"),
        spec("ipv6 address auto link-local", G),
        spec("ipv6 address auto global", G),
        spec("ipv6 mtu <INT>", G, key=2),
        spec("shutdown", G),
        spec("mtu <INT>", G, key=1),
        spec("speed <INT>", G, key=1),
        spec("duplex <WORD>", G, key=1),
        spec("negotiation auto", G, default_on=True),
        spec("ospf <LINE>", G),
        spec("ospfv3 <LINE>", G),
        spec("isis <LINE>", G),
        spec("nat outbound <LINE>", G),
        spec("dhcp select <WORD>", G, key=2),
        spec("traffic-filter <LINE>", G),
        spec("port link-type <WORD>", G, key=2),
        spec("port default vlan <INT>", G, key=3),
        spec("port trunk allow-pass vlan <LINE>", G),
        spec("port trunk pvid vlan <INT>", G, key=3),
        spec("stp <LINE>", G),
        *COMMON,
    ],
    "aaa": [
        spec("local-user <WORD> password <WORD> <LINE>", "local_user", no_min=2),
        spec("local-user <WORD> privilege level <INT>", G, key=3),
        spec("local-user <WORD> service-type <LINE>", G, key=3),
        spec("local-user <WORD> state <WORD> [<LINE>]", G, key=3),
        spec("authentication-scheme <WORD>", G, mode="aaa-authen"),
        spec("authorization-scheme <WORD>", G, mode="aaa-author"),
        spec("accounting-scheme <WORD>", G, mode="aaa-accounting"),
        spec("domain <WORD>", G, mode="aaa-domain"),
        *COMMON,
    ],
    "aaa-authen": [spec("authentication-mode <LINE>", G, key=1), *COMMON],
    "aaa-author": [spec("authorization-mode <LINE>", G, key=1), *COMMON],
    "aaa-accounting": [spec("accounting-mode <LINE>", G, key=1), *COMMON],
    "aaa-domain": [
        spec("authentication-scheme <WORD>", G, key=1),
        spec("authorization-scheme <WORD>", G, key=1),
        spec("accounting-scheme <WORD>", G, key=1),
        *COMMON,
    ],
    "ui": [
        spec("authentication-mode <WORD>", G, key=1),
        spec("protocol inbound <WORD>", G, key=2),
        spec("idle-timeout <INT> [<INT>]", G, key=1),
        spec("user privilege level <INT>", G, key=2),
        spec("acl <INT> <WORD>", "ui_acl"),  # one ACL per direction (and IP version)
        spec("acl ipv6 <INT> <WORD>", "ui_acl"),
        spec("acl inbound", "ui_acl"),  # undo acl [ipv6] inbound|outbound
        spec("acl outbound", "ui_acl"),
        spec("acl ipv6 inbound", "ui_acl"),
        spec("acl ipv6 outbound", "ui_acl"),
        spec("screen-length <INT>", G, key=1),
        spec("history-command max-size <INT>", G, key=2),
        spec("set authentication password cipher <LINE>", "ui_password", no_min=3),
        spec("shell", G, default_on=True),
        *COMMON,
    ],
    "ospf": [
        spec("area <WORD>", "area", mode="area"),
        spec("import-route <LINE>", G),
        spec("silent-interface <LINE>", G),
        spec("default-route-advertise [<LINE>]", G, key=1),
        spec("bandwidth-reference <INT>", G, key=1),
        *COMMON,
    ],
    "ospfv3": [
        spec("router-id <IPV4>", G, key=1),
        spec("area <WORD>", "area", mode="area"),
        spec("import-route <LINE>", G),
        *COMMON,
    ],
    "area": [
        spec("network <IPV4> <IPV4>", G),
        spec("authentication-mode <LINE>", G, key=1),
        spec("stub [<LINE>]", G, key=1),
        *COMMON,
    ],
    "bgp": [
        spec("router-id <IPV4>", G, key=1),
        spec("peer <LINE>", G),
        spec("network <LINE>", G),
        spec("import-route <LINE>", G),
        *COMMON,
    ],
    "vpn": [
        spec("description <LINE>", G, key=1),
        spec("route-distinguisher <WORD>", G, key=1),
        spec("ipv4-family", "vpn_af", mode="vpn-af"),
        spec("ipv6-family", "vpn_af", mode="vpn-af"),
        *COMMON,
    ],
    "vpn-af": [
        spec("route-distinguisher <WORD>", G, key=1),
        spec("vpn-target <LINE>", G),
        *COMMON,
    ],
    "acl": [
        spec("rule <LINE>", "rule", no_min=2),
        spec("description <LINE>", G, key=1),
        *COMMON,
    ],
}

USER_GRAMMAR = Grammar(USER_SPECS)
VIEW_GRAMMARS = {view: Grammar(specs) for view, specs in VIEW_SPECS.items()}

TOP_RANK = [
    ("sysname", 1),
    ("vlan batch", 2),
    ("stp", 3),
    ("dns", 4),
    ("ipv6", 5),
    ("ip vpn-instance", 9),
    ("header", 6),
    ("clock timezone", 7),
    ("info-center", 8),
    ("acl", 20),
    ("aaa", 30),
    ("ntp-service", 35),
    ("interface", 40),
    ("ospf", 50),
    ("ospfv3", 51),
    ("bgp", 52),
    ("ip route-static", 60),
    ("ipv6 route-static", 61),
    ("snmp-agent", 62),
    ("stelnet", 63),
    ("telnet", 63),
    ("ssh", 64),
    ("http", 65),
    ("user-interface", 70),
]
CHILD_RANK = {
    "vpn": [("description", 10), ("route-distinguisher", 11), ("ipv4-family", 20)],
    "if": [
        ("description", 10),
        ("shutdown", 15),
        ("port", 16),
        ("dot1q", 12),
        ("ip binding", 17),
        ("arp", 50),
        ("ipv6 enable", 20),
        ("ip address", 30),
        ("ipv6 address", 40),
        ("ipv6", 45),
        ("ip", 35),
    ],
}


def render_initial(state: DeviceState) -> str:
    """A current-configuration for ``state`` as a freshly provisioned AR router prints it."""
    lines = [f"[{VERSION}]", "#", f" sysname {state.hostname}", "#"]
    if any(i.ipv6_enabled or i.ipv6 for i in state.interfaces.values()):
        lines += [" ipv6", "#"]
    lines += [
        " clock timezone Hanoi add 07:00:00",
        "#",
        " info-center timestamp log date format yyyy-mm-dd",
        "#",
    ]
    cipher = f"%^%#{fake_hash('user', state.name)[:40]}%^%#"
    lines += [
        "aaa",
        " authentication-scheme default",
        " authorization-scheme default",
        " accounting-scheme default",
        " domain default",
        " domain default_admin",
        f" local-user admin password irreversible-cipher {cipher}",
        " local-user admin privilege level 15",
        " local-user admin service-type ssh",
        "#",
    ]
    for iface in sorted(state.interfaces.values(), key=lambda i: i.if_index):
        lines.append(f"interface {iface.name}")
        if iface.description:
            lines.append(f" description {iface.description}")
        if not iface.admin_up:
            lines.append(" shutdown")
        if iface.ipv6_enabled or iface.ipv6:
            lines.append(" ipv6 enable")
        if iface.ipv4:
            lines.append(f" ip address {iface.ipv4[0].ip} {iface.ipv4[0].netmask}")
            lines += [f" ip address {a.ip} {a.netmask} sub" for a in iface.ipv4[1:]]
        lines += [f" ipv6 address {str(a).upper()}" for a in iface.ipv6]
        lines.append("#")
    lines += [
        " snmp-agent",
        "#",
        " stelnet server enable",
        "#",
        "user-interface con 0",
        " authentication-mode password",
        "user-interface vty 0 4",
        " authentication-mode aaa",
        " protocol inbound ssh",
        "user-interface vty 16 20",
        "#",
    ]
    return "\n".join(lines) + "\nreturn\n"


class VrpDevice(TreeDevice):
    """A Huawei VRP box."""

    platform = "huawei_vrp"
    dialect = VRP_DIALECT
    catalog = CATALOG

    def __init__(
        self,
        state: DeviceState,
        config_text: str | None = None,
        *,
        enable_secret: str | None = None,
    ) -> None:
        text = config_text or render_initial(state)
        super().__init__(state, text, enable_secret=enable_secret)
        self.startup_file = "vrpcfg.zip"
        self.next_startup = "vrpcfg.zip"
        self.editor = ConfigEditor(
            lambda: self.config,
            negation="undo",
            top_rank=TOP_RANK,
            child_rank=CHILD_RANK,
            two_word_groups=("ip", "ipv6", "info-center", "ntp-service", "ssh", "dns", "header"),
            indent_top_leaf=lambda w: (
                not starts_with(w, ["ip", "route-static"])
                and not starts_with(w, ["ipv6", "route-static"])
            ),
        )

    def open_session(self, *, privileged: bool = False) -> VrpSession:
        return VrpSession(self, privileged=privileged)

    def configured_hostname(self) -> str | None:
        for node in self.config.sections("sysname"):
            if len(node.words) > 1:
                return node.words[1]
        return "Huawei"

    def login_banner(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S+07:00", time.gmtime(time.time() + 7 * 3600))
        head = ""
        node = next(iter(self.config.sections("header", "shell", "information")), None)
        if node is not None:
            head = node.text.split(None, 3)[3].strip('"') + "\n"
        return (
            f"\n{head}Info: The max number of VTY users is 10, and the number\n"
            "      of current VTY users on line is 1.\n"
            f"      The current login time is {stamp}.\n"
        )

    def interface_settings(self, name: str) -> InterfaceSettings:
        node = self.config.find(f"interface {name}")
        if node is None:
            return InterfaceSettings()
        settings = interface_settings_from(node.children, "sub")
        # VRP keeps IPv6 addresses configured but inactive until `ipv6 enable`.
        if not settings.ipv6_enabled:
            settings.ipv6 = []
        return settings

    def save_to(self, name: str) -> None:
        text = self.running_config()
        self.files[_flash(name)] = FileEntry(text)
        if name == self.next_startup:
            self.startup = text
            self.changed_since_save = False


def _flash(name: str) -> str:
    name = name.replace("flash:/", "").replace("flash:", "")
    return "flash:/" + name


@dataclass
class _Frame:
    mode: str
    path: list[str]
    view: str


class VrpSession(CliSession):
    device: VrpDevice

    def __init__(self, device: VrpDevice, *, privileged: bool = False) -> None:
        super().__init__(device, privileged=privileged)
        self.frames: list[_Frame] = []

    @property
    def prompt(self) -> str:
        host = self.device.hostname()
        if not self.frames:
            return f"<{host}>"
        view = self.frames[-1].view
        return f"[{host}-{view}]" if view else f"[{host}]"

    @property
    def more_prompt(self) -> str:
        return "  ---- More ----"

    def reset_modes(self) -> None:
        self.frames = []

    def ctrl_z(self) -> Reply:
        self.frames = []
        return Reply("", self.prompt)

    unknown_help = "Error: Unrecognized command found at '^' position."
    failure_text = "Error: Failed to execute the command.\n"

    def help_grammar(self, line: str) -> tuple[Grammar, int] | None:
        grammar = VIEW_GRAMMARS[self.frames[-1].mode] if self.frames else USER_GRAMMAR
        stripped = line.lstrip()
        if self.frames and stripped.lower().startswith("undo "):
            return grammar, len(line) - len(stripped) + 5
        return grammar, 0

    def error(self, err: ParseError, line: str) -> str:
        caret = " " * (len(self.prompt) + err.position) + "^\n"
        if err.kind == "invalid":
            return caret + "Error: Unrecognized command found at '^' position.\n"
        if err.kind == "ambiguous":
            return caret + "Error: Ambiguous command found at '^' position.\n"
        return caret + "Error: Incomplete command found at '^' position.\n"

    def wrong(self, position: int) -> str:
        return (
            " " * (len(self.prompt) + position) + "^\n"
            "Error: Wrong parameter found at '^' position.\n"
        )

    # -- dispatch ---------------------------------------------------------------------
    def execute(self, line: str) -> Reply:
        if not line.strip():
            return Reply("", self.prompt)
        command, modifier, pattern = line, "", ""
        if "|" in line:
            command, _, tail = line.partition("|")
            words = tail.split(None, 1)
            choices = ("include", "exclude", "begin", "count", "no-more")
            full = next((c for c in choices if words and c.startswith(words[0].lower())), None)
            if full is None or (full not in ("count", "no-more") and len(words) < 2):
                pos = len(command) + 1 + (len(tail) - len(tail.lstrip()))
                return Reply(self.error(ParseError("invalid", pos), line), self.prompt)
            modifier, pattern = full, words[1] if len(words) > 1 else ""
        reply = self._execute(command)
        if modifier and modifier != "no-more" and reply.output:
            text = apply_filter(reply.output, modifier, pattern)
            reply.output = text + ("\n" if text and not text.endswith("\n") else "")
        return reply

    def _execute(self, line: str) -> Reply:
        if not self.frames:
            m = USER_GRAMMAR.match(line, resolve_if=self.device.resolve_interface(False))
            if isinstance(m, ParseError):
                return Reply(self.error(m, line), self.prompt)
            return self.run_action(m, False)
        text = line.strip()
        negate = False
        body, offset = line, 0
        first = text.split(None, 1)
        if first[0].lower() == "undo":
            if len(first) == 1:
                return Reply(
                    self.error(ParseError("incomplete", len(line.rstrip())), line), self.prompt
                )
            negate = True
            offset = line.index(first[1], line.index(first[0]) + 4)
            body = line[offset:]
        errors: list[ParseError] = []
        for depth in range(len(self.frames), 0, -1):
            grammar = VIEW_GRAMMARS[self.frames[depth - 1].mode]
            m = grammar.match(
                body, resolve_if=self.device.resolve_interface(True), partial=negate, offset=offset
            )
            if isinstance(m, Match):
                if negate and m.spec.action in EXEC_ACTIONS:
                    errors.append(ParseError("invalid", m.positions[0]))
                    break
                if not m.negation_complete():
                    errors.append(ParseError("incomplete", len(line.rstrip())))
                    break
                if m.spec.action not in EXEC_ACTIONS:
                    del self.frames[depth:]
                return self.run_action(m, negate)
            errors.append(m)
        return Reply(self.error(errors[0], line), self.prompt)

    def run_action(self, m: Match, negate: bool) -> Reply:
        action = m.spec.action
        if not self.frames or action in EXEC_ACTIONS:
            handler: Callable[[Match], Reply | str] = getattr(self, "x_" + action)
            result = handler(m)
            return Reply(result, self.prompt) if isinstance(result, str) else result
        frame = self.frames[-1]
        editor = self.device.editor
        parent = editor.resolve(frame.path, self._mode_at)
        words = _canonical_words(m)
        if action != "set":
            reply: Reply = getattr(self, "c_" + action)(m, negate, parent, words)
        elif m.spec.mode is not None:
            reply = self.enter(words, m.spec.mode, negate, parent, " ".join(words))
        else:
            editor.set_leaf(words, m.spec, negate, parent, frame.mode)
            reply = Reply("", self.prompt)
        self.device.changed_since_save = True
        self.device.sync_state()
        return reply

    def _mode_at(self, depth: int) -> str:
        return self.frames[depth + 1].mode if depth + 1 < len(self.frames) else "system"

    def enter(
        self, words: list[str], mode: str, negate: bool, parent: ConfigNode, view: str
    ) -> Reply:
        text = " ".join(words)
        frame = self.frames[-1]
        if negate:
            self.device.editor.remove_section(parent, text)
            return Reply("", self.prompt)
        self.device.editor.section(parent, text, frame.mode)
        self.frames.append(_Frame(mode, [*frame.path, text], view))
        return Reply("", self.prompt)

    # -- user view / any view ----------------------------------------------------------
    def x_system_view(self, m: Match) -> Reply:
        self.frames = [_Frame("system", [], "")]
        return Reply(SYSTEM_VIEW_BANNER + "\n", self.prompt)

    def x_quit(self, m: Match) -> Reply:
        if not self.frames:
            return Reply("", "", close=True)
        self.frames.pop()
        return Reply("", self.prompt)

    def x_return(self, m: Match) -> Reply:
        self.frames = []
        return Reply("", self.prompt)

    def x_screen_length(self, m: Match) -> str:
        self.terminal_length = int(m.args[0])
        return "Info: The configuration takes effect on the current user terminal interface only.\n"

    def x_save(self, m: Match) -> Reply:
        dev = self.device
        name = m.args[0] if m.args else dev.next_startup
        if m.args and not re.fullmatch(r"[\w.-]+\.(cfg|zip|dat)", name.split("/")[-1]):
            return Reply("Error: Wrong file name.\n", self.prompt)
        question = (
            SAVE_QUESTION
            if not m.args
            else f"Are you sure to save the configuration to {_flash(name)}?[Y/N]:"
        )

        def answer(text: str) -> Reply:
            if text.strip().lower() in ("y", "yes"):
                dev.save_to(name)
                return Reply(SAVED, self.prompt)
            return Reply("", self.prompt)

        return self.ask("", question, answer)

    def x_startup(self, m: Match) -> str:
        name = m.args[0].split("/")[-1].replace("flash:", "")
        if _flash(name) not in self.device.files:
            return "Error: The file does not exist.\n"
        self.device.next_startup = name
        self.device.startup = self.device.files[_flash(name)].content
        return ""

    def x_rollback(self, m: Match) -> Reply:
        name = m.args[0]
        entry = self.device.files.get(_flash(name))
        if entry is None:
            return Reply(f"Error: The file {_flash(name)} does not exist.\n", self.prompt)

        def answer(text: str) -> Reply:
            if text.strip().lower() not in ("y", "yes"):
                return Reply("", self.prompt)
            self.device.replace_config(entry.content)
            self.device.changed_since_save = True
            return Reply("Info: Succeeded in rolling back the configuration.\n", self.prompt)

        return self.ask(
            "",
            "Warning: The current configuration will be replaced by the "
            f"configuration in {_flash(name)}. Continue? [Y/N]:",
            answer,
        )

    def x_dir(self, m: Match) -> str:
        out = [
            "Directory of flash:/",
            "",
            "  Idx  Attr     Size(Byte)  Date        Time(LMT)  FileName",
        ]
        files = [(f"AR2220E-{VERSION}.cc", 104857600, self.device.state.booted_at)]
        files += [
            (n.split("/", 1)[1], len(e.content.encode()), e.mtime)
            for n, e in sorted(self.device.files.items())
        ]
        for i, (name, size, mtime) in enumerate(files):
            stamp = time.strftime("%b %d %Y %H:%M:%S", time.gmtime(mtime))
            out.append(f"{i:>5}  -rw-  {size:>13,}  {stamp}   {name}")
        out += ["", "1,090,732 KB total available (900,000 KB free)"]
        return "\n".join(out) + "\n"

    def x_reboot(self, m: Match) -> Reply:
        def confirm(text: str) -> Reply:
            if text.strip().lower() not in ("y", "yes"):
                return Reply("", self.prompt)
            self.device.reload()
            return Reply("", "", close=True)

        def save(text: str) -> Reply:
            if text.strip().lower() in ("y", "yes"):
                self.device.save_to(self.device.next_startup)
            return self.ask("", "System will reboot! Continue ? [y/n]:", confirm)

        if self.device.changed_since_save:
            return self.ask(
                "Info: The system is comparing the configuration, please wait.\n",
                "Warning: All the configuration will be saved to the next startup "
                "configuration. Continue ? [y/n]:",
                save,
            )
        return self.ask(
            "Info: The system is comparing the configuration, please wait.\n",
            "System will reboot! Continue ? [y/n]:",
            confirm,
        )

    def x_d_version(self, m: Match) -> str:
        state = self.device.state
        seconds = int(state.uptime_seconds())
        weeks, rest = divmod(seconds // 60, 10080)
        days, rest = divmod(rest, 1440)
        hours, minutes = divmod(rest, 60)

        def unit(n: int, word: str) -> str:
            return f"{n} {word}" + ("s" if n > 1 else "")

        uptime = ", ".join(
            [unit(weeks, "week"), unit(days, "day"), unit(hours, "hour"), unit(minutes, "minute")]
        )
        head = (
            "Huawei Versatile Routing Platform Software\n"
            f"VRP (R) software, Version 5.160 (AR2200 {VERSION})\n"
            "Copyright (C) 2011-2018 HUAWEI TECH CO., LTD"
        )
        if state.sys_descr.startswith("Huawei Versatile Routing Platform"):
            head = "\n".join(ln.strip() for ln in state.sys_descr.splitlines()[:3])
        return (
            f"{head}\nHuawei AR2220E Router uptime is {uptime}\n"
            "BKP 0 version information: \n"
            "1. PCB      Version  : AR01BAK2A VER.B\n"
            "2. If Supporting PoE : No\n"
            "3. Board    Type     : AR2220E\n"
            "4. MPU Slot Quantity : 1\n"
            "5. LPU Slot Quantity : 6\n\n"
            "MPU 0(Master) : uptime is " + uptime + "\n"
            "MPU version information : \n"
            "1. PCB      Version  : AR01SRU2C VER.A\n"
            "2. MAB      Version  : 0\n"
            "3. Board    Type     : AR2220E\n"
            "4. CPLD0    Version  : 100\n"
            "5. BootROM  Version  : 0\n"
        )

    def x_d_current(self, m: Match) -> str:
        return self.device.running_config()

    def x_d_current_interface(self, m: Match) -> str:
        node = self.device.config.find(f"interface {m.args[0]}")
        if node is None:
            return ""
        return "#\n" + "\n".join(self.device.config.render_nodes([node])) + "\n#\nreturn\n"

    def x_d_this(self, m: Match) -> str:
        config = self.device.config
        if not self.frames or not self.frames[-1].path:
            return config.render()
        node = config.resolve(self.frames[-1].path[:1])
        if node is None:
            return "#\nreturn\n"
        return f"[{VERSION}]\n#\n" + "\n".join(config.render_nodes([node])) + "\n#\nreturn\n"

    def x_d_saved(self, m: Match) -> str:
        return self.device.startup or ""

    def x_d_startup(self, m: Match) -> str:
        dev = self.device
        image = f"flash:/AR2220E-{VERSION}.cc"
        saved = _flash(dev.startup_file) if dev.startup is not None else "NULL"
        return (
            "MainBoard: \n"
            f"  Configured startup system software:        {image}\n"
            f"  Startup system software:                   {image}\n"
            f"  Next startup system software:              {image}\n"
            f"  Startup saved-configuration file:          {saved}\n"
            f"  Next startup saved-configuration file:     {_flash(dev.next_startup)}\n"
            "  Startup paf file:                          default\n"
            "  Next startup paf file:                     default\n"
            "  Startup license file:                      default\n"
            "  Next startup license file:                 default\n"
            "  Startup patch package:                     NULL\n"
            "  Next startup patch package:                NULL\n"
        )

    def x_d_clock(self, m: Match) -> str:
        now = time.time() + 7 * 3600
        t = time.gmtime(now)
        return time.strftime("%Y-%m-%d %H:%M:%S+07:00\n%A\n", t) + "Time Zone(Hanoi) : UTC+07:00\n"

    def x_d_users(self, m: Match) -> str:
        return (
            "  User-Intf    Delay    Type   Network Address     AuthenStatus    AuthorcmdFlag\n"
            f"+ 129 VTY 0   00:00:00 SSH    {self.peer:<19} pass\n"
            f"  Username : {self.username}\n"
        )

    def _interfaces(self) -> list[InterfaceState]:
        return sorted(self.device.state.interfaces.values(), key=lambda i: i.if_index)

    @staticmethod
    def _phys(iface: InterfaceState) -> str:
        if not iface.admin_up:
            return "*down"
        return "up" if iface.link_up else "down"

    def x_d_ip_int_brief(self, m: Match) -> str:
        ifaces = self._interfaces()
        up = sum(1 for i in ifaces if i.oper_up)
        rows = []
        for iface in ifaces:
            addr = (
                f"{iface.ipv4[0].ip}/{iface.ipv4[0].network.prefixlen}"
                if iface.ipv4
                else "unassigned"
            )
            proto = "up" if iface.oper_up else "down"
            if iface.name.startswith(("LoopBack", "NULL")) and iface.oper_up:
                proto = "up(s)"
            rows.append(f"{iface.name:<34}{addr:<21}{self._phys(iface):<11}{proto}")
        return (
            "*down: administratively down\n^down: standby\n(l): loopback\n(s): spoofing\n"
            "(E): E-Trunk down\n"
            f"The number of interface that is UP in Physical is {up}\n"
            f"The number of interface that is DOWN in Physical is {len(ifaces) - up}\n"
            f"The number of interface that is UP in Protocol is {up}\n"
            f"The number of interface that is DOWN in Protocol is {len(ifaces) - up}\n\n"
            f"{'Interface':<34}{'IP Address/Mask':<21}{'Physical':<11}Protocol  \n"
            + "\n".join(rows)
            + "\n"
        )

    def x_d_ipv6_int_brief(self, m: Match) -> str:
        rows = []
        for iface in self._interfaces():
            if not (iface.ipv6_enabled or iface.ipv6):
                continue
            proto = "up" if iface.oper_up else "down"
            rows.append(f"{iface.name:<44}{self._phys(iface):<22}{proto}")
            if iface.ipv6:
                rows += [f"[IPv6 Address] {str(a.ip).upper()}" for a in iface.ipv6]
            else:
                rows.append("[IPv6 Address] Unassigned")
        return (
            "*down: administratively down\n(l): loopback\n(s): spoofing\n"
            f"{'Interface':<44}{'Physical':<22}Protocol\n"
            + "\n".join(rows)
            + ("\n" if rows else "")
        )

    def x_d_int_brief(self, m: Match) -> str:
        rows = []
        for iface in self._interfaces():
            proto = "up" if iface.oper_up else "down"
            rows.append(
                f"{iface.name:<33}{self._phys(iface):<7}{proto:<9}0%     0%          0          0"
            )
        return (
            "PHY: Physical\n*down: administratively down\n(l): loopback\n(s): spoofing\n"
            "(b): BFD down\n^down: standby\n(e): ETHOAM down\n(d): Dampening Suppressed\n"
            f"{'Interface':<33}{'PHY':<7}{'Protocol':<9}InUti OutUti   inErrors  "
            "outErrors\n" + "\n".join(rows) + "\n"
        )

    def x_d_interface(self, m: Match) -> str:
        ifaces = self._interfaces()
        if m.args:
            ifaces = [i for i in ifaces if i.name == m.args[0]]
        out = []
        for iface in ifaces:
            state = (
                "UP"
                if iface.oper_up
                else ("Administratively DOWN" if not iface.admin_up else "DOWN")
            )
            proto = "UP" if iface.oper_up else "DOWN"
            in_oct, out_oct = iface.octets()
            out += [
                f"{iface.name} current state : {state}",
                f"Line protocol current state : {proto}",
                f"Description:{iface.description}",
                "Route Port,The Maximum Transmit Unit is 1500",
            ]
            if iface.ipv4:
                out.append(f"Internet Address is {iface.ipv4[0]}")
            else:
                out.append("Internet protocol processing : disabled")
            mac = iface.mac.replace(":", "").lower()
            out += [
                f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is "
                f"{mac[0:4]}-{mac[4:8]}-{mac[8:12]}",
                f"Port Mode: COMMON COPPER, Speed : {iface.speed_mbps},  Loopback: NONE",
                f"Input:  {in_oct // 1000} packets, {in_oct} bytes",
                f"Output:  {out_oct // 1000} packets, {out_oct} bytes",
                "",
            ]
        return "\n".join(out) + ("\n" if out else "")

    def static_routes(self, version: int) -> list[Route]:
        connected = connected_routes(self.device.state, version)
        routes: list[Route] = []
        key = ("ip", "route-static") if version == 4 else ("ipv6", "route-static")
        for node in self.device.config.sections(*key):
            w = node.words
            try:
                prefix: ipaddress.IPv4Network | ipaddress.IPv6Network
                if version == 4:
                    prefix = ipaddress.IPv4Network(f"{w[2]}/{w[3]}", strict=False)
                else:
                    prefix = ipaddress.IPv6Network(f"{w[2]}/{w[3]}", strict=False)
            except (ValueError, IndexError):
                continue
            hops = w[4:]
            if not hops:
                continue
            via = resolve_static(connected, hops[0])
            if via is not None:
                routes.append(Route(prefix, "S", via, hops[0], 60))
        return routes

    def x_d_ip_routing(self, m: Match) -> str:
        routes: list[tuple[str, str, int, str, str, str]] = []
        for r in connected_routes(self.device.state, 4):
            assert isinstance(r.prefix, ipaddress.IPv4Network)
            if r.protocol == "C":
                iface = self.device.state.interfaces[r.interface]
                own = next(a.ip for a in iface.ipv4 if a.network == r.prefix)
                hop = "127.0.0.1" if r.prefix.prefixlen == 32 else str(own)
                routes.append((str(r.prefix), "Direct", 0, "D", hop, r.interface))
                if r.prefix.prefixlen < 31:
                    routes.append(
                        (
                            f"{r.prefix.broadcast_address}/32",
                            "Direct",
                            0,
                            "D",
                            "127.0.0.1",
                            r.interface,
                        )
                    )
            else:
                routes.append((str(r.prefix), "Direct", 0, "D", "127.0.0.1", r.interface))
        for r in self.static_routes(4):
            routes.append((str(r.prefix), "Static", 60, "RD", r.nexthop, r.interface))
        for pfx in ("127.0.0.0/8", "127.0.0.1/32", "127.255.255.255/32", "255.255.255.255/32"):
            routes.append((pfx, "Direct", 0, "D", "127.0.0.1", "InLoopBack0"))
        routes.sort(key=lambda r: ipaddress.IPv4Network(r[0]))
        rows = [
            f"{dest:>19}  {proto:<7} {pre:<4} {0:<10} {flags:>2}   {hop:<15} {iface}"
            for dest, proto, pre, flags, hop, iface in routes
        ]
        return (
            "Route Flags: R - relay, D - download to fib\n"
            + "-" * 78
            + "\nRouting Tables: Public\n"
            f"         Destinations : {len(routes)}        Routes : {len(routes)}        \n\n"
            "Destination/Mask    Proto   Pre  Cost      Flags NextHop         Interface\n\n"
            + "\n".join(rows)
            + "\n"
        )

    def x_d_ipv6_routing(self, m: Match) -> str:
        entries: list[tuple[ipaddress.IPv6Network, str, str, int, str, str]] = [
            (ipaddress.IPv6Network("::1/128"), "::1", "Direct", 0, "InLoopBack0", "D")
        ]
        for r in connected_routes(self.device.state, 6):
            assert isinstance(r.prefix, ipaddress.IPv6Network)
            iface = self.device.state.interfaces[r.interface]
            if r.protocol == "C":
                own = next(a.ip for a in iface.ipv6 if a.network == r.prefix)
                entries.append((r.prefix, str(own).upper(), "Direct", 0, r.interface, "D"))
            else:
                entries.append((r.prefix, "::1", "Direct", 0, "InLoopBack0", "D"))
        for r in self.static_routes(6):
            assert isinstance(r.prefix, ipaddress.IPv6Network)
            entries.append((r.prefix, r.nexthop.upper(), "Static", 60, r.interface, "RD"))
        entries.sort(key=lambda e: (e[0].network_address, e[0].prefixlen))
        out = [
            "Routing Table : Public",
            f"         Destinations : {len(entries)}        Routes : {len(entries)}        ",
            "",
        ]
        for prefix, hop, proto, pre, ifname, flags in entries:
            dest = str(prefix.network_address).upper()
            out += [
                f" Destination  : {dest:<40}PrefixLength : {prefix.prefixlen}",
                f" NextHop      : {hop:<40}Preference   : {pre}",
                f" Cost         : {0:<40}Protocol     : {proto}",
                f" RelayNextHop : {'::':<40}TunnelID     : 0x0",
                f" Interface    : {ifname:<40}Flags        : {flags}",
                "",
            ]
        return "\n".join(out) + "\n"

    # -- configuration ------------------------------------------------------------------
    def c_sysname(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        name = "Huawei" if negate else m.args[0]
        self.device.editor.set_leaf(["sysname", name], m.spec, False, parent, "system")
        self.device.state.hostname = name
        return Reply("", self.prompt)

    def c_interface(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        name = m.args[0]
        if negate and CATALOG.is_physical(name) and "." not in name:
            return Reply(self.wrong(m.positions[1]), self.prompt)
        return self.enter(["interface", name], "if", negate, parent, name)

    def c_user_interface(
        self, m: Match, negate: bool, parent: ConfigNode, words: list[str]
    ) -> Reply:
        if negate:
            return Reply(self.error(ParseError("invalid", m.positions[0]), ""), self.prompt)
        kind = words[1]
        view = f"ui-{'console' if kind == 'con' else kind}{'-'.join(words[2:])}"
        return self.enter(words, "ui", False, parent, view)

    def c_ospf(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        if len(words) == 1:
            words = [words[0], "1"]
        mode = m.spec.mode or "ospf"
        return self.enter(words, mode, negate, parent, f"{words[0]}-{words[1]}")

    def c_area(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        area = words[1]
        try:
            area = str(ipaddress.IPv4Address(int(area) if area.isdigit() else area))
        except ValueError:
            return Reply(self.wrong(m.positions[-1]), self.prompt)
        prefix = self.frames[-1].view
        return self.enter(["area", area], "area", negate, parent, f"{prefix}-area-{area}")

    def c_acl(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        number = int(m.args[0])
        if not 2000 <= number <= 5999:
            return Reply(self.wrong(m.positions[-1]), self.prompt)
        kind = "basic" if number < 3000 else "adv" if number < 4000 else "link"
        return self.enter(
            ["acl", "number", str(number)], "acl", negate, parent, f"acl-{kind}-{number}"
        )

    def vpn_exists(self, name: str) -> bool:
        return self.device.config.find(f"ip vpn-instance {name}") is not None

    def c_vpn_binding(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        """Binding an interface to a VPN instance (or unbinding it) drops its addresses."""
        if not negate and not self.vpn_exists(m.args[0]):
            return Reply("Error: The VPN instance does not exist.\n", self.prompt)
        if not negate and parent.child(" ".join(words)) is not None:
            return Reply("", self.prompt)
        self.device.editor.set_leaf(words, m.spec, negate, parent, "if")
        notes = []
        for family, prefix in (("IPv4", "ip"), ("IPv6", "ipv6")):
            gone = [c for c in parent.children if c.words[:2] == [prefix, "address"]]
            for child in gone:
                parent.children.remove(child)
            if gone:
                notes.append(
                    f"Info: All {family} related configurations on this interface are removed!"
                )
        return Reply("".join(n + "\n" for n in notes), self.prompt)

    def c_acl6(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        number = int(m.args[0])
        if not 2000 <= number <= 3999:
            return Reply(self.wrong(m.positions[-1]), self.prompt)
        kind = "basic" if number < 3000 else "adv"
        text = ["acl", "ipv6", "number", str(number)]
        return self.enter(text, "acl", negate, parent, f"acl6-{kind}-{number}")

    def c_vpn_instance(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        name = m.args[0]
        return self.enter(
            ["ip", "vpn-instance", name], "vpn", negate, parent, f"vpn-instance-{name}"
        )

    def c_vpn_af(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        family = words[0].removesuffix("-family")
        view = f"{self.frames[-1].view}-af-{family}"
        return self.enter(words, "vpn-af", negate, parent, view)

    def c_usm_key(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        """A USM key is stored as a cipher, as VRP stores it; the typed key is never shown."""
        head = ["snmp-agent", "usm-user", "v3", m.args[0], words[4], m.args[1]]
        if negate:
            self.device.editor.set_leaf(head[:5], m.spec, True, parent, "system")
            return Reply("", self.prompt)
        key = m.args[2].split()[-1]
        if not (key.startswith("%^%#") and key.endswith("%^%#")):
            key = f"%^%#{hash_secret(key, m.args[0])[:40]}%^%#"
        stored = [*head, "cipher", key]
        self.device.editor.set_leaf(
            stored, Spec(("snmp-agent",), "set", key=5), False, parent, "system"
        )
        return Reply("", self.prompt)

    def c_rule(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        rest = m.args[0].split()
        if negate:
            if rest and rest[0].isdigit():
                self.device.editor.set_leaf(["rule", rest[0]], m.spec, True, parent, "acl")
            return Reply("", self.prompt)
        if not rest[0].isdigit():
            used = [
                int(c.words[1])
                for c in parent.children
                if len(c.words) > 1 and c.words[0] == "rule" and c.words[1].isdigit()
            ]
            rest = [str((max(used, default=0) // 5 + 1) * 5), *rest]
        if rest[1:2] not in (["permit"], ["deny"]):
            return Reply(self.wrong(m.positions[1]), self.prompt)
        self.device.editor.set_leaf(
            ["rule", *rest], Spec(("rule",), "set", key=2), False, parent, "acl"
        )
        return Reply("", self.prompt)

    def c_route_static(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        if words[2:3] == ["vpn-instance"] and not negate and not self.vpn_exists(words[3]):
            return Reply("Error: The VPN instance does not exist.\n", self.prompt)
        self.device.editor.set_leaf(words, m.spec, negate, parent, "system")
        return Reply("", self.prompt)

    def c_if_ip(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        name = parent.text.split(None, 1)[1]
        addresses = [
            c for c in parent.children if c.words[:2] == ["ip", "address"] and len(c.words) >= 4
        ]
        if negate:
            doomed = (
                addresses
                if len(words) == 2
                else [c for c in addresses if starts_with(c.words, words)]
            )
            if len(words) > 2 and not doomed:
                return Reply("Error: The address does not exist.\n", self.prompt)
            for child in doomed:
                parent.children.remove(child)
            self.device.manual_addresses.add(name)
            return Reply("", self.prompt)
        try:
            net = ipaddress.IPv4Interface(f"{words[2]}/{words[3]}").network
        except ValueError:
            return Reply(self.wrong(m.positions[2]), self.prompt)
        for other in self.device.state.interfaces.values():
            if other.name != name and any(a.network.overlaps(net) for a in other.ipv4):
                return Reply(
                    "Error: The specified IP address conflicts with another address.\n", self.prompt
                )
        new = ConfigNode(" ".join(words))
        primary = [c for c in addresses if "sub" not in c.words]
        if "sub" in words:
            if not primary:
                return Reply("Error: Please configure the primary address first.\n", self.prompt)
            same = [c for c in addresses if c.words[2:4] == words[2:4]]
            if same:
                same[0].text = new.text
            else:
                parent.children.insert(parent.children.index(addresses[-1]) + 1, new)
        elif primary:
            primary[0].text = new.text
        else:
            self.device.editor.insert_child(parent, new, "if")
        self.device.manual_addresses.add(name)
        return Reply("", self.prompt)

    def c_if_ipv6_len(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        length = int(m.args[1]) if len(m.args) > 1 else 0
        if not 1 <= length <= 128:
            return Reply(self.wrong(m.positions[-1]), self.prompt)
        canon = ["ipv6", "address", f"{m.args[0]}/{length}"]
        self.device.editor.set_leaf(canon, Spec(("ipv6",), "set", key=3), negate, parent, "if")
        return Reply("", self.prompt)

    def c_local_user(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        user = m.args[0]
        if negate:
            self.device.editor.set_leaf(["local-user", user], m.spec, True, parent, "aaa")
            return Reply("", self.prompt)
        kind = m.args[1]
        if kind not in ("irreversible-cipher", "cipher", "simple"):
            return Reply(self.wrong(m.positions[3]), self.prompt)
        value = m.args[2].split()[-1]
        pasted = re.fullmatch(r"\$1[a-z]\$\S+\$", value) is not None
        digest = value if pasted else f"$1c${hash_secret(value, user)}$"
        stored = ["local-user", user, "password", "irreversible-cipher", digest]
        self.device.editor.set_leaf(
            stored, Spec(("local-user",), "set", key=3), False, parent, "aaa"
        )
        return Reply("", self.prompt)

    def c_ui_acl(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        """``acl [ipv6] N inbound`` replaces the ACL of that direction; ``undo acl [ipv6]
        [N] inbound`` removes it."""
        direction = words[-1]
        if direction not in ("inbound", "outbound"):
            return Reply(self.wrong(m.positions[-1]), self.prompt)
        numbered = len(words) > (3 if "ipv6" in words else 2)
        if not negate and not numbered:
            return Reply(self.error(ParseError("incomplete", m.positions[-1]), ""), self.prompt)
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
                self.device.editor.insert_child(parent, ConfigNode(" ".join(words)), "ui")
        return Reply("", self.prompt)

    def c_ui_password(self, m: Match, negate: bool, parent: ConfigNode, words: list[str]) -> Reply:
        key = ["set", "authentication", "password"]
        if negate:
            self.device.editor.set_leaf(key, m.spec, True, parent, "ui")
            return Reply("", self.prompt)
        stored = [*key, "cipher", f"%^%#{hash_secret(m.args[0], 'ui')[:40]}%^%#"]
        self.device.editor.set_leaf(stored, Spec(("set",), "set", key=3), False, parent, "ui")
        return Reply("", self.prompt)


def _canonical_words(m: Match) -> list[str]:
    if m.spec.canonical is None:
        return list(m.words)
    keywords = 0
    for word in m.spec.words:
        if word.startswith("<"):
            break
        keywords += 1
    return m.spec.canonical.split() + list(m.words[keywords:])
