"""Cisco IOS and IOS-XE: one login (pure) on a `cisco_ios` or `cisco_xe` box.

Modes and prompts as on the box (``R1>``, ``R1#``, ``R1(config)#``, ``R1(config-if)#``
...), the command tables of ``grammar.py`` with IOS keyword abbreviation, errors exactly
as IOS prints them; EXEC commands here (``x_<action>``), show output from ``show.py``,
configuration lines through the editor or a handler of ``handlers.py``, and
``DeviceState`` following every change.
"""

from __future__ import annotations

import copy
import hmac
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lab.device.base import CliSession, FileEntry, Frame, Reply, apply_filter
from lab.device.cisco_ios import archive, show, show_ip, show_switch, show_system
from lab.device.cisco_ios.grammar import PROMPT_SUFFIX, child_mode
from lab.device.cisco_ios.handlers import HANDLERS
from lab.device.config import IOS_DIALECT, ConfigNode, ConfigTree
from lab.device.grammar import Grammar, Match, ParseError, Spec

if TYPE_CHECKING:
    from lab.device.cisco_ios.device import IosDevice

CONFIG_BANNER = "Enter configuration commands, one per line.  End with CNTL/Z."
REPLACE_WARNING = (
    "This will apply all necessary additions and deletions\n"
    "to replace the current running configuration with the\n"
    "contents of the specified configuration file, which is\n"
    "assumed to be a complete configuration, not a partial\n"
    "configuration. Enter Y if you are sure you want to proceed. ? [no]: "
)
REPLACE_OPTIONS = (
    "force",
    "list",
    "ignorecase",
    "nolock",
    "revert",
    "trigger",
    "error",
    "timer",
    "time",
)


class IosSession(CliSession):
    device: IosDevice

    def __init__(self, device: IosDevice, *, privileged: bool = False) -> None:
        super().__init__(device, privileged=privileged)
        self.level = 15 if privileged or device.enable_secret is None else 1
        self.frames: list[Frame] = []

    failure_text = "% Incomplete command.\n\n"

    @property
    def prompt(self) -> str:
        host = self.device.hostname()
        if not self.frames:
            return host + ("#" if self.level == 15 else ">")
        return f"{host}({PROMPT_SUFFIX[self.frames[-1].mode]})#"

    def reset_modes(self) -> None:
        self.frames = []

    def sign_in(self, username: str) -> None:
        level = self.device.user_privilege(username)
        if level is not None and level < 15:
            self.level = level  # `#` only at 15: the twin's levels below it are user EXEC

    # -- keys -------------------------------------------------------------------
    def ctrl_z(self) -> Reply:
        if self.frames:
            self.frames = []
            return Reply("", self.prompt, mark="^Z")
        return Reply("", self.prompt)

    def ctrl_c(self) -> Reply:
        self._question = None
        self.frames = []
        return Reply("", self.prompt, mark="^C")

    def help_grammar(self, line: str) -> tuple[Grammar, int] | None:
        if not self.frames:
            return self.exec_grammar(), 0
        grammar = self.device.grammars.config[self.frames[-1].mode]
        stripped = line.lstrip()
        if stripped.lower().startswith("no "):
            return grammar, len(line) - len(stripped) + 3
        return grammar, 0

    def exec_grammar(self) -> Grammar:
        grammars = self.device.grammars
        return grammars.priv if self.level == 15 else grammars.user

    # -- dispatch -----------------------------------------------------------------
    def execute(self, line: str) -> Reply:
        self.device.check_revert_timer()
        if not line.strip():
            return Reply("", self.prompt)
        if self.frames:
            return self.config_line(line)
        return self.exec_line(line)

    def error(self, err: ParseError, line: str) -> str:
        if err.kind == "invalid":
            return (
                " " * (len(self.prompt) + err.position) + "^\n"
                "% Invalid input detected at '^' marker.\n\n"
            )
        if err.kind == "ambiguous":
            return f'% Ambiguous command:  "{line.strip()}"\n\n'
        return "% Incomplete command.\n\n"

    def exec_line(self, line: str, *, from_config: bool = False, offset: int = 0) -> Reply:
        """An EXEC command; ``offset`` is where it starts in the typed line (`do ...`)."""
        command, modifier, pattern = line, "", ""
        if "|" in line:
            command, _, tail = line.partition("|")
            parsed = _parse_modifier(tail)
            if parsed is None:
                pos = len(command) + 1 + (len(tail) - len(tail.lstrip()))
                return Reply(self.error(ParseError("invalid", pos), line), self.prompt)
            modifier, pattern = parsed
        grammar = self.exec_grammar()
        m = grammar.match(command, resolve_if=self.device.resolve_interface(False))
        if isinstance(m, ParseError) and self.level < 15:
            lowered = self.device.grammars.priv.match(
                command, resolve_if=self.device.resolve_interface(False)
            )
            if isinstance(lowered, Match) and self.device.lowered(lowered.words, self.level):
                m = lowered
        if isinstance(m, ParseError):
            words = command.split()
            if (
                m.kind == "invalid"
                and m.position == len(command) - len(command.lstrip())
                and len(words) == 1
                and not from_config
            ):
                lookup = self.device.config.find("no ip domain lookup") is None
                head = f'Translating "{words[0]}"'
                if lookup:
                    head += "...domain server (255.255.255.255)"
                return Reply(
                    head + "\n% Unknown command or computer name, or unable to "
                    "find computer address\n",
                    self.prompt,
                )
            m.position += offset
            return Reply(self.error(m, line), self.prompt)
        handler: Callable[[Match], Reply | str] = getattr(self, "x_" + m.spec.action)
        result = handler(m)
        if isinstance(result, str):
            if modifier:
                result = apply_filter(result, modifier, pattern)
                if result and not result.endswith("\n"):
                    result += "\n"
            return Reply(result, self.prompt)
        return result

    # -- EXEC commands --------------------------------------------------------------
    def x_noop(self, m: Match) -> str:
        return ""

    def x_enable(self, m: Match) -> Reply | str:
        if self.level == 15:
            return ""
        secret = self.device.enable_secret
        if secret is None:
            return "% No password set\n"
        attempts = [0]

        def check(answer: str) -> Reply:
            if hmac.compare_digest(answer.encode(), secret.encode()):
                self.level = 15
                return Reply("", self.prompt)
            attempts[0] += 1
            if attempts[0] >= 3:
                return Reply("% Bad secrets\n\n", self.prompt)
            return self.ask("", "Password: ", check, echo=False)

        return self.ask("", "Password: ", check, echo=False)

    def x_disable(self, m: Match) -> str:
        self.level = min(self.level, 1)
        return ""

    def x_exit(self, m: Match) -> Reply:
        return Reply("", "", close=True)

    def x_term_length(self, m: Match) -> str:
        self.terminal_length = int(m.args[0])
        return ""

    def x_term_width(self, m: Match) -> str:
        self.terminal_width = int(m.args[0])
        return ""

    def x_show_privilege(self, m: Match) -> str:
        return f"Current privilege level is {self.level}\n"

    def x_show_clock(self, m: Match) -> str:
        return show.show_clock(self.device)

    def x_show_version(self, m: Match) -> str:
        return show.show_version(self.device)

    def x_show_inventory(self, m: Match) -> str:
        return show.show_inventory(self.device)

    def x_show_users(self, m: Match) -> str:
        return show.show_users(self.device, self)

    def x_show_cdp_neighbors(self, m: Match) -> str:
        return show_switch.show_cdp_neighbors(self.device, "detail" in m.words)

    def x_show_vlan(self, m: Match) -> str:
        only = int(m.args[0]) if m.args else None
        return show_switch.show_vlan(self.device, "brief" in m.words, only)

    def x_show_int_status(self, m: Match) -> str:
        return show_switch.show_interfaces_status(self.device)

    def x_show_spanning_tree(self, m: Match) -> str:
        return show_switch.show_spanning_tree(self.device)

    def x_show_ip_int_brief(self, m: Match) -> str:
        return show.show_ip_int_brief(self.device)

    def x_show_ipv6_int_brief(self, m: Match) -> str:
        return show.show_ipv6_int_brief(self.device)

    def x_show_ip_route(self, m: Match) -> str:
        return show.show_ip_route(self.device)

    def x_show_ip_route_entry(self, m: Match) -> str:
        args = list(m.args)
        if "vrf" in m.words:
            name = args.pop(0)
            if not self.device.vrf_exists(name):
                return f"% IP routing table {name} does not exist\n"
            return show_ip.NOT_IN_TABLE  # the twin routes in the global table only
        return show_ip.show_ip_route_entry(self.device, args[0], args[1] if len(args) > 1 else None)

    def x_show_ip_interface(self, m: Match) -> str:
        return show_ip.show_ip_interface(self.device, m.args[0] if m.args else None)

    def x_show_ipv6_interface(self, m: Match) -> str:
        return show_ip.show_ipv6_interface(self.device, m.args[0] if m.args else None)

    def x_show_arp(self, m: Match) -> str:
        return show_ip.show_arp(self.device)

    def x_show_vrf(self, m: Match) -> str:
        return show_ip.show_vrf(self.device)

    def x_show_processes_cpu(self, m: Match) -> str:
        return show_system.show_processes_cpu(self.device)

    def x_show_memory_statistics(self, m: Match) -> str:
        return show_system.show_memory_statistics(self.device)

    def x_show_snmp_chassis(self, m: Match) -> str:
        return show_system.show_snmp_chassis(self.device)

    def x_show_lldp_neighbors(self, m: Match) -> str:
        return show_system.show_lldp_neighbors(self.device, "detail" in m.words)

    def x_show_ipv6_route(self, m: Match) -> str:
        return show.show_ipv6_route(self.device)

    def x_show_interfaces(self, m: Match) -> str:
        return show.show_interfaces(self.device, m.args[0] if m.args else None)

    def x_show_int_description(self, m: Match) -> str:
        return show.show_int_description(self.device)

    def x_show_run(self, m: Match) -> str:
        if self.level < 15:
            # IOS shows only the lines the user may configure: at a low level, none
            return show.show_run_blank()
        return show.show_run(self.device)

    def x_show_run_interface(self, m: Match) -> str:
        return show.show_run_interface(self.device, m.args[0])

    def x_show_start(self, m: Match) -> str:
        return show.show_start(self.device)

    def x_show_archive(self, m: Match) -> str:
        return show.show_archive(self.device)

    def x_show_archive_diff(self, m: Match) -> str:
        paths = m.args or ["nvram:startup-config"]
        if len(paths) == 1:
            paths.append("system:running-config")
        trees = []
        for path in paths:
            text = self.device.read_file(path)
            if text is None:
                return f"%Error opening {path} (No such file or directory)\n"
            trees.append(ConfigTree.parse(text, IOS_DIALECT).top)
        ignorecase = "ignorecase" in m.words
        return archive.differences(trees[0], trees[1], IOS_DIALECT, ignorecase=ignorecase)

    def x_show_archive_incr(self, m: Match) -> str:
        path = m.args[0]
        text = self.device.read_file(path)
        if text is None:
            return f"%Error opening {path} (No such file or directory)\n"
        wanted = ConfigTree.parse(text, IOS_DIALECT).top
        running = self.device.config.top
        return archive.incremental_diffs(
            running, wanted, IOS_DIALECT, ignorecase="ignorecase" in m.words
        )

    def x_show_archive_timer(self, m: Match) -> str:
        pending = self.device.pending
        if pending is None:
            return "%No Rollback Confirmed Change pending or scheduled\n"
        started = time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime(pending.started))
        return (
            f"Time configured(or Reset): {started}\nTimer type: Revert Timer\n"
            f"Timer value: {pending.minutes} min\nUser: {pending.user}\n"
        )

    def x_configure_revert_timer(self, m: Match) -> Reply:
        if self.device.archive_path() is None:
            return Reply("%Please turn config archive on\n", self.prompt)
        self.device.start_revert_timer(int(m.args[0]), self.username)
        return self.x_configure(m)

    def x_configure_confirm(self, m: Match) -> str:
        if self.device.pending is None:
            return "%No Rollback Confirmed Change pending\n"
        self.device.pending = None
        return ""

    def x_configure_revert_now(self, m: Match) -> str:
        if self.device.pending is None:
            return "%No Rollback Confirmed Change pending\n"
        self.device.revert()
        return "Rollback Done\n"

    def x_dir(self, m: Match) -> str:
        return show.dir_listing(self.device, m.args[0] if m.args else None)

    def x_more(self, m: Match) -> str:
        path = m.args[0]
        if self.level < 15 and self.level < self.device.file_privilege():
            return f"%Error opening {path} (Permission denied)\n"
        if self.device.is_directory(path):
            return f"%Error opening {path} (Is a directory)\n"
        text = self.device.read_file(path)
        if text is None:
            return f"%Error opening {path} (No such file or directory)\n"
        return text

    def x_verify_md5(self, m: Match) -> str:
        return show.md5_text(self.device, m.args[0])

    def x_delete(self, m: Match) -> Reply | str:
        device = self.device
        path = m.args[0]
        key = device.file_key(path)
        if key is None or key not in device.files:
            shown = device.display_path(key) if key else path
            return f"%Error deleting {shown} (No such file or directory)\n"
        shown = device.display_path(key)

        def remove(text: str = "") -> Reply:
            if text.strip().lower() not in ("", "y", "yes"):
                return Reply("", self.prompt)
            device.files.pop(key, None)
            return Reply("", self.prompt)

        if device.prompts_quiet() or "/force" in m.words:
            return remove()

        def confirm(text: str) -> Reply:
            return self.ask("", f"Delete {shown}? [confirm]", remove)

        return self.ask("", f"Delete filename [{shown.split(':/', 1)[1]}]? ", confirm)

    def x_copy(self, m: Match) -> Reply:
        device = self.device
        source, target = m.args if len(m.args) == 2 else ["running-config", m.args[0]]
        src, dst = _copy_end(source), _copy_end(target)
        if src == "running-config" and dst == "startup-config":
            return self.x_copy_run_start(m)
        text = device.read_file(src)
        if text is None:
            return Reply(f"%Error opening {source} (No such file or directory)\n", self.prompt)
        if dst not in ("running-config", "startup-config") and device.file_key(dst) is None:
            return Reply(f"%Error opening {target} (No such device)\n", self.prompt)
        default = dst if ":" not in dst else dst.split(":", 1)[1].lstrip("/")

        def answer(typed: str) -> Reply:
            name = typed.strip() or default
            if dst in ("running-config", "startup-config"):
                name = dst
            elif typed.strip():
                name = dst.split(":", 1)[0] + ":" + name
            else:
                name = dst
            return self._copy(text, name)

        if device.prompts_quiet():
            return answer("")
        return self.ask("", f"Destination filename [{default}]? ", answer)

    def _copy(self, text: str, target: str) -> Reply:
        size = len(text.encode())
        done = f"{size} bytes copied in 0.052 secs ({size * 19} bytes/sec)\n"
        if target == "running-config":
            refused = self.merge(text)
            return Reply(refused + done, self.prompt)
        if target == "startup-config":
            self.device.startup = text
            return Reply(done, self.prompt)
        key = self.device.file_key(target)
        if key is None or self.device.is_directory(key):
            return Reply(f"%Error opening {target} (Is a directory)\n", self.prompt)
        self.device.files[key] = FileEntry(text)
        return Reply(done, self.prompt)

    def refused_by_replace(self, text: str) -> str:
        """What IOS refuses of the lines a `configure replace` with ``text`` would add,
        tried on a copy of this box (the lines both configurations hold are not re-run)."""
        wanted = ConfigTree.parse(text, IOS_DIALECT).top
        added = archive.incremental_diffs(
            self.device.config.top, wanted, IOS_DIALECT, ignorecase=False
        )
        trial = type(self.device)(copy.deepcopy(self.device.state), self.device.running_config())
        session = trial.open_session(privileged=True)
        return session.merge("\n".join(added.splitlines()[1:]))

    def merge(self, text: str) -> str:
        """Apply ``text`` as configuration mode would, line by line (`copy FILE
        running-config`); returns what IOS prints for the lines it refused."""
        scratch = self.device.open_session(privileged=True)
        scratch.username = self.username
        scratch.frames = [Frame("config", [])]
        refused: list[str] = []
        for raw in text.replace("\r\n", "\n").split("\n"):
            line = raw.rstrip()
            if not scratch.waiting and (not line.strip() or line.lstrip().startswith("!")):
                continue
            if not scratch.waiting and line.strip().lower() == "end":
                break
            if not scratch.frames:
                scratch.frames = [Frame("config", [])]
            pad = len(scratch.prompt)
            output = scratch.handle(line).output
            if "% " in output:
                caret = output.startswith(" " * pad)
                refused += [line, output[pad:] if caret else output]
        return "".join(part if part.endswith("\n") else part + "\n" for part in refused)

    def x_configure(self, m: Match) -> Reply:
        self.frames = [Frame("config", [])]
        return Reply(CONFIG_BANNER + "\n", self.prompt)

    def x_configure_ask(self, m: Match) -> Reply:
        def answer(text: str) -> Reply:
            choice = text.strip().lower() or "terminal"
            if "terminal".startswith(choice):
                return self.x_configure(m)
            return Reply('?Must be "terminal", "memory" or "network"\n', self.prompt)

        return self.ask("", "Configuring from terminal, memory, or network [terminal]? ", answer)

    def x_configure_replace(self, m: Match) -> Reply:
        name = m.args[0]
        options = m.args[1].lower().split() if len(m.args) > 1 else []
        unknown = [w for w in options if w not in REPLACE_OPTIONS and not w.isdigit()]
        if unknown:
            pos = m.positions[len(m.positions) - len(options) + options.index(unknown[0])]
            return Reply(self.error(ParseError("invalid", pos), ""), self.prompt)
        text = self.device.read_file(name)
        if text is None:
            return Reply(f"%Error opening {name} (No such file or directory)\n", self.prompt)
        if {"revert", "time"} & set(options) and self.device.archive_path() is None:
            return Reply("%Please turn config archive on\n", self.prompt)

        def do_replace() -> Reply:
            refused = self.refused_by_replace(text)
            if refused and "revert" in options:
                return Reply(
                    f"{refused}Rollback aborted after 1 passes\n"
                    "The original configuration has been successfully restored.\n",
                    self.prompt,
                )
            if refused:  # the twin never leaves a half-replaced configuration behind
                return Reply(
                    f"{refused}Total number of passes: 1\n"
                    f"%Rollback failed: {name} holds commands this device refuses; "
                    "the running configuration is unchanged\n",
                    self.prompt,
                )
            before = self.device.running_config()
            self.device.replace_config(text)
            self.device.changed_since_save = True
            minutes = _timer_minutes(options)
            if minutes is not None:
                self.device.start_revert_timer(minutes, self.username, before)
            return Reply("Total number of passes: 1\nRollback Done\n\n", self.prompt)

        if "force" in options:
            return do_replace()

        def answer(reply: str) -> Reply:
            if reply.strip().lower() in ("y", "yes"):
                return do_replace()
            return Reply("", self.prompt)

        return self.ask("", REPLACE_WARNING, answer)

    def x_write(self, m: Match) -> str:
        self.device.write_memory()
        return "Building configuration...\n[OK]\n"

    def x_write_erase(self, m: Match) -> Reply:
        def answer(text: str) -> Reply:
            if text.strip().lower() in ("", "y", "yes"):
                self.device.startup = None
                return Reply("[OK]\nErase of nvram: complete\n", self.prompt)
            return Reply("", self.prompt)

        return self.ask(
            "",
            "Erasing the nvram filesystem will remove all configuration files! Continue? [confirm]",
            answer,
        )

    def x_copy_run_start(self, m: Match) -> Reply:
        def answer(text: str) -> Reply:
            target = text.strip() or "startup-config"
            if target in ("startup-config", "nvram:startup-config"):
                self.device.write_memory()
                return Reply("Building configuration...\n[OK]\n", self.prompt)
            return self._copy(self.device.running_config(), target)

        if self.device.prompts_quiet():
            return answer("")
        return self.ask("", "Destination filename [startup-config]? ", answer)

    def x_archive_config(self, m: Match) -> str:
        if self.device.make_archive() is None:
            return "%Archive feature not enabled\n"
        return ""

    def x_reload(self, m: Match) -> Reply:
        def confirm(text: str) -> Reply:
            if text.strip().lower() not in ("", "y", "yes"):
                return Reply("", self.prompt)
            self.device.reload()
            return Reply("", "", close=True)

        def save(text: str) -> Reply:
            choice = text.strip().lower()
            if choice in ("y", "yes"):
                self.device.write_memory()
                return self.ask(
                    "Building configuration...\n[OK]\n", "Proceed with reload? [confirm]", confirm
                )
            if choice in ("n", "no"):
                return self.ask("", "Proceed with reload? [confirm]", confirm)
            return self.ask(
                "% Please answer 'yes' or 'no'.\n",
                "System configuration has been modified. Save? [yes/no]: ",
                save,
            )

        if self.device.changed_since_save:
            return self.ask("", "System configuration has been modified. Save? [yes/no]: ", save)
        return self.ask("", "Proceed with reload? [confirm]", confirm)

    # -- configuration mode ------------------------------------------------------
    def config_line(self, line: str) -> Reply:
        text = line.strip()
        if text.startswith("!"):
            return Reply("", self.prompt)
        negate = False
        body, offset = line, 0
        first = text.split(None, 1)
        if first[0].lower() == "no":
            if len(first) == 1:
                return Reply("% Incomplete command.\n\n", self.prompt)
            negate = True
            offset = line.index(first[1], line.index(first[0]) + 2)
            body = line[offset:]
        errors: list[ParseError] = []
        for depth in range(len(self.frames), 0, -1):
            grammar = self.device.grammars.config[self.frames[depth - 1].mode]
            m = grammar.match(
                body, resolve_if=self.device.resolve_interface(True), partial=negate, offset=offset
            )
            if isinstance(m, Match):
                if negate and m.spec.action in ("do", "end", "exit"):
                    errors.append(ParseError("invalid", m.positions[0]))
                    break
                if not m.negation_complete():
                    errors.append(ParseError("incomplete", len(line.rstrip())))
                    break
                del self.frames[depth:]
                return self.apply(m, negate)
            errors.append(m)
        return Reply(self.error(errors[0], line), self.prompt)

    def apply(self, m: Match, negate: bool) -> Reply:
        frame = self.frames[-1]
        action = m.spec.action
        words = m.canonical_words()
        if action in ("do", "end", "exit"):
            return HANDLERS[action](self, m, negate, self.device.config.root, words)
        parent = self.device.editor.resolve(frame.path, self._mode_at)
        if action != "set":
            reply = HANDLERS[action](self, m, negate, parent, words)
        elif m.spec.mode is not None:
            reply = self.enter_section(words, m.spec, negate, parent, frame)
        else:
            self.set_leaf(words, m.spec, negate, parent, frame.mode)
            reply = Reply("", self.prompt)
        self.device.changed_since_save = True
        self.device.sync_state()
        return reply

    def _mode_at(self, depth: int) -> str:
        return self.frames[depth + 1].mode if depth + 1 < len(self.frames) else "config"

    def set_leaf(
        self, words: list[str], sp: Spec, negate: bool, parent: ConfigNode, mode: str
    ) -> None:
        self.device.editor.set_leaf(words, sp, negate, parent, child_mode(mode))

    def enter_section(
        self, words: list[str], sp: Spec, negate: bool, parent: ConfigNode, frame: Frame
    ) -> Reply:
        text = " ".join(words)
        editor = self.device.editor
        if negate:
            editor.remove_section(parent, text)
            return Reply("", self.prompt)
        editor.section(parent, text, child_mode(frame.mode))
        self.frames.append(Frame(sp.mode or "config", [*frame.path, text]))
        return Reply("", self.prompt)

    # -- special configuration commands ------------------------------------------


def _timer_minutes(options: list[str]) -> int | None:
    """`... revert timer N` / `... time N`: the minutes of the revert timer, if any."""
    for word in ("timer", "time"):
        if word in options:
            i = options.index(word)
            if i + 1 < len(options) and options[i + 1].isdigit():
                return int(options[i + 1])
    return None


def _copy_end(word: str) -> str:
    """What one side of `copy` names: ``running-config`` (``system:running-config``,
    ``run``), ``startup-config`` (``nvram:startup-config``, ``start``), or a path."""
    low = word.lower().replace(":/", ":")
    if low in ("system:running-config", "system:running"):
        return "running-config"
    if low in ("nvram:startup-config", "nvram:startup"):
        return "startup-config"
    if ":" not in low:
        for full in ("running-config", "startup-config"):
            if len(low) >= 3 and full.startswith(low):
                return full
    return word


def _parse_modifier(tail: str) -> tuple[str, str] | None:
    words = tail.split(None, 1)
    if not words:
        return None
    word = words[0].lower()
    for full in ("include", "exclude", "begin", "section", "count"):
        if full.startswith(word):
            if len(words) < 2 and full != "count":
                return None
            return full, words[1] if len(words) > 1 else ""
    return None
