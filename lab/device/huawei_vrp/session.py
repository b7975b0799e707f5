"""Huawei VRP (AR routers, S switches): one login (pure) on a `huawei_vrp` box.

Views and prompts as on the box (``<R1>``, ``[R1]``, ``[R1-GigabitEthernet0/0/1]``,
``[R1-ui-vty0-4]``, ``[R1-aaa]`` ...), keyword abbreviation, ``undo`` negation,
``display`` from any view (output from ``show.py``), the ``save`` dialogue,
``rollback configuration to file``, configuration lines through the editor or a handler
of ``handlers.py``, and errors as VRP prints them (``Error: Unrecognized command found
at '^' position.``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from lab.device.base import CliSession, Frame, Reply, apply_filter
from lab.device.config import ConfigNode
from lab.device.grammar import Grammar, Match, ParseError
from lab.device.huawei_vrp import show, show_more, show_switch
from lab.device.huawei_vrp.grammar import EXEC_ACTIONS, USER_GRAMMAR, VIEW_GRAMMARS
from lab.device.huawei_vrp.handlers import HANDLERS
from lab.device.huawei_vrp.model import flash_path

if TYPE_CHECKING:
    from lab.device.huawei_vrp.device import VrpDevice

SYSTEM_VIEW_BANNER = "Enter system view, return user view with Ctrl+Z."
SAVE_QUESTION = (
    "Warning: The current configuration will be written to the device. "
    "Are you sure to continue?[Y/N]:"
)
SAVED = (
    "Now saving the current configuration to the slot 0.\nInfo: Save the configuration "
    "successfully.\n"
)


class VrpSession(CliSession):
    device: VrpDevice

    def __init__(self, device: VrpDevice, *, privileged: bool = False) -> None:
        super().__init__(device, privileged=privileged)
        self.frames: list[Frame] = []
        self.level = 15  # a login the configuration does not name: management level

    def sign_in(self, username: str) -> None:
        level = self.device.user_level(username)
        if level is not None:
            self.level = level

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
            if isinstance(m, Match) and self.device.command_level(m.words) > self.level:
                m = ParseError("invalid", len(line) - len(line.lstrip()))  # not the user's
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
        words = m.canonical_words()
        if action != "set":
            reply = HANDLERS[action](self, m, negate, parent, words)
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
        self.frames.append(Frame(mode, [*frame.path, text], view))
        return Reply("", self.prompt)

    # -- user view / any view ----------------------------------------------------------
    def x_d_more(self, m: Match) -> str:
        """A display of ``show_more``, found by the words after `display`."""
        return show_more.DISPLAYS[" ".join(m.spec.words[1:])](self.device)

    def x_system_view(self, m: Match) -> Reply:
        self.frames = [Frame("system", [], "")]
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
            else f"Are you sure to save the configuration to {flash_path(name)}?[Y/N]:"
        )

        def answer(text: str) -> Reply:
            if text.strip().lower() in ("y", "yes"):
                dev.save_to(name)
                return Reply(SAVED, self.prompt)
            return Reply("", self.prompt)

        return self.ask("", question, answer)

    def x_startup(self, m: Match) -> str:
        name = m.args[0].split("/")[-1].replace("flash:", "")
        if flash_path(name) not in self.device.files:
            return "Error: The file does not exist.\n"
        self.device.next_startup = name
        self.device.startup = self.device.files[flash_path(name)].content
        return ""

    def x_rollback(self, m: Match) -> Reply:
        name = m.args[0]
        entry = self.device.files.get(flash_path(name))
        if entry is None:
            return Reply(f"Error: The file {flash_path(name)} does not exist.\n", self.prompt)

        def answer(text: str) -> Reply:
            if text.strip().lower() not in ("y", "yes"):
                return Reply("", self.prompt)
            self.device.replace_config(entry.content)
            self.device.changed_since_save = True
            return Reply("Info: Succeeded in rolling back the configuration.\n", self.prompt)

        return self.ask(
            "",
            "Warning: The current configuration will be replaced by the "
            f"configuration in {flash_path(name)}. Continue? [Y/N]:",
            answer,
        )

    def x_dir(self, m: Match) -> str:
        return show.dir_listing(self.device)

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
        return show.display_version(self.device)

    def x_d_current(self, m: Match) -> str:
        return show.display_current(self.device)

    def x_d_current_interface(self, m: Match) -> str:
        return show.display_current_interface(self.device, m.args[0])

    def x_d_this(self, m: Match) -> str:
        return show.display_this(self.device, self.frames[-1].path if self.frames else [])

    def x_d_saved(self, m: Match) -> str:
        return show.display_saved(self.device)

    def x_d_startup(self, m: Match) -> str:
        return show.display_startup(self.device)

    def x_d_clock(self, m: Match) -> str:
        return show.display_clock()

    def x_d_users(self, m: Match) -> str:
        return show.display_users(self.device, self)

    def x_d_vlan(self, m: Match) -> str:
        return show_switch.display_vlan(self.device)

    def x_d_port_vlan(self, m: Match) -> str:
        return show_switch.display_port_vlan(self.device)

    def x_d_stp_brief(self, m: Match) -> str:
        return show_switch.display_stp_brief(self.device)

    def x_d_ip_int_brief(self, m: Match) -> str:
        return show.display_ip_int_brief(self.device)

    def x_d_ipv6_int_brief(self, m: Match) -> str:
        return show.display_ipv6_int_brief(self.device)

    def x_d_int_brief(self, m: Match) -> str:
        return show.display_int_brief(self.device)

    def x_d_interface(self, m: Match) -> str:
        return show.display_interface(self.device, m.args[0] if m.args else None)

    def x_d_ip_routing(self, m: Match) -> str:
        return show.display_ip_routing(self.device)

    def x_d_ipv6_routing(self, m: Match) -> str:
        return show.display_ipv6_routing(self.device)
