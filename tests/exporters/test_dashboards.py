"""Grafana dashboards: every query of every panel, with its template variables filled in,
evaluates without error and returns series on a real Prometheus holding synthetic data
(backfilled with ``promtool tsdb create-blocks-from openmetrics``) and running provnet's
recording rules over it."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

from lab.monitoring import PROMETHEUS, PROMTOOL, get_json, query, running_prometheus

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "exporters" / "dashboards"
RULES = ROOT / "exporters" / "rules"
PROVINCE = "Thanh Hóa"
# 14758: all well (the drill-down); 14797: uplink down; 14812: every scrape fails;
# 14845: connected, IPv6 off, VC endpoint not answering SIP.
COMMUNES = {
    "14758": "Phường Hàm Rồng",
    "14797": "Phường Hạc Thành",
    "14812": "Phường Bỉm Sơn",
    "14845": "Xã Mường Lát",
}
DRILL_DOWN = "14758"
VARIABLES = {
    "province": PROVINCE,
    "commune_code": DRILL_DOWN,
    "__rate_interval": "5m",
    "__range": "1h",
    "__interval": "1m",
}
STEP = 60
SPAN = 70 * 60

needs_prometheus = pytest.mark.skipif(
    not (Path(PROMTOOL).exists() and Path(PROMETHEUS).exists()),
    reason="prometheus/promtool are not installed (./dev installs them)",
)


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS.glob("*.json"))
    }


def panel_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield f"{panel['title']} / {target['refId']}", target["expr"]


def substitute(expr: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        assert name in VARIABLES, f"unknown template variable ${name} in {expr}"
        return VARIABLES[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", value, expr)


# --- synthetic data -------------------------------------------------------------------


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def _device(code: str, suffix: str, role: str, platform: str) -> dict[str, str]:
    name = f"th-{code}-{suffix}" if code in COMMUNES else f"th-{suffix}"
    labels = {"province": PROVINCE}
    if code in COMMUNES:
        labels |= {"commune": COMMUNES[code], "commune_code": code}
    return labels | {
        "site": f"th-{code}-ubnd" if code in COMMUNES else "th-dc",
        "role": role,
        "platform": platform,
        "device": name,
        "managed_by": "province",
        "instance": name,
    }


def synthetic_series() -> list[tuple[str, dict[str, str], Any]]:
    """``(metric, labels, value-of-step)`` for a small province (see ``COMMUNES``)."""
    series: list[tuple[str, dict[str, str], Any]] = []

    def snmp(device: dict[str, str], answers: bool, uplink: int = 1, ipv6: int = 1) -> None:
        labels = {**device, "job": "provnet_snmp"}
        series.append(("up", labels, lambda i: 1))
        series.append(("provnet_snmp_up", labels, lambda i: int(answers)))
        if not answers:
            return
        reboots = device["device"].endswith("sw1") and device.get("commune_code") == DRILL_DOWN
        series.append(("provnet_device_uptime_seconds", labels, lambda i: 86400 + i * STEP))
        series.append(("provnet_device_boots_total", labels, lambda i: 3 + (reboots and i > 30)))
        for index, if_name in enumerate(("GigabitEthernet0/0/0", "GigabitEthernet0/0/1")):
            port = labels | {
                "ifIndex": str(index + 1),
                "ifName": if_name,
                "ifAlias": "",
                "ifDescr": if_name,
            }
            series.append(("ifOperStatus", port, lambda i: 1))
            series.append(("ifHCInOctets", port, lambda i: 10**6 * i))
            series.append(("ifHCOutOctets", port, lambda i: 2 * 10**5 * i))
        if device["role"] == "wan_router":
            wan = labels | {"ifName": "GigabitEthernet0/0/0"}
            series.append(("provnet_level2_uplink_up", wan, lambda i: uplink))
            series.append(("provnet_ipv6_enabled", labels, lambda i: ipv6))

    def vc(device: dict[str, str], answers: bool, sip: int) -> None:
        labels = {**device, "job": "provnet_vc"}
        series.append(("up", labels, lambda i: int(answers)))
        if answers:
            series.append(("provnet_sip_up", labels, lambda i: sip))
            series.append(("provnet_sip_rtt_seconds", labels, lambda i: 0.012 + 0.001 * (i % 5)))

    for code in COMMUNES:
        answers = code != "14812"
        snmp(
            _device(code, "rtr1", "wan_router", "cisco_xe"),
            answers,
            uplink=int(code != "14797"),
            ipv6=int(code != "14845"),
        )
        snmp(_device(code, "sw1", "access_switch", "cisco_ios"), answers)
        snmp(_device(code, "vc1", "vc_endpoint", "cisco_tp"), answers)
        vc(_device(code, "vc1", "vc_endpoint", "cisco_tp"), answers, sip=int(code != "14845"))
    snmp(_device("dc", "dc-rtr1", "wan_router", "cisco_xe"), True)
    for service, https in (("dichvucong.thanhhoa.gov.vn", 1), ("mail.thanhhoa.gov.vn", 0)):
        labels = {"province": PROVINCE, "site": "th-dc", "device": "th-dc-srv1"}
        labels |= {"service": service, "job": "provnet_ipv6_service", "instance": service}
        series.append(("up", labels, lambda i: 1))
        series.append(("provnet_ipv6_service_ready", labels, lambda i, ok=https: ok))
        for check in ("aaaa", "https_ipv6", "content_match", "dns_ipv6"):
            ok = https if check == "https_ipv6" else 1
            series.append(
                ("provnet_ipv6_service_check", labels | {"check": check}, lambda i, ok=ok: ok)
            )
    return series


def openmetrics(end: float) -> str:
    """The synthetic series as OpenMetrics text, one sample a minute up to ``end``."""
    steps = SPAN // STEP
    start = end - steps * STEP
    by_name: dict[str, list[str]] = {}
    for name, labels, value in synthetic_series():
        lines = by_name.setdefault(name, [])
        for i in range(steps + 1):
            lines.append(f"{name}{{{_labels(labels)}}} {value(i)} {start + i * STEP:.3f}")
    return "\n".join(line for lines in by_name.values() for line in lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus over backfilled synthetic data, evaluating provnet's rules every
    second (the 5-minute availability group too, so that the test need not wait)."""
    if not (Path(PROMTOOL).exists() and Path(PROMETHEUS).exists()):
        pytest.skip("prometheus/promtool are not installed (./dev installs them)")
    tmp = tmp_path_factory.mktemp("dashboards")
    data = tmp / "data"
    source = tmp / "synthetic.om"
    source.write_text(openmetrics(time.time() - 5), encoding="utf-8")
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (tmp / "rules").mkdir()
    for rule_file in RULES.glob("*.yml"):
        text = re.sub(r"^\s*interval: .*\n", "", rule_file.read_text(encoding="utf-8"), flags=re.M)
        (tmp / "rules" / rule_file.name).write_text(text, encoding="utf-8")
    config = tmp / "prometheus.yml"
    config.write_text(
        "global:\n  evaluation_interval: 1s\nrule_files:\n  - rules/*.yml\n", encoding="utf-8"
    )
    with running_prometheus(config, data) as base:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answer = query(base, "commune:provnet_availability:avg_30d")
            if answer["status"] == "success" and len(answer["data"]["result"]) == len(COMMUNES):
                break
            time.sleep(0.5)
        yield base


# --- structure ------------------------------------------------------------------------


def test_dashboards_are_the_province_overview_and_the_commune_drill_down() -> None:
    found = dashboards()
    assert set(found) == {"provnet-province.json", "provnet-commune.json"}
    uids = {d["uid"] for d in found.values()}
    assert uids == {"provnet-province", "provnet-commune"}
    commune_vars = {v["name"] for v in found["provnet-commune.json"]["templating"]["list"]}
    assert {"datasource", "province", "commune_code"} <= commune_vars
    for name, dashboard in found.items():
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in dashboard["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
            assert panel["targets"], panel["title"]
            # Vietnamese first, English in parentheses
            assert re.search(r"\([A-Za-z0-9].*\)$", panel["title"]) or panel["title"] == "IPv6"


def test_provisioning_points_grafana_at_the_dashboards_and_prometheus() -> None:
    provisioning = DASHBOARDS / "provisioning"
    providers = yaml_rs.loads((provisioning / "dashboards" / "provnet.yml").read_text("utf-8"))
    assert providers["apiVersion"] == 1
    assert providers["providers"][0]["type"] == "file"
    assert providers["providers"][0]["options"]["path"].startswith("/")
    sources = yaml_rs.loads((provisioning / "datasources" / "provnet.yml").read_text("utf-8"))
    source = sources["datasources"][0]
    assert source["type"] == "prometheus"
    for dashboard in dashboards().values():
        variable = next(v for v in dashboard["templating"]["list"] if v["name"] == "datasource")
        assert variable["current"]["value"] == source["uid"]


# --- every query on a real Prometheus ------------------------------------------------------


def all_queries() -> list[tuple[str, str]]:
    return [
        (f"{name}: {title}", expr)
        for name, dashboard in dashboards().items()
        for title, expr in panel_queries(dashboard)
    ]


@needs_prometheus
def test_every_panel_query_returns_series(prometheus: str) -> None:
    queries = all_queries()
    assert len(queries) >= 25
    failures = []
    for title, expr in queries:
        answer = query(prometheus, substitute(expr))
        if answer.get("status") != "success":
            failures.append(f"{title}: {answer.get('error')}")
        elif not answer["data"]["result"]:
            failures.append(f"{title}: no series for {substitute(expr)}")
    assert not failures, "\n".join(failures)


@needs_prometheus
def test_every_template_variable_has_values(prometheus: str) -> None:
    for dashboard in dashboards().values():
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
            assert match, variable["definition"]
            selector, label = substitute(match[1]), match[2]
            params = urllib.parse.urlencode({"match[]": selector})
            series = get_json(f"{prometheus}/api/v1/series?{params}")["data"]
            values = {s[label] for s in series if label in s}
            assert VARIABLES[variable["name"]] in values, (variable["name"], values)


@needs_prometheus
def test_overview_lists_exactly_the_offline_communes(prometheus: str) -> None:
    province = dashboards()["provnet-province.json"]
    panel = next(p for p in province["panels"] if "offline" in p["title"])
    answer = query(prometheus, substitute(panel["targets"][0]["expr"]))
    assert {r["metric"]["commune_code"] for r in answer["data"]["result"]} == {"14797", "14812"}
    ratio = query(prometheus, f'province:provnet_communes_connected:ratio{{province="{PROVINCE}"}}')
    assert float(ratio["data"]["result"][0]["value"][1]) == 0.5
