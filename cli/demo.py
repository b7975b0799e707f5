"""``provnet demo``: the main job on the example province, with nothing to configure.

Validates the inventory, brings up its twin, starts provnet's exporter and a real
Prometheus (configured by ``exporter prometheus-config``, with the shipped rules), prints
coverage per commune from Prometheus queries, injects faults and shows the alerts, plans
and applies the IPv6 migration to the communes' routers in waves and shows IPv6-ready
communes rising, deploys a server, checks the VC endpoints of a session's communes (one
endpoint broken), then tears everything down.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.table import Table

from checks.vc.judge import by_commune
from checks.vc.model import Report, Verdict
from checks.vc.report import summary_line
from checks.vc.run import CheckOptions, Collector, check_endpoints, vc_endpoints
from checks.vc.session import load_sessions
from cli.inventory import stats, validate
from deploys.network.journal import Outcome, read_journal
from exporters.prometheus_config import ConfigOptions, generate
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.select import select_devices
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up, request, servers_status
from lab.monitoring import (
    fast_rules,
    query,
    running_exporter,
    running_prometheus,
    value,
    vector,
)
from platforms import network_platform
from platforms.known_hosts import HostKeyFiles, resolve_known_hosts
from provnet.console import InventoryOption, exits_cleanly, out

DEMO_BASE = "127.3.0.0"
SCRAPE_SECONDS = 5
# At 3 s, the twin (507 devices), the exporter, Prometheus and a 20-wide apply starve 2 cores:
# scrapes overran their timeout and IPv6-ready communes dipped mid-migration (92 -> 90).
WAIT_SECONDS = 90.0
STEPS = 9


def _step(number: int, text: str) -> None:
    out.rule(f"provnet demo — {number}/{STEPS} {text}")


def _eventually(check: Callable[[], bool], what: str) -> bool:
    """Poll ``check`` until true, bounded by WAIT_SECONDS; say so when it never came."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    out.print(f"[yellow]chưa thấy (not seen) trong {WAIT_SECONDS:.0f} s: {what}[/yellow]")
    return False


def _ratio(base: str, name: str) -> float | None:
    return value(base, f"province:provnet_communes_{name}:ratio")


def _coverage_line(base: str) -> str:
    total = value(base, "province:provnet_communes:count") or 0
    parts = []
    for name, label in (
        ("connected", "kết nối (connected)"),
        ("ipv6_ready", "sẵn sàng IPv6 (IPv6-ready)"),
        ("vc_ready", "sẵn sàng VC (VC-ready)"),
    ):
        count = value(base, f"province:provnet_communes_{name}:sum") or 0
        parts.append(f"{count:.0f}/{total:.0f} xã {label}")
    return "; ".join(parts)


def _by_commune(base: str, expr: str) -> dict[str, float]:
    return {labels.get("commune_code", ""): v for labels, v in vector(base, expr)}


def commune_table(base: str, title: str, codes: list[str] | None = None, rows: int = 12) -> Table:
    """Coverage per commune, read from Prometheus's recording rules."""
    connected = vector(base, "commune:provnet_connected:bool")
    ipv6 = _by_commune(base, "commune:provnet_ipv6_ready:bool")
    vc = _by_commune(base, "commune:provnet_vc_ready:bool")
    uptime = _by_commune(
        base, 'max by (commune_code) (provnet_device_uptime_seconds{role="wan_router"})'
    )
    table = Table(title=title)
    for column in ("Mã xã", "Xã/phường", "Kết nối", "IPv6", "VC", "Uptime router"):
        table.add_column(column)
    chosen = sorted(connected, key=lambda item: item[0].get("commune_code", ""))
    if codes is not None:
        chosen = [item for item in chosen if item[0].get("commune_code") in codes]
    for labels, up in chosen[:rows]:
        code = labels.get("commune_code", "")
        table.add_row(
            code,
            labels.get("commune", ""),
            _mark(up),
            _mark(ipv6.get(code)),
            _mark(vc.get(code)),
            f"{uptime[code]:.0f} s" if code in uptime else "-",
        )
    return table


def _mark(flag: float | None) -> str:
    if flag is None:
        return "-"
    return "[green]có (yes)[/green]" if flag >= 1 else "[red]không (no)[/red]"


def _prometheus_dir(result: UpResult, exporter: str, workdir: Path) -> Path:
    devices = list(iter_devices(load_valid(result.overlay)))
    interval = f"{SCRAPE_SECONDS}s"
    options = ConfigOptions(
        exporter=exporter,
        scrape_interval=interval,
        scrape_timeout=interval,
        evaluation_interval=interval,
    )
    config_dir = workdir / "prometheus"
    for relative, text in generate(devices, options).files.items():
        path = config_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fast_rules(text) if relative.startswith("rules/") else text, "utf-8")
    return config_dir


def _provnet(args: list[str], result: UpResult) -> int:
    """Run a provnet command against the twin as an engineer would type it."""
    env = {**os.environ, **result.environment()}
    shown = " ".join(["provnet", *args])
    out.print(f"[bold]$ {shown}[/bold]")
    script = Path(sys.executable).parent / "provnet"
    return subprocess.run([str(script), *args], env=env, check=False, timeout=600).returncode


@exits_cleanly
def command(inventory: InventoryOption = None) -> None:
    """Chạy thử trên tỉnh mẫu (demo on the example province): twin, giám sát, sự cố, IPv6."""
    started = time.monotonic()
    _step(1, "inventory: kiểm tra và thống kê (validate, stats)")
    validate(None, inventory)
    stats(inventory, None)
    with tempfile.TemporaryDirectory(prefix="provnet-demo-") as tmp:
        workdir = Path(tmp)
        state_dir = workdir / "lab"
        try:
            _run(inventory, state_dir, workdir)
        finally:
            lab_down(state_dir)
            _step(STEPS, "dừng tất cả (teardown)")
            out.print(
                "Twin, exporter và Prometheus đã dừng, không để lại tiến trình hay tệp nào "
                "(nothing left behind)."
            )
    out.print(f"Demo xong trong {time.monotonic() - started:.1f} s.")


def _run(inventory: Path | None, state_dir: Path, workdir: Path) -> None:
    _step(2, "khởi động twin của tỉnh (start the province twin)")
    result = lab_up(inventory, [], state_dir, ipaddress.IPv4Address(DEMO_BASE))
    out.print(f"{result.devices} thiết bị mô phỏng (SSH + SNMP + SIP) trong {result.seconds:.1f} s")
    if result.note:
        out.print(result.note)
    _step(3, "exporter + Prometheus: độ phủ theo xã (coverage per commune, from Prometheus)")
    with running_exporter(result.overlay, result.secrets_file, workdir / "exporter.log") as exp:
        config_dir = _prometheus_dir(result, exp, workdir)
        with running_prometheus(config_dir / "prometheus.yml", workdir / "tsdb") as base:
            out.print(f"exporter http://{exp}  ·  Prometheus {base}  (scrape {SCRAPE_SECONDS} s)")
            _eventually(
                lambda: value(base, "province:provnet_communes_vc_ready:ratio") == 1.0,
                "mọi xã được đo (every commune measured)",
            )
            out.print(commune_table(base, "Xã/phường (12 đầu tiên / first 12)"))
            out.print(_coverage_line(base))
            _faults(result, base)
            _ipv6_migration(result, base, workdir)
    _server_deploy(result, workdir)
    _vc_session(result, workdir)


DEMO_SERVER = "th-dc-srv1"


def _server_deploy(result: UpResult, workdir: Path) -> None:
    _step(7, f"triển khai máy chủ (server deploy) baseline với pyinfra lên {DEMO_SERVER}")
    if not servers_status(result.state_dir):
        out.print(f"[yellow]bỏ qua (skipped): {result.note or 'no Debian servers'}[/yellow]")
        return
    limit = ["--limit", f"device={DEMO_SERVER}"]
    runs = (["-y"], ["-y"])  # what would change, then applied; again: nothing to change
    for number, args in enumerate(runs):
        journal = ["--journal", str(workdir / f"servers-baseline-{number}.jsonl")]
        code = _provnet(["servers", "deploy", "baseline", *limit, *args, *journal], result)
        if code != 0:
            out.print(f"[red]provnet servers deploy: exit {code}[/red]")
            return


def _routers(result: UpResult) -> list[DeviceView]:
    return [
        v
        for v in iter_devices(load_valid(result.overlay))
        if v.role.value == "wan_router" and v.commune is not None and not v.monitor_only
    ]


def _faults(result: UpResult, base: str) -> None:
    _step(4, "gây sự cố (inject faults): router một xã mất kết nối, một router khởi động lại")
    routers = _routers(result)
    victim, rebooted = routers[0], routers[1]
    before = _ratio(base, "connected") or 0.0
    for device, kind in ((victim, "down"), (rebooted, "reboot")):
        done = request(result.state_dir, {"op": "fault", "device": device.name, "kind": kind})
        out.print(f"  {done['done']}")
    _eventually(lambda: (_ratio(base, "connected") or 1.0) < before, "tỉ lệ kết nối giảm")
    offline = (
        'ALERTS{alertname="ProvnetCommuneOffline",alertstate="firing",'
        f'commune_code="{victim.commune_code}"}}'
    )
    _eventually(lambda: bool(vector(base, offline)), "ProvnetCommuneOffline")
    out.print(_coverage_line(base))
    table = Table(title="Cảnh báo đang bật (firing alerts)")
    for column in ("alertname", "severity", "xã (commune)", "thiết bị (device)"):
        table.add_column(column)
    for labels, _ in vector(base, 'ALERTS{alertstate="firing"}'):
        table.add_row(
            labels.get("alertname", ""),
            labels.get("severity", ""),
            labels.get("commune", ""),
            labels.get("device", ""),
        )
    out.print(table)
    request(result.state_dir, {"op": "fault", "device": victim.name, "kind": "up"})
    out.print(f"  {victim.name}: khôi phục (restored)")


def _ipv6_migration(result: UpResult, base: str, workdir: Path) -> None:
    _step(5, "lập kế hoạch chuyển đổi IPv6 (plan the IPv6 migration) cho router các xã")
    plan = workdir / "ipv6.plan.json"
    limits = ["--limit", "role=wan_router", "--limit", "!kind=data_centre"]
    _provnet(
        [
            "net",
            "plan",
            "ipv6_migration",
            *limits,
            "--no-diff",
            "--summary",
            "--keep-errors",
            "--out",
            str(plan),
        ],
        result,
    )
    _step(6, "áp dụng theo đợt (apply in waves: canary, 10%, rest); IPv6-ready tăng dần")
    start = time.time()
    journal = workdir / "ipv6.journal.jsonl"
    code = _provnet(
        [
            "net",
            "apply",
            str(plan),
            "--waves",
            "canary,10%,rest",
            "--max-failures",
            "5%",
            "--concurrency",
            "20",
            "--journal",
            str(journal),
            "--summary",
            "-y",
        ],
        result,
    )
    if code != 0:
        out.print(f"[yellow]net apply: mã thoát (exit code) {code}[/yellow]")
    total = value(base, "province:provnet_communes:count") or 0
    expected = len(_migrated_communes(result, journal))
    _eventually(
        lambda: (value(base, "province:provnet_communes_ipv6_ready:sum") or 0) >= expected,
        f"{expected} xã sẵn sàng IPv6 (IPv6-ready communes)",
    )
    table = Table(title="Xã sẵn sàng IPv6 theo thời gian (IPv6-ready communes over time)")
    table.add_column("t (s)")
    table.add_column("xã IPv6-ready")
    expr = "province:provnet_communes_ipv6_ready:sum"
    now = time.time()
    step = max(SCRAPE_SECONDS, int((now - start) / 10) or 1)
    moments = [float(at) for at in range(int(start) - SCRAPE_SECONDS, int(now), step)]
    for at in [*moments, now]:
        ready = _value_at(base, expr, at)
        table.add_row(f"{at - start:+.0f}", f"{ready:.0f}/{total:.0f}")
    out.print(table)
    out.print(_coverage_line(base))
    out.print(
        "Trong thực tế (in production): `provnet exporter prometheus-config --out DIR` sinh "
        "cấu hình Prometheus, rules và dashboards Grafana (exporters/dashboards)."
    )


def _migrated_communes(result: UpResult, journal: Path) -> set[str]:
    """Communes whose router the journal records as applied."""
    applied = {
        str(event["device"])
        for event in read_journal(journal)
        if event["event"] == "device" and event.get("status") == Outcome.APPLIED
    }
    views = iter_devices(load_valid(result.overlay))
    return {v.commune_code for v in views if v.name in applied and v.commune is not None}


def _value_at(base: str, expr: str, at: float) -> float:
    answer = query(base, expr, at=at)
    result = answer.get("data", {}).get("result", [])
    return float(result[0]["value"][1]) if result else 0.0


VC_COMMUNES = 6  # communes of the demo's video-conference session


def _vc_session(result: UpResult, workdir: Path) -> None:
    """A session in 30 minutes for a few communes: their endpoints registered (what ``net
    apply`` of the vc_endpoint change leaves: SIP URI and registrar), one camera broken,
    the check of ``provnet vc check --session`` run here, and its summary (not a row per
    endpoint)."""
    _step(8, "họp trực tuyến: điểm cầu các xã sẵn sàng chưa (VC session readiness)")
    began = time.monotonic()
    inv = load_valid(result.overlay)
    views = list(iter_devices(inv))
    endpoints = [v for v in vc_endpoints(views) if v.commune is not None][:VC_COMMUNES]
    known = resolve_known_hosts(None, inv.root, False)
    options = CheckOptions(known_hosts=known)
    store = SecretStore({}, result.secrets_file)
    keys = None if known is None else HostKeyFiles(Path(known))
    collector = Collector(inv, store, options, keys)

    def register(view: DeviceView) -> None:
        registrar = view.data.get("sip_registrar")
        domain = view.data.get("sip_domain") or registrar
        session = network_platform(view.platform).connect(collector.params(view))
        try:
            session.push(
                [
                    f'xConfiguration SIP URI: "{view.name}@{domain}"',
                    f'xConfiguration SIP Proxy 1 Address: "{registrar}"',
                ]
            )
        finally:
            session.close()

    with ThreadPoolExecutor(len(endpoints)) as pool:
        list(pool.map(register, endpoints))
    out.print(f"  {len(endpoints)} điểm cầu đã đăng ký SIP (endpoints registered)")
    broken = endpoints[0]
    done = request(result.state_dir, {"op": "fault", "device": broken.name, "kind": "camera-off"})
    out.print(f"  {done['done']}")
    start = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 1800))
    sessions_file = workdir / "sessions.yaml"
    codes = ", ".join(f'"{v.commune_code}"' for v in endpoints)
    sessions_file.write_text(
        "sessions:\n  - title: Hội nghị trực tuyến UBND tỉnh\n"
        f"    start: '{start}'\n    communes: [{codes}]\n",
        encoding="utf-8",
    )
    out.print(f"[bold]$ provnet vc check --session {sessions_file}[/bold]")
    session = load_sessions(sessions_file, views)[0]
    chosen = vc_endpoints(select_devices(views, list(session.limits)))
    results = asyncio.run(check_endpoints(inv, chosen, store, options))
    report = Report(session.title, time.time(), by_commune(results), session.start)
    out.print(summary_line(report, "vi"))
    for commune in report.communes:
        if commune.verdict is Verdict.READY:
            continue
        reasons = sorted({f.text("vi") for e in commune.endpoints for f in e.findings})
        label = commune.verdict.label("vi")
        out.print(f"  [red]{commune.name}[/red] ({label}): {'; '.join(reasons)}")
    out.print(f"  ({time.monotonic() - began:.1f} s)")
