"""`provnet exporter prometheus-config`: targets from the inventory, the multi-target
relabelling, shards that split the devices exactly, configs that Prometheus loads."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.parse
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml_rs
from typer.testing import CliRunner

from cli import app
from exporters.prometheus_config import (
    JOB_SNMP,
    RULES_DIR,
    SHARD_KEY_LABEL,
    ConfigOptions,
    PrometheusConfigError,
    Shard,
    ShardBy,
    generate,
    hashmod,
    probe_jobs,
    prometheus_config,
    snmp_group,
    snmp_modules_by_role,
    target_groups,
    uplink_interface,
)
from inventory.loader import example_inventory_path
from inventory.resolve import DeviceView, iter_devices
from inventory.validate import load_valid
from lab.monitoring import PROMTOOL, free_port, get_json, running_prometheus
from platforms import get_platform

EXAMPLE = example_inventory_path()
JOB_VC = "provnet_vc"  # the jobs of the probe modules vc and ipv6_service
JOB_IPV6_SERVICE = "provnet_ipv6_service"
runner = CliRunner(env={"COLUMNS": "200"})
needs_prometheus = pytest.mark.skipif(
    not (Path(PROMTOOL).exists() and shutil.which("prometheus")),
    reason="prometheus/promtool are not installed (./dev installs them)",
)


@pytest.fixture(scope="module")
def devices() -> list[DeviceView]:
    return list(iter_devices(load_valid(EXAMPLE)))


@pytest.fixture(scope="module")
def jobs(devices: list[DeviceView]) -> dict[str, list[dict[str, Any]]]:
    return target_groups(devices)


def by_device(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {g["labels"]["device"]: g for g in groups}


# --- what the modules declare ---------------------------------------------------


def test_modules_by_role_and_probe_jobs_come_from_the_modules() -> None:
    assert dict(snmp_modules_by_role()) == {
        "wan_router": ("system", "if_mib", "ip_mib"),
        "core_switch": ("system", "if_mib"),
        "access_switch": ("system", "if_mib"),
        "firewall": ("system", "if_mib"),
        "vc_endpoint": ("system",),
    }
    assert [job.name for job in probe_jobs()] == [JOB_VC, JOB_IPV6_SERVICE]
    jobs = prometheus_config(ConfigOptions())["scrape_configs"]
    assert [job["job_name"] for job in jobs] == [
        JOB_SNMP,
        JOB_VC,
        JOB_IPV6_SERVICE,
        "provnet_exporter",
    ]
    assert [job.get("params") for job in jobs[:3]] == [
        None,
        {"module": ["vc"]},
        {"module": ["ipv6_service"]},
    ]
    instances = [job["relabel_configs"][1]["source_labels"] for job in jobs[:3]]
    assert instances == [["device"], ["device"], ["__param_target"]]


# --- targets -------------------------------------------------------------------


def test_every_network_device_and_vc_endpoint_is_one_snmp_target(
    devices: list[DeviceView], jobs: dict[str, list[dict[str, Any]]]
) -> None:
    expected = {d.name for d in devices if d.role.value != "server"}
    names = [g["labels"]["device"] for g in jobs[JOB_SNMP]]
    assert len(names) == len(set(names)) == len(expected)
    assert set(names) == expected
    assert len(devices) == 507 and len(expected) < 507  # servers are not SNMP targets


def test_snmp_target_labels_params_and_address(
    devices: list[DeviceView], jobs: dict[str, list[dict[str, Any]]]
) -> None:
    view = next(d for d in devices if d.name == "th-14758-rtr1")
    group = by_device(jobs[JOB_SNMP])["th-14758-rtr1"]
    assert group["targets"] == [f"{view.mgmt_ipv4}:161"]
    labels = group["labels"]
    assert {k: labels[k] for k in ("province", "commune", "commune_code", "site", "role")} == {
        "province": "Thanh Hóa",
        "commune": "Phường Hàm Rồng",
        "commune_code": "14758",
        "site": "th-14758-ubnd",
        "role": "wan_router",
    }
    assert labels["platform"] == view.platform and labels["managed_by"] == "province"
    assert labels["__param_module"] == "system,if_mib,ip_mib"
    assert labels["__param_auth"] == view.snmp_credentials == "snmp-v3-ro"
    assert labels["__param_uplink"] == get_platform(view.platform).default_interfaces["wan"]
    switch = by_device(jobs[JOB_SNMP])["th-14758-sw1"]["labels"]
    assert switch["__param_module"] == "system,if_mib" and "__param_uplink" not in switch


def test_uplink_override_from_device_data(devices: list[DeviceView]) -> None:
    router = next(d for d in devices if d.role.value == "wan_router" and d.commune)
    moved = dataclasses.replace(router, data={**router.data, "level2_uplink": "Dialer1"})
    assert uplink_interface(moved) == "Dialer1"
    group = snmp_group(moved)
    assert group is not None and group["labels"]["__param_uplink"] == "Dialer1"


def test_bad_uplink_data_or_platform_without_wan_names_the_device(
    devices: list[DeviceView],
) -> None:
    router = next(d for d in devices if d.role.value == "wan_router")
    with pytest.raises(PrometheusConfigError, match=router.name):
        uplink_interface(dataclasses.replace(router, data={"level2_uplink": 7}))
    linux = dataclasses.replace(router, platform="linux")
    with pytest.raises(PrometheusConfigError, match=f"{router.name}.*level2_uplink"):
        uplink_interface(linux)


def test_vc_endpoints_are_probed_on_sip_port(
    devices: list[DeviceView], jobs: dict[str, list[dict[str, Any]]]
) -> None:
    endpoints = {d.name: d for d in devices if d.role.value == "vc_endpoint"}
    vc = by_device(jobs[JOB_VC])
    assert set(vc) == set(endpoints)
    for name, group in vc.items():
        assert group["targets"] == [f"{endpoints[name].mgmt_ipv4}:5060"]
        assert group["labels"]["commune_code"] == endpoints[name].commune_code


def test_ipv6_services_come_from_device_data(devices: list[DeviceView]) -> None:
    server = next(d for d in devices if d.role.value == "server")
    listed = dataclasses.replace(
        server, data={"ipv6_services": ["dichvucong.thanhhoa.gov.vn", "thanhhoa.gov.vn"]}
    )
    groups = target_groups([listed])[JOB_IPV6_SERVICE]
    assert [g["targets"] for g in groups] == [["dichvucong.thanhhoa.gov.vn"], ["thanhhoa.gov.vn"]]
    assert groups[0]["labels"]["device"] == server.name
    with pytest.raises(PrometheusConfigError, match=server.name):
        target_groups([dataclasses.replace(server, data={"ipv6_services": "not a list"})])


# --- shards --------------------------------------------------------------------


def shard_of(group: dict[str, Any], count: int, shard_by: ShardBy) -> int:
    """What Prometheus's hashmod relabelling computes for one target group."""
    key = group["labels"][SHARD_KEY_LABEL] if shard_by is ShardBy.COMMUNE else group["targets"][0]
    return hashmod([key], count)


@pytest.mark.parametrize("shard_by", list(ShardBy))
@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_shards_partition_the_devices(
    jobs: dict[str, list[dict[str, Any]]], count: int, shard_by: ShardBy
) -> None:
    for job in (JOB_SNMP, JOB_VC):
        seen: dict[str, list[int]] = defaultdict(list)
        for group in jobs[job]:
            for index in range(count):
                if shard_of(group, count, shard_by) == index:  # the `keep` of shard `index`
                    seen[group["labels"]["device"]].append(index)
        assert len(seen) == len(jobs[job])  # none lost
        assert all(len(shards) == 1 for shards in seen.values())  # none twice
        if count > 1:
            assert len({s[0] for s in seen.values()}) == count  # every shard gets work


def test_commune_shards_keep_a_commune_on_one_server(
    jobs: dict[str, list[dict[str, Any]]],
) -> None:
    shards: dict[str, set[int]] = defaultdict(set)
    for job in (JOB_SNMP, JOB_VC):
        for group in jobs[job]:
            if group["labels"]["commune_code"]:
                shards[group["labels"]["commune_code"]].add(shard_of(group, 3, ShardBy.COMMUNE))
    assert len(shards) == 166
    assert all(len(s) == 1 for s in shards.values())


def test_hashmod_matches_prometheus_relabel_go() -> None:
    # model/relabel/relabel.go: md5 of the values joined by the separator, last 8 bytes
    # big-endian, modulo; the real-Prometheus shard test below checks it end to end.
    digest = hashlib.md5(b"10.0.0.1:161;x").digest()
    assert hashmod(["10.0.0.1:161", "x"], 1 << 64) == int.from_bytes(digest[8:], "big")
    assert hashmod(["10.0.0.1:161", "x"], 7) == int.from_bytes(digest[8:], "big") % 7


def test_shard_option_is_validated() -> None:
    assert Shard.parse("1/3") == Shard(1, 3)
    for bad in ("3/3", "x", "1/0", "-1/2"):
        with pytest.raises(PrometheusConfigError, match="--shard"):
            Shard.parse(bad)


# --- generated files, promtool and a real Prometheus --------------------------------


def write(tmp: Path, devices: list[DeviceView], options: ConfigOptions) -> Path:
    generated = generate(devices, options)
    for relative, text in generated.files.items():
        (tmp / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp / relative).write_text(text, encoding="utf-8")
    return tmp / "prometheus.yml"


@needs_prometheus
@pytest.mark.parametrize(
    ("shard", "shard_by"),
    [(None, ShardBy.COMMUNE), ("0/2", ShardBy.COMMUNE), ("1/2", ShardBy.ADDRESS)],
)
def test_promtool_accepts_generated_config(
    tmp_path: Path, devices: list[DeviceView], shard: str | None, shard_by: ShardBy
) -> None:
    options = ConfigOptions(
        alertmanager="127.0.0.1:9093",
        shard=Shard.parse(shard) if shard else None,
        shard_by=shard_by,
    )
    config = write(tmp_path, devices, options)
    result = subprocess.run(
        [PROMTOOL, "check", "config", str(config)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # every shipped rule file (coverage, alerts, compliance audit...) is loaded
    assert f"{len(list(RULES_DIR.glob('*.yml')))} rule files found" in result.stdout


def active_targets(base: str, expected: int) -> list[dict[str, Any]]:
    """Active targets once service discovery has placed all ``expected`` (bounded wait)."""
    deadline = time.monotonic() + 60
    while True:
        data = get_json(f"{base}/api/v1/targets")["data"]
        placed = len(data["activeTargets"]) + len(data["droppedTargets"])
        if placed >= expected or time.monotonic() > deadline:
            return list(data["activeTargets"])
        time.sleep(0.3)


@needs_prometheus
def test_two_real_prometheus_shards_split_the_targets_exactly(
    tmp_path: Path, devices: list[DeviceView], jobs: dict[str, list[dict[str, Any]]]
) -> None:
    exporter = f"127.0.0.1:{free_port()}"  # nothing listens: scrapes fail fast on loopback
    total = len(jobs[JOB_SNMP]) + len(jobs[JOB_VC]) + len(jobs[JOB_IPV6_SERVICE]) + 1
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    urls: dict[tuple[str, str], str] = {}
    with ExitStack() as stack:
        bases = []
        for index in range(2):
            directory = tmp_path / f"shard{index}"
            options = ConfigOptions(exporter=exporter, shard=Shard(index, 2))
            config = write(directory, devices, options)
            bases.append(stack.enter_context(running_prometheus(config, directory / "data")))
        for index, base in enumerate(bases):
            for target in active_targets(base, total):
                key = (target["labels"]["job"], target["labels"]["instance"])
                seen[key].append(index)
                urls[key] = target["scrapeUrl"]
    probes = {k: v for k, v in seen.items() if k[0] != "provnet_exporter"}
    assert len(probes) == len(jobs[JOB_SNMP]) + len(jobs[JOB_VC])
    assert all(len(shards) == 1 for shards in probes.values())
    for job in (JOB_SNMP, JOB_VC):
        for group in jobs[job]:
            key = (job, group["labels"]["device"])
            assert probes[key] == [shard_of(group, 2, ShardBy.COMMUNE)]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(urls[(JOB_SNMP, "th-14758-rtr1")]).query)
    assert urls[(JOB_SNMP, "th-14758-rtr1")].startswith(f"http://{exporter}/snmp?")
    assert query == {
        "auth": ["snmp-v3-ro"],
        "module": ["system,if_mib,ip_mib"],
        "target": ["10.38.130.1:161"],
        "uplink": ["GigabitEthernet0/0/0"],
    }
    vc = urllib.parse.urlsplit(urls[(JOB_VC, "th-14758-vc1")])
    assert vc.path == "/probe"
    assert urllib.parse.parse_qs(vc.query) == {"module": ["vc"], "target": ["10.38.130.3:5060"]}


# --- the command -----------------------------------------------------------------------


def test_command_writes_config_file_sd_and_rules(tmp_path: Path) -> None:
    out = tmp_path / "prom"
    result = runner.invoke(
        app,
        [
            "exporter",
            "prometheus-config",
            "--inventory",
            str(EXAMPLE),
            "--limit",
            "commune=14758",
            "--exporter",
            "127.0.0.1:19116",
            "--shard",
            "0/1",
            "--runbook-base",
            "https://git.example.gov.vn/provnet/-/raw/main/",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    config = yaml_rs.loads((out / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["rules/*.yml"]
    assert config["global"]["external_labels"] == {"province_code": "38", "shard": "0"}
    snmp = json.loads((out / "file_sd" / "provnet_snmp.json").read_text(encoding="utf-8"))
    assert sorted(g["labels"]["device"] for g in snmp) == [
        "th-14758-rtr1",
        "th-14758-sw1",
        "th-14758-vc1",
    ]
    alerts = (out / "rules" / "provnet_alerts.yml").read_text(encoding="utf-8")
    assert "https://git.example.gov.vn/provnet/-/raw/main/docs/runbooks/" in alerts
    assert "provnet.invalid" not in alerts


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--shard", "2/2"),
        ("--exporter", "localhost"),
        ("--alertmanager", "[zz]:9093"),
        ("--scrape-interval", "soon"),
        ("--runbook-base", "docs/"),
        ("--scrape-interval", "10s"),  # shorter than the 30s timeout
    ],
)
def test_bad_options_exit_2_naming_the_option_and_write_nothing(
    tmp_path: Path, option: str, value: str
) -> None:
    out = tmp_path / "prom"
    result = runner.invoke(
        app,
        ["exporter", "prometheus-config", "-i", str(EXAMPLE), option, value, "--out", str(out)],
    )
    assert result.exit_code == 2
    assert option in result.output and value in result.output
    assert not out.exists()


def test_no_secret_reaches_the_generated_files(tmp_path: Path) -> None:
    canary = "canary-Zq81-secret-value"
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text(f"snmp-auth: {canary}\n", encoding="utf-8")
    env = {
        name: canary
        for name in (
            "PROVNET_SNMP_AUTH",
            "PROVNET_SNMP_PRIV",
            "PROVNET_SSH_PASSWORD",
            "PROVNET_ENABLE_SECRET",
            "PROVNET_VC_PASSWORD",
        )
    } | {"PROVNET_SECRETS_FILE": str(secrets_file)}
    out = tmp_path / "prom"
    result = CliRunner(env={"COLUMNS": "200", **env}).invoke(
        app, ["exporter", "prometheus-config", "-i", str(EXAMPLE), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert canary not in result.output
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 6
    for path in files:
        assert canary not in path.read_text(encoding="utf-8"), path
    assert os.environ.get("PROVNET_SNMP_AUTH") != canary  # the runner's env did not leak


def test_bad_device_data_exits_2_naming_the_device_and_writes_nothing(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    commune = next((inventory / "communes").glob("14758-*.yaml"))
    text = commune.read_text(encoding="utf-8")
    marker = "      - name: th-14758-rtr1\n"
    assert marker in text
    commune.write_text(
        text.replace(marker, marker + "        data:\n          level2_uplink: [Gi0, Gi1]\n"),
        encoding="utf-8",
    )
    out = tmp_path / "prom"
    result = runner.invoke(
        app, ["exporter", "prometheus-config", "-i", str(inventory), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "th-14758-rtr1" in result.output and "level2_uplink" in result.output
    assert not out.exists()
