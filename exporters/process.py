"""Running the exporter: one process or ``--workers`` processes sharing the port
(SO_REUSEPORT), signals (SIGTERM/SIGINT stop, SIGHUP reloads), the listening socket, the
open-file limit, the heap settled after start-up and the event loop's lag watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import resource
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exporters.errors import BadListen
from exporters.metrics import SelfMetrics
from exporters.registry import Registry
from exporters.server import Server

log = logging.getLogger("provnet.exporter")


def settle_heap() -> None:
    """Move what start-up built (config, modules, imports) out of the collector's sight and
    collect young objects less often: a scrape makes thousands of short-lived containers,
    and with the default threshold (700) the collector ran every few PDUs, each full pass
    walking the whole start-up heap again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def raise_file_limit() -> None:
    """Each scrape holds a UDP socket; lift the soft open-file limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


LISTEN_BACKLOG = 4096
"""Connections the kernel queues until the exporter accepts them (capped by
``net.core.somaxconn``): Prometheus opens one per scrape in flight, and each SYN a full
queue drops costs its scrape a second or more."""


def listen_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(LISTEN_BACKLOG)
    sock.setblocking(False)
    return sock


LAG_TICK = 0.1
"""Seconds between two measurements of the event loop's lag."""


async def watch_loop_lag(observe: Callable[[float], None], tick: float = LAG_TICK) -> None:
    """Sleep ``tick`` over and over and report how much later than asked each wake-up came."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time() + tick
        await asyncio.sleep(tick)
        observe(max(loop.time() - asked, 0.0))


async def serve(server: Server, sock: socket.socket, stop: asyncio.Event) -> None:
    http = server.http()
    listener = await asyncio.get_running_loop().create_server(
        http.protocol,
        sock=sock,
        backlog=LISTEN_BACKLOG,  # asyncio listens again, at 100 by default
    )
    lag = asyncio.create_task(watch_loop_lag(server.metrics.loop_lag.observe))
    warm = asyncio.create_task(server.warm_pysnmp()) if server.wants_pysnmp() else None
    try:
        await stop.wait()
    finally:
        lag.cancel()
        if warm is not None:
            warm.cancel()
        listener.close()
        await http.shutdown(timeout=2.0)


def run_worker(server: Server, host: str, port: int, reuse_port: bool) -> None:
    """Serve until SIGTERM/SIGINT."""
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]

        uvloop.install()
    except ImportError:
        pass
    raise_file_limit()
    settle_heap()
    sock = listen_socket(host, port, reuse_port)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, server.reload)
        await serve(server, sock, stop)

    asyncio.run(main())


def run(
    registry: Registry,
    host: str,
    port: int,
    workers: int = 1,
    concurrency: int = 256,
    multiprocess_dir: Path | None = None,
    log_level: str = "INFO",
    load: Callable[[], Registry] | None = None,
    always_200: bool = False,
) -> None:
    """Serve with ``workers`` processes sharing the port (SO_REUSEPORT) when more than one;
    ``load`` reloads the configuration on SIGHUP (forwarded to every worker) and on
    ``POST /-/reload``."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if workers <= 1:
        server = Server(registry, SelfMetrics(), concurrency, load=load, always_200=always_200)
        run_worker(server, host, port, reuse_port=False)
        return
    if multiprocess_dir is None:
        import tempfile

        multiprocess_dir = Path(tempfile.mkdtemp(prefix="provnet-exporter-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess_dir)
    children: list[int] = []
    parent = os.getpid()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                from prometheus_client import values

                values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
                metrics = SelfMetrics(str(multiprocess_dir))
                server = Server(registry, metrics, concurrency, load=load, always_200=always_200)
                server.tell_siblings = lambda: os.kill(parent, signal.SIGHUP)  # forwards
                run_worker(server, host, port, reuse_port=True)
            except BaseException:  # a worker never returns into the parent's code
                log.exception("worker failed")
                code = 1
            os._exit(code)
        children.append(pid)

    def forward(signum: int, frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    def forward_reload(signum: int, frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGHUP)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGHUP, forward_reload)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
    import shutil

    shutil.rmtree(multiprocess_dir, ignore_errors=True)


def split_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[V6]:PORT``; :class:`BadListen` otherwise."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not host or not 0 < int(port) < 65536:
        raise BadListen(f"--listen '{text}': expected HOST:PORT")
    return host, int(port)
