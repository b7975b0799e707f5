"""exporters/alertmanager.yml: routing and inhibition.

``amtool`` and Alertmanager are not part of this project's machine (its Debian
packages are Prometheus and promtool), so this test implements Alertmanager's
documented semantics in Python and checks the configuration against them, instead of
a real ``amtool check-config``:

- a matcher is ``label<op>"value"`` with ``=``, ``!=``, ``=~``, ``!~``; regexes are anchored;
  a missing label matches as the empty string;
- an inhibition rule mutes a *target* alert when a firing *source* alert matches the
  source matchers, the target matches the target matchers, and every label in ``equal``
  has the same value on both (missing on both counts as equal); an alert never inhibits
  itself;
- routing walks the tree: the first child route that matches wins (``continue`` false),
  else the parent's receiver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "exporters" / "alertmanager.yml"
ALERT_RULES = ROOT / "exporters" / "rules" / "provnet_alerts.yml"
MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')

Labels = dict[str, str]


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Matcher:
        match = MATCHER.match(text)
        assert match, f"not an Alertmanager matcher: {text!r}"
        return cls(match[1], match[2], match[3])

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.name, "")
        if self.op in ("=", "!="):
            return (actual == self.value) == (self.op == "=")
        return (re.fullmatch(self.value, actual) is not None) == (self.op == "=~")


def matchers(texts: list[str]) -> list[Matcher]:
    return [Matcher.parse(t) for t in texts]


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    document: dict[str, Any] = yaml_rs.loads(CONFIG.read_text(encoding="utf-8"))
    return document


def inhibited(config: dict[str, Any], alerts: list[Labels]) -> list[Labels]:
    """The alerts Alertmanager would mute, given these firing alerts."""
    muted = []
    for target in alerts:
        for rule in config["inhibit_rules"]:
            if not all(m.matches(target) for m in matchers(rule["target_matchers"])):
                continue
            sources = [
                s
                for s in alerts
                if s is not target
                and all(m.matches(s) for m in matchers(rule["source_matchers"]))
                and all(s.get(label, "") == target.get(label, "") for label in rule["equal"])
            ]
            if sources:
                muted.append(target)
                break
    return muted


def receiver(route: dict[str, Any], alert: Labels) -> str:
    for child in route.get("routes", []):
        if all(m.matches(alert) for m in matchers(child.get("matchers", []))):
            return receiver({"receiver": child["receiver"], **child}, alert)
    name: str = route["receiver"]
    return name


def device_alert(name: str, device: str, commune_code: str, role: str = "wan_router") -> Labels:
    labels = {"alertname": name, "severity": "warning", "province": "Thanh Hóa"}
    labels |= {"device": device, "instance": device, "role": role}
    return labels | ({"commune_code": commune_code} if commune_code else {})


OFFLINE = {
    "alertname": "ProvnetCommuneOffline",
    "severity": "critical",
    "province": "Thanh Hóa",
    "commune": "Xã Mường Lát",
    "commune_code": "14845",
}


def test_commune_offline_mutes_every_device_alert_of_that_commune_only(
    config: dict[str, Any],
) -> None:
    behind = [
        device_alert("ProvnetDeviceDown", "th-14845-rtr1", "14845"),
        device_alert("ProvnetDeviceDown", "th-14845-sw1", "14845", "access_switch"),
        device_alert("ProvnetVcEndpointDown", "th-14845-vc1", "14845", "vc_endpoint"),
        device_alert("ProvnetDeviceRebooted", "th-14845-sw1", "14845", "access_switch"),
        {**OFFLINE, "alertname": "ProvnetCommuneIpv6Lost", "severity": "warning"},
    ]
    elsewhere = [
        device_alert("ProvnetDeviceDown", "th-14758-sw1", "14758", "access_switch"),
        device_alert("ProvnetVcEndpointDown", "th-14758-vc1", "14758", "vc_endpoint"),
        device_alert("ProvnetDeviceDown", "th-dc-core1", "", "core_switch"),  # province level
    ]
    alerts = [OFFLINE, *behind, *elsewhere]
    muted = inhibited(config, alerts)
    assert muted == behind
    assert OFFLINE not in muted  # the one page that stays


def test_nothing_is_muted_without_the_commune_offline_alert(config: dict[str, Any]) -> None:
    alerts = [
        device_alert("ProvnetDeviceDown", "th-14845-sw1", "14845", "access_switch"),
        device_alert("ProvnetDeviceRebooted", "th-14845-rtr1", "14845"),
    ]
    assert inhibited(config, alerts) == []


def test_an_offline_commune_in_another_province_mutes_nothing_here(
    config: dict[str, Any],
) -> None:
    other = {**OFFLINE, "province": "Nghệ An"}
    target = device_alert("ProvnetDeviceDown", "th-14845-sw1", "14845", "access_switch")
    assert inhibited(config, [other, target]) == []


def test_a_vc_endpoint_down_on_snmp_too_pages_once(config: dict[str, Any]) -> None:
    snmp = device_alert("ProvnetDeviceDown", "th-14758-vc1", "14758", "vc_endpoint")
    sip = device_alert("ProvnetVcEndpointDown", "th-14758-vc1", "14758", "vc_endpoint")
    other_sip = device_alert("ProvnetVcEndpointDown", "th-14797-vc1", "14797", "vc_endpoint")
    assert inhibited(config, [snmp, sip, other_sip]) == [sip]


def test_routes_by_severity_to_receivers_that_exist(config: dict[str, Any]) -> None:
    names = {r["name"] for r in config["receivers"]}
    route = config["route"]
    assert receiver(route, OFFLINE) == "noc-oncall"
    assert receiver(route, device_alert("ProvnetDeviceDown", "x", "14758")) == "noc"
    rebooted = {**device_alert("ProvnetDeviceRebooted", "x", "14758"), "severity": "info"}
    assert receiver(route, rebooted) == "noc-log"
    used = {route["receiver"], *(r["receiver"] for r in route["routes"])}
    assert used <= names
    # grouped per alert name and province: a wide outage is one notification
    assert set(route["group_by"]) == {"alertname", "province"}


def test_inhibition_rules_name_real_alerts_and_their_labels(config: dict[str, Any]) -> None:
    rules = yaml_rs.loads(ALERT_RULES.read_text(encoding="utf-8"))["groups"][0]["rules"]
    alert_names = {r["alert"] for r in rules}
    for rule in config["inhibit_rules"]:
        for m in matchers(rule["source_matchers"] + rule["target_matchers"]):
            if m.name == "alertname":
                names = m.value.split("|") if m.op == "=~" else [m.value]
                assert set(names) <= alert_names, names
        assert rule["equal"], "an inhibition without equal labels mutes the whole province"


def test_a_dead_exporter_mutes_its_province_only(config: dict[str, Any]) -> None:
    exporter = {
        "alertname": "ProvnetExporterDown",
        "severity": "critical",
        "job": "provnet_exporter",
        "instance": "127.0.0.1:9116",
        "province_code": "38",  # Prometheus's external label
    }
    here = [
        {**OFFLINE, "province_code": "38"},
        {**device_alert("ProvnetDeviceDown", "th-dc-core1", "", "core_switch")}
        | {"province_code": "38"},
        {
            "alertname": "ProvnetProvinceCoverageLow",
            "severity": "critical",
            "coverage": "connected",
            "province": "Thanh Hóa",
            "province_code": "38",
        },
    ]
    other_province = {**OFFLINE, "province": "Nghệ An", "province_code": "40"}
    rebooted = {**device_alert("ProvnetDeviceRebooted", "th-14758-sw1", "14758")} | {
        "province_code": "38"
    }
    muted = inhibited(config, [exporter, *here, other_province, rebooted])
    assert muted == here
