"""A host that answers pyinfra's facts from a fixture, as pyinfra's own operation tests do:
the deploy's code runs for real (decisions, operations, their commands), only the facts
come from data. Nothing connects anywhere.

A fixture's ``facts``::

    {"ssh_connection": "10.38.128.200 51022 10.38.128.11 22",
     "files": {"/etc/issue": "text"},        # files there are, with their content
     "files_as_planned": true,               # + every file the deploy writes, as it would
     "dirs": ["/etc/ssh/sshd_config.d"],     # directories there are (besides files' parents)
     "dir_stats": {"/var/log/soc": {"group": "adm", "mode": 750}},  # when not root:root 755
     "packages": ["openssh-server"],         # installed Debian packages
     "running": ["ssh.service"], "enabled": ["ssh.service"],
     "apt_updated_seconds_ago": 60,
     "commands": {"ip -j addr show": "[...]"},  # what a Command fact prints, by command
     "sysctl": {"net.ipv6.conf.all.forwarding": 0},
     "links": {"/etc/nginx/sites-enabled/site": "/etc/nginx/sites-available/site"}}

A fact the fixture cannot answer fails the test (the fixture would be lying by omission).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import pytest
from pyinfra.api.command import FileUploadCommand, StringCommand
from pyinfra.api.config import Config
from pyinfra.api.deploy import add_deploy
from pyinfra.api.host import Host
from pyinfra.api.inventory import Inventory
from pyinfra.api.state import State, StateStage
from pyinfra.context import ctx_host, ctx_state


@dataclass
class FakeFacts:
    ssh_connection: str = ""
    files: dict[str, str] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)  # a file's mode when not 644
    dirs: set[str] = field(default_factory=set)
    dir_stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)
    running: set[str] = field(default_factory=set)
    enabled: set[str] = field(default_factory=set)
    apt_updated_seconds_ago: int | None = None
    commands: dict[str, str] = field(default_factory=dict)
    sysctl: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # symbolic link -> its target
    owners: dict[str, list[str]] = field(default_factory=dict)  # path -> [user, group]
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # pyinfra's Users fact
    groups: set[str] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for path in list(self.files):
            self.dirs.update(str(p) for p in PurePosixPath(path).parents)

    def answer(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        path = kwargs.get("path", "")
        if name == "Command":
            return self.commands.get(args[0], self.ssh_connection) if args else None
        if name == "Sysctl":
            return {k: self.sysctl[k] for k in kwargs.get("keys") or [] if k in self.sysctl}
        if name == "File":
            if path == "/var/lib/apt/periodic/update-success-stamp":
                if self.apt_updated_seconds_ago is None:
                    return None
                when = datetime.now(UTC) - timedelta(seconds=self.apt_updated_seconds_ago)
                return {"mtime": when.replace(tzinfo=None), "mode": 644}
            if path not in self.files:
                return None
            mode = self.modes.get(path, 644)
            user, group = self.owners.get(path, ["root", "root"])
            return {"user": user, "group": group, "mode": mode, "size": len(self.files[path])}
        if name == "Link":
            target = self.links.get(path)
            return {"link_target": target, "user": "root", "group": "root"} if target else None
        if name == "Directory":
            if path not in self.dirs:
                return None
            return {"user": "root", "group": "root", "mode": 755} | self.dir_stats.get(path, {})
        if name == "Sha1File":
            text = self.files.get(path)
            return hashlib.sha1(text.encode()).hexdigest() if text is not None else None
        if name in ("Md5File", "Sha256File"):
            return None
        if name == "FindFiles":
            return sorted(f for f in self.files if PurePosixPath(f).parent == PurePosixPath(path))
        if name == "DebPackages":
            return {p: {"1.0"} for p in self.packages}
        if name == "Os":
            return "Linux"
        if name == "LinuxName":
            return "Debian"
        if name == "Which":
            return f"/usr/sbin/{kwargs.get('command')}"
        if name == "Users":
            return self.users
        if name == "Groups":
            return sorted(self.groups)
        if name == "TmpDir":
            return "/tmp"
        if name == "Date":
            return datetime.now(UTC).replace(tzinfo=None)
        if name == "SystemdStatus":
            return {s: s in self.running for s in kwargs.get("services") or []}
        if name == "SystemdEnabled":
            return {s: s in self.enabled for s in kwargs.get("services") or []}
        self.unknown.append(f"{name} {args} {kwargs}")
        return None


def command_text(command: Any) -> str:
    if isinstance(command, FileUploadCommand):
        return f"upload {command.dest}"
    if isinstance(command, StringCommand):
        return str(command.get_raw_value())
    return str(command)


@contextmanager
def fake_facts(monkeypatch: pytest.MonkeyPatch, facts: FakeFacts) -> Iterator[None]:
    def get_fact(self: Host, cls: type, *args: Any, **kwargs: Any) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if not k.startswith("_")}
        return facts.answer(cls.__name__, args, kwargs)

    monkeypatch.setattr(Host, "get_fact", get_fact)
    yield


def prepared_commands(
    deploy: Any,
    name: str,
    data: dict[str, Any],
    facts: FakeFacts,
    monkeypatch: pytest.MonkeyPatch,
    config: Config | None = None,
    after_prepare: Callable[[], object] | None = None,
) -> dict[str, dict[str, Any]]:
    """``{operation name: {"commands": [...], "if": bool}}`` for every operation the deploy
    adds for a host with ``data`` and ``facts``, in order; ``if``: it runs only when its
    ``_if`` condition (an earlier change) holds. ``after_prepare`` is called once the deploy
    is prepared, before the commands are listed (listing runs every operation in full)."""
    inventory = Inventory(([(name, data)], {}))
    state = State(check_for_changes=True)
    with ctx_state.use(state):
        state.init(inventory, config or Config())
    state.set_stage(StateStage.Prepare)
    host = inventory.get_host(name)
    found: dict[str, dict[str, Any]] = {}
    with fake_facts(monkeypatch, facts), ctx_state.use(state):
        add_deploy(state, deploy, host=host)
        if after_prepare is not None:
            after_prepare()
        with ctx_host.use(host):
            for op_hash in state.get_op_order():
                op = state.ops[host].get(op_hash)
                if op is None:
                    continue
                label = sorted(state.get_op_meta(op_hash).names)[0].split(" | ", 1)[-1]
                found[label] = {
                    "commands": [command_text(c) for c in op.command_generator()],
                    "if": bool(op.global_arguments.get("_if")),
                }
    return found
