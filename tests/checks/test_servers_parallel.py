"""The servers' source reads every server at once (bounded) and a failing server fails
alone. The SSH read itself (``ServerFacts._read``: pyinfra over SSH, covered against a real
twin server in test_audit_servers_twin.py) is replaced here: what is tested is the fan-out."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from checks.engine import ServerOutputs, Unreadable, is_server
from checks.sources.servers import ServerFacts
from inventory.masking import Redactor
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from tests.conftest import EXAMPLE


class Staged(ServerFacts):
    """Every server but ``broken`` waits for the others at a barrier (so a sequential read
    would break it) and answers; ``broken`` raises as a server sending garbage would."""

    def __init__(self, waiting: int, broken: str) -> None:
        inv = load_valid(EXAMPLE)
        super().__init__(inv, SecretStore({}), Redactor({}), None, concurrency=waiting + 1)
        self.barrier = threading.Barrier(waiting, timeout=30)
        self.broken = broken

    def _read(
        self, servers: Sequence[DeviceView], commands: Sequence[str]
    ) -> Mapping[str, ServerOutputs | Unreadable]:
        [server] = servers
        if server.name == self.broken:
            raise RuntimeError("garbage from the server")
        self.barrier.wait()
        return {server.name: ServerOutputs(f"ssh://{server.name}", dict.fromkeys(commands, ""))}


def test_servers_are_read_at_once_and_one_failing_fails_alone() -> None:
    servers = [d for d in iter_devices(load_valid(EXAMPLE)) if is_server(d)][:4]
    assert len(servers) == 4
    source = Staged(waiting=3, broken=servers[1].name)
    read = source.outputs(servers, ["sshd -T"])
    assert set(read) == {s.name for s in servers}
    failed = read[servers[1].name]
    assert isinstance(failed, Unreadable)
    assert "garbage from the server" in failed.reason
    for server in (servers[0], *servers[2:]):
        answered = read[server.name]
        assert isinstance(answered, ServerOutputs), answered
        assert answered.outputs == {"sshd -T": ""}
