"""A twin of its own for this package's tests and benchmarks (devices are changed here)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from inventory.export import netmiko_connect_params
from inventory.loader import example_inventory_path
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up
from platforms import network_platforms
from platforms.network import ConnectParams

EXAMPLE = example_inventory_path()
# Hàm Rồng: cisco_xe router, cisco_ios switch, cisco_tp endpoint; Mường Lát: huawei_vrp.
LIMIT = ("commune=14758", "commune=14845")


@dataclass(frozen=True)
class TwinDevices:
    up: UpResult
    params: dict[str, ConnectParams]  # device name -> how to reach it (host keys checked)
    views: dict[str, DeviceView]
    known_hosts: Path

    def first(self, platform: str) -> str:
        return next(name for name, v in self.views.items() if v.platform == platform)


def write_known_hosts(up: UpResult, hosts: list[tuple[str, int]], target: Path) -> Path:
    """A known_hosts file with the twin's host key under ``[host]:port`` of each device."""
    key = asyncssh.read_private_key(str(up.state_dir / "ssh_host_key"))
    public = key.export_public_key("openssh").decode().split()[:2]
    lines = [f"[{h}]:{p} {public[0]} {public[1]}" for h, p in hosts]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def params_for(
    up: UpResult, known_hosts: Path | None
) -> tuple[dict[str, ConnectParams], dict[str, DeviceView]]:
    inv = load_valid(up.overlay)
    store = SecretStore({}, up.secrets_file)
    params: dict[str, ConnectParams] = {}
    views: dict[str, DeviceView] = {}
    for view in iter_devices(inv):
        if view.platform not in network_platforms():
            continue
        p = netmiko_connect_params(inv, view, store)
        params[view.name] = ConnectParams(
            host=p["host"],
            port=p["port"],
            username=p["username"],
            password=p.get("password", ""),
            secret=p.get("secret", ""),
            known_hosts=str(known_hosts) if known_hosts else None,
        )
        views[view.name] = view
    return params, views


@contextmanager
def own_twin(state_dir: Path, base: str, limit: tuple[str, ...] = LIMIT) -> Iterator[TwinDevices]:
    """Start a twin at ``base`` (127.x.0.0) for the selected devices; stop it after."""
    up = lab_up(EXAMPLE, list(limit), state_dir, ipaddress.IPv4Address(base))
    try:
        params, views = params_for(up, None)
        known = write_known_hosts(
            up,
            sorted({(p.host, p.port) for p in params.values()}),
            state_dir.parent / "known_hosts",
        )
        params, views = params_for(up, known)
        yield TwinDevices(up, params, views, known)
    finally:
        lab_down(state_dir)


def worker_base(offset: int) -> str:
    """127.(offset+worker).0.0: apart from the session twin and from the other worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return f"127.{offset + int(worker.removeprefix('gw') or 0)}.0.0"
