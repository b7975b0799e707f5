"""A monitoring stack on this machine: provnet's exporter and a real Prometheus (Debian's
/usr/bin/prometheus), each started on 127.0.0.1 at a free port and stopped by PID.

``provnet demo`` runs it against the twin; the tests use it the same way. Nothing here is
for production, where Prometheus and the exporter run as services.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
# Debian's node_exporter, for its textfile collector (what `provnet vc watch` writes).
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or "/usr/bin/prometheus-node-exporter"
READY_TIMEOUT = 60.0


def fast_rules(text: str, for_duration: str = "2s") -> str:
    """A rule file with every ``for:`` cut to ``for_duration`` and no group ``interval``,
    so that a demo or a test sees alerts fire within seconds."""
    text = re.sub(r"^(\s*)for: \S+$", rf"\1for: {for_duration}", text, flags=re.M)
    return re.sub(r"^\s*interval: .*\n", "", text, flags=re.M)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def query(base: str, expr: str, at: float | None = None) -> dict[str, Any]:
    """``/api/v1/query``: the whole answer (status, data or error), never raising on 4xx."""
    params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
    url = f"{base}/api/v1/query?{urllib.parse.urlencode(params)}"
    try:
        return dict(get_json(url))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read()))


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running_prometheus(config: Path, data_dir: Path, extra: Sequence[str] = ()) -> Iterator[str]:
    """Start Prometheus on ``config``; yield its base URL once ready; stop it by PID."""
    port = free_port()
    log = (data_dir.parent / f"prometheus-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={data_dir}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ready(base):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = (data_dir.parent / f"prometheus-{port}.log").read_text(errors="replace")
                raise RuntimeError(f"prometheus did not become ready:\n{text[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """Stop a process this module started: SIGTERM, then SIGKILL after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what}: {url} did not answer in {READY_TIMEOUT:.0f} s")


@contextmanager
def running_exporter(
    inventory: Path, secrets_file: Path | None, log_path: Path, extra: Sequence[str] = ()
) -> Iterator[str]:
    """``provnet exporter serve`` on 127.0.0.1 (inventory credentials by name, secrets from
    ``secrets_file``); yield its ``HOST:PORT`` once it answers; stop it by PID."""
    port = free_port()
    env = dict(os.environ)
    if secrets_file is not None:
        env["PROVNET_SECRETS_FILE"] = str(secrets_file)
    script = Path(sys.executable).parent / "provnet"
    listen = f"127.0.0.1:{port}"
    command = [str(script), "exporter", "serve", "--listen", listen, "--inventory", str(inventory)]
    with log_path.open("wb") as log:
        process = subprocess.Popen([*command, *extra], env=env, stdout=log, stderr=log)
        try:
            _wait_http(f"http://{listen}/-/healthy", process, "provnet exporter")
            yield listen
        finally:
            stop(process)


@contextmanager
def running_node_exporter(textfile_dir: Path, log_path: Path) -> Iterator[str]:
    """Debian's node_exporter on 127.0.0.1 with only its textfile collector reading
    ``textfile_dir``; yield its ``HOST:PORT`` once it answers; stop it by PID."""
    listen = f"127.0.0.1:{free_port()}"
    command = [
        NODE_EXPORTER,
        f"--web.listen-address={listen}",
        "--collector.disable-defaults",
        "--collector.textfile",
        f"--collector.textfile.directory={textfile_dir}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            _wait_http(f"http://{listen}/metrics", process, "node_exporter")
            yield listen
        finally:
            stop(process)


def value(base: str, expr: str) -> float | None:
    """The first sample of an instant query, or None when it returns nothing."""
    answer = query(base, expr)
    if answer.get("status") != "success":
        raise RuntimeError(f"query {expr!r}: {answer.get('error', answer)}")
    result: list[dict[str, Any]] = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def vector(base: str, expr: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of an instant query: (labels, value)."""
    answer = query(base, expr)
    if answer.get("status") != "success":
        raise RuntimeError(f"query {expr!r}: {answer.get('error', answer)}")
    return [(item["metric"], float(item["value"][1])) for item in answer["data"]["result"]]
