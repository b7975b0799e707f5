"""Servers' state over SSH, read with pyinfra's facts API (``State``, ``connect_all``,
``get_facts``), as ``provnet servers`` reaches the same hosts but without any deploy.

A server control names read-only commands (``sshd -T``, ``nft list ruleset``); each is
run once per server as a pyinfra fact (:class:`Output`: its output and exit status). A
server that cannot be reached (down, refused, wrong host key, a secret that cannot be
resolved) is ``Unreadable`` for every control; a command that exits non-zero is an error
for the controls that read it. Secrets are resolved by name now, into memory only, and
masked out of every message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

from pyinfra.api.config import Config
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.facts import FactBase, get_facts
from pyinfra.api.host import Host
from pyinfra.api.inventory import Inventory as PyinfraInventory
from pyinfra.api.state import BaseStateCallback, State
from pyinfra.context import ctx_state

from checks.engine import ServerOutputs, Unreadable
from inventory.errors import SecretUnavailable
from inventory.export import host_data, pyinfra_hosts
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore
from provnet.errors import NOT_CONTAINED

EXIT_MARK = "provnet-exit-status="
ERROR_LENGTH = 300


class Output(FactBase[tuple[int, str]]):
    """A command's output (stderr after stdout) and its exit status; the fact itself always
    succeeds, so that a failing command is this server's finding, not pyinfra's error."""

    def command(self, command: str) -> str:
        return f"{{ {command} ; }} 2>&1; echo {EXIT_MARK}$?"

    def process(self, output: list[str]) -> tuple[int, str]:
        last = output[-1] if output else ""
        status = int(last[len(EXIT_MARK) :]) if last.startswith(EXIT_MARK) else 255
        return status, "\n".join(output[:-1] if last.startswith(EXIT_MARK) else output)


class _ConnectErrors(BaseStateCallback):
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def host_connect_error(self, state: State, host: Host, error: Any) -> None:  # type: ignore[override]
        self.errors[host.name] = str(error)


@contextmanager
def _quiet() -> Iterator[None]:
    """pyinfra logs every connection and fact; the audit reports them itself."""
    logger = logging.getLogger("pyinfra")
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class ServerFacts:
    def __init__(
        self,
        inventory: Inventory,
        store: SecretStore,
        redactor: Redactor,
        known_hosts: str | None,
        timeout: int = 20,
        concurrency: int = 20,
    ) -> None:
        self.inventory = inventory
        self.store = store
        self.redactor = redactor
        self.known_hosts = known_hosts
        self.timeout = timeout
        self.concurrency = concurrency

    def _inventory(
        self, servers: Sequence[DeviceView]
    ) -> tuple[PyinfraInventory, dict[str, Unreadable], dict[str, str]]:
        entries: list[tuple[str, dict[str, Any]]] = []
        failed: dict[str, Unreadable] = {}
        where: dict[str, str] = {}
        for host in pyinfra_hosts(self.inventory, servers):
            try:
                password = (
                    self.store.resolve(host.password, f"{host.name}, ssh password").reveal()
                    if host.password is not None
                    else None
                )
            except SecretUnavailable as exc:
                failed[host.name] = Unreadable(self.redactor.clean(str(exc)))
                continue
            data = host_data(host, password, self.known_hosts)
            data["ssh_connect_timeout"] = self.timeout
            entries.append((host.name, data))
            where[host.name] = f"ssh://{data['ssh_hostname']}:{data['ssh_port']}"
        return PyinfraInventory((entries, {})), failed, where

    def outputs(
        self, servers: Sequence[DeviceView], commands: Sequence[str]
    ) -> Mapping[str, ServerOutputs | Unreadable]:
        """Every server read at once, ``concurrency`` at a time, each in a thread of its own
        with its own pyinfra state (the audit's process is not patched with gevent, so one
        state's greenlets would read the servers one after another)."""
        result: dict[str, ServerOutputs | Unreadable] = {}
        workers = max(1, min(self.concurrency, len(servers)))
        with _quiet(), ThreadPoolExecutor(max_workers=workers) as pool:
            for read in pool.map(lambda s: self._guarded(s, commands), servers):
                result |= read
        return result

    def _guarded(
        self, server: DeviceView, commands: Sequence[str]
    ) -> Mapping[str, ServerOutputs | Unreadable]:
        try:
            return self._read([server], commands)
        except NOT_CONTAINED:
            raise
        except BaseException as exc:  # whatever one server does fails it alone
            why = self.redactor.clean(f"{type(exc).__name__}: {exc}")
            return {server.name: Unreadable(f"{server.name}: {why}"[:ERROR_LENGTH])}

    def _read(
        self, servers: Sequence[DeviceView], commands: Sequence[str]
    ) -> Mapping[str, ServerOutputs | Unreadable]:
        if not servers:
            return {}
        pyinfra_inventory, out, where = self._inventory(servers)
        result: dict[str, ServerOutputs | Unreadable] = dict(out)
        if not where:
            return result
        state = State(check_for_changes=False)
        errors = _ConnectErrors()
        with ctx_state.use(state):
            state.init(pyinfra_inventory, Config(FAIL_PERCENT=None))
        state.add_callback_handler(errors)
        read: dict[str, dict[str, tuple[int, str]]] = {name: {} for name in where}
        with ctx_state.use(state):
            with suppress(PyinfraError):  # "no hosts remaining": each is reported below
                connect_all(state)
            connected = {h.name for h in pyinfra_inventory if h.connected}
            try:
                for command in commands if connected else ():
                    facts = get_facts(state, Output, args=(command,), apply_failed_hosts=False)
                    for host, value in facts.items():
                        if value is not None:
                            read[host.name][command] = value
            finally:
                with suppress(PyinfraError):
                    disconnect_all(state)
        for host in pyinfra_inventory:
            if host.name not in connected:
                why = errors.errors.get(host.name, "could not connect")
                result[host.name] = Unreadable(
                    f"{host.name} ({where[host.name]}): {self.redactor.clean(why)}"[:ERROR_LENGTH]
                )
                continue
            outputs = {c: text for c, (status, text) in read[host.name].items() if status == 0}
            failed = {
                c: self.redactor.clean(f"exit status {status}: {text.strip()[-200:]}")
                for c, (status, text) in read[host.name].items()
                if status != 0
            }
            failed |= {c: "no answer" for c in commands if c not in read[host.name]}
            outputs = {c: self.redactor.clean(t) for c, t in outputs.items()}
            result[host.name] = ServerOutputs(where[host.name], outputs, failed)
        return result
