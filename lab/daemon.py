"""The twin daemon: ``python -m lab.daemon STATE_DIR``, started by ``provnet lab up``.

Reads ``twin.json`` from STATE_DIR, serves every simulated device, answers control
requests (one JSON object per line) on ``control.sock``, and exits on ``stop`` or
SIGTERM, removing its socket and pid file.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from ipaddress import IPv4Interface, IPv4Network, IPv6Interface
from pathlib import Path

from lab.control import CONTROL, KNOWN_HOSTS, NETNS_DIR, PIDFILE, READY, SERVERS
from lab.image import Image
from lab.netns import LinuxHost, NetnsTwin
from lab.runtime import TwinRuntime, handle_control
from lab.twin import spec_from_json


async def serve(state_dir: Path) -> None:
    spec = spec_from_json((state_dir / "twin.json").read_text(encoding="utf-8"))
    runtime = TwinRuntime(spec, state_dir / "ssh_host_key")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                request = json.loads(line)
                if request.get("op") == "stop":
                    answer = {"ok": True}
                    stopping.set()
                else:
                    answer = await handle_control(runtime, request)
                writer.write(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, json.JSONDecodeError):
            pass
        finally:
            writer.close()

    await runtime.start()
    server = await asyncio.start_unix_server(client, path=str(state_dir / CONTROL))
    (state_dir / READY).write_text(str(len(spec.devices)), encoding="utf-8")
    try:
        await stopping.wait()
    finally:
        server.close()
        await runtime.stop()
        for name in (CONTROL, READY, PIDFILE):
            (state_dir / name).unlink(missing_ok=True)


def start_servers(state_dir: Path) -> NetnsTwin | None:
    """The Linux servers `lab up` planned (root only): Debian systems booted with systemd.
    Their host keys join the overlay inventory's known_hosts."""
    path = state_dir / SERVERS
    if not path.exists():
        return None
    plan = json.loads(path.read_text(encoding="utf-8"))
    hosts = [
        LinuxHost(
            h["name"], IPv4Interface(h["ipv4"]), IPv6Interface(h["ipv6"]) if h["ipv6"] else None
        )
        for h in plan["hosts"]
    ]
    image = Image(Path(plan["image"]["root"]), Path(plan["image"]["mirror"]), plan["image"]["key"])
    twin = NetnsTwin()
    twin.start(
        hosts,
        prefix=plan["prefix"],
        state_dir=state_dir / NETNS_DIR,
        image=image,
        device_prefixes=[IPv4Network(p) for p in plan.get("device_prefixes", [])],
    )
    with (state_dir / "inventory" / KNOWN_HOSTS).open("a", encoding="utf-8") as known:
        known.write(twin.known_hosts.read_text(encoding="utf-8"))
    return twin


def main() -> None:
    state_dir = Path(sys.argv[1])
    (state_dir / PIDFILE).write_text(str(os.getpid()), encoding="utf-8")
    servers = start_servers(state_dir)
    try:
        asyncio.run(serve(state_dir))
    finally:
        if servers is not None:
            servers.stop()


if __name__ == "__main__":
    main()
