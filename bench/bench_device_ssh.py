"""How many simulated devices one process serves, and how fast Netmiko gets answers.

    python bench/bench_device_ssh.py [--devices 500] [--clients 50] [--port 10022]

A child process starts ``--devices`` devices (half cisco_ios, half huawei_vrp) on
127.77.x.y:port and reports its start time and RSS; this process then opens
``--clients`` Netmiko sessions at once (threads), each sending one show command, and
reports the wall time. Targets: start < 10 s, RSS < 1 GiB, clients < 5 s.
Traffic goes to 127.0.0.0/8 only; everything is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import multiprocessing as mp
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "bench-only"  # a throwaway credential for loopback-only devices


def host_of(i: int) -> str:
    return f"127.77.{i // 250}.{i % 250 + 1}"


def platform_of(i: int) -> str:
    return "cisco_ios" if i % 2 == 0 else "huawei_vrp"


def spread(devices: int, clients: int) -> list[int]:
    """``clients`` device indices spread over the range, alternating the platforms."""
    picks: list[int] = []
    for k in range(clients):
        i = k * devices // clients
        if i % 2 != k % 2:
            i = i + 1 if i + 1 < devices else i - 1
        if 0 <= i < devices and i not in picks:
            picks.append(i)
    return picks


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def serve(count: int, port: int, key_path: str, pipe: Connection) -> None:
    """Child process: build and serve ``count`` devices until told to stop."""
    from lab.device import make_device
    from lab.device.server import SshEndpoint, SshTwinServer
    from lab.state import DeviceState

    async def main() -> None:
        started = time.perf_counter()
        endpoints = []
        for i in range(count):
            platform = platform_of(i)
            state = DeviceState(name=f"dev{i}", platform=platform, hostname=f"DEV{i}")
            if platform == "cisco_ios":
                names = ["GigabitEthernet0/0", "GigabitEthernet0/1", "Loopback0"]
            else:
                names = ["GigabitEthernet0/0/0", "GigabitEthernet0/0/1", "LoopBack0"]
            state.add_interface(
                names[0], ipv4=[ipaddress.IPv4Interface(f"10.{i // 250}.{i % 250}.1/24")]
            )
            state.add_interface(names[1])
            state.add_interface(
                names[2], ipv4=[ipaddress.IPv4Interface(f"172.16.{i // 250}.{i % 250}/32")]
            )
            endpoints.append(SshEndpoint(host_of(i), port, make_device(state), "bench", PASSWORD))
        server = SshTwinServer()
        await server.start(endpoints, Path(key_path))
        elapsed = time.perf_counter() - started
        pipe.send(
            {
                "start_s": elapsed,
                "rss_mib": rss_mib(),
                "addresses": [server.address(ep) for ep in endpoints],
            }
        )
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, pipe.recv)  # wait for "stop"
        pipe.send({"rss_mib_after": rss_mib()})
        await server.stop()

    asyncio.run(main())


def client(address: tuple[str, int], platform: str) -> tuple[float, float]:
    """Seconds until the show command's output is in, and until disconnected."""
    from netmiko import ConnectHandler

    started = time.perf_counter()
    with ConnectHandler(
        device_type=platform,
        host=address[0],
        port=address[1],
        username="bench",
        password=PASSWORD,
        conn_timeout=10,
    ) as conn:
        out = conn.send_command("show version" if platform == "cisco_ios" else "display version")
        answered = time.perf_counter() - started
    assert isinstance(out, str) and "uptime is" in out, out[:200]
    return answered, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--port", type=int, default=10022, help="0: any free port")
    args = parser.parse_args(argv)
    if not 1 <= args.devices <= 2000 or not 0 <= args.clients <= min(200, args.devices):
        parser.error("--devices must be 1..2000 and --clients 0..min(200, devices)")

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    with tempfile.TemporaryDirectory() as tmp:
        proc = ctx.Process(
            target=serve, args=(args.devices, args.port, str(Path(tmp) / "host_key"), child)
        )
        launched = time.perf_counter()
        proc.start()
        try:
            if not parent.poll(60):
                print("server did not start within 60 s", file=sys.stderr)
                return 1
            ready = parent.recv()
            spawn_s = time.perf_counter() - launched
            ios = (args.devices + 1) // 2
            print(f"devices: {args.devices} (cisco_ios {ios}, huawei_vrp {args.devices - ios})")
            print(
                f"start: {ready['start_s']:.2f} s to build and listen "
                f"({spawn_s:.2f} s including interpreter start)  target < 10 s"
            )
            print(f"server RSS after start: {ready['rss_mib']:.0f} MiB  target < 1024 MiB")

            addresses = ready["addresses"]
            picks = spread(args.devices, args.clients)
            if picks:
                n_ios = sum(1 for i in picks if platform_of(i) == "cisco_ios")
                started = time.perf_counter()
                with ThreadPoolExecutor(len(picks)) as pool:
                    results = list(
                        pool.map(
                            lambda i: client(tuple(addresses[i]), platform_of(i)),
                            picks,
                            timeout=120,
                        )
                    )
                wall = time.perf_counter() - started
                answered = sorted(r[0] for r in results)
                print(
                    f"netmiko: {len(picks)} sessions at once (cisco_ios {n_ios}, huawei_vrp "
                    f"{len(picks) - n_ios}), connect + one show command: last answer after "
                    f"{answered[-1]:.2f} s  target < 5 s (median {answered[len(answered) // 2]:.2f}"
                    f" s); wall including Netmiko's disconnect {wall:.2f} s"
                )
            parent.send("stop")
            if parent.poll(30):
                after = parent.recv()
                print(f"server RSS after the sessions: {after['rss_mib_after']:.0f} MiB")
        finally:
            proc.join(30)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
