"""Smoke tests of the exporter benchmarks' harness (bench/snmpbench.py, bench_sustained):
the files it writes are accepted by the real programs, the parsers and counters it reports
with are right, and the run's secrets stay out of what it prints. No load, no timing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bench import bench_sustained as sustained
from bench import snmpbench as sb

CANARY = sb.Secrets("canary-community-7f3a", "bench", "canary-auth-91c2", "canary-priv-5d0e")


def test_snmp_yml_has_v2c_and_v3_modules_in_the_pre_023_format(tmp_path: Path) -> None:
    path = tmp_path / "snmp.yml"
    names = sb.write_snmp_yml(path, CANARY)
    loaded = yaml.safe_load(path.read_text())
    assert names == ["if_mib", "system"]
    assert sorted(loaded) == ["if_mib_v2c", "if_mib_v3", "system_v2c", "system_v3"]
    assert loaded["if_mib_v2c"]["version"] == 2
    assert loaded["if_mib_v2c"]["auth"] == {"community": CANARY.community}
    assert loaded["system_v3"]["auth"]["security_level"] == "authPriv"
    assert loaded["system_v3"]["metrics"] == loaded["system_v2c"]["metrics"]
    assert path.stat().st_mode & 0o077 == 0


@pytest.mark.skipif(
    not Path(sb.SNMP_EXPORTER).exists(), reason="prometheus-snmp-exporter not installed"
)
def test_snmp_exporter_021_accepts_the_bench_snmp_yml(tmp_path: Path) -> None:
    path = tmp_path / "snmp.yml"
    sb.write_snmp_yml(path, CANARY)
    check = subprocess.run(
        [sb.SNMP_EXPORTER, f"--config.file={path}", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


def test_snmpd_conf_gets_the_secrets_and_the_template_none(tmp_path: Path) -> None:
    template = (sb.DATA / "snmpd.conf.in").read_text()
    rendered = sb.render_snmpd_conf(template, CANARY)
    assert f"rocommunity {CANARY.community} default" in rendered
    assert f'createUser bench SHA "{CANARY.auth_password}" AES "{CANARY.priv_password}"' in (
        rendered
    )
    assert not any(v in template for v in CANARY.values())
    assert "canary" not in repr(CANARY)


def test_leaked_names_only_the_files_holding_a_secret(tmp_path: Path) -> None:
    clean, dirty = tmp_path / "a.prom", tmp_path / "b.log"
    clean.write_text('sysName{sysName="r1"} 1\n')
    dirty.write_text(f"error for auth {CANARY.priv_password}\n")
    assert sb.leaked(CANARY, [clean, dirty, tmp_path / "missing"]) == [dirty]


def test_hosts_skip_network_and_broadcast_addresses() -> None:
    got = sb.hosts("127.1.0.253", 4)
    assert got == ["127.1.0.253", "127.1.0.254", "127.1.1.1", "127.1.1.2"]


def test_exposition_diff_ignores_self_metrics_and_volatile_values() -> None:
    peer = sb.device_series(
        sb.parse_exposition(
            "# HELP ifMtu x\n# TYPE ifMtu gauge\n"
            'ifMtu{ifIndex="1",ifDescr="a b, \\"c\\""} 1500\n'
            "sysUpTime 100\n"
            "snmp_scrape_duration_seconds 0.1\n"
        )
    )
    ours = sb.device_series(
        sb.parse_exposition(
            'ifMtu{ifDescr="a b, \\"c\\"",ifIndex="1"} 9000\n'
            "sysUpTime 101\n"
            'ifHCInOctets{ifIndex="1"} 5\n'
            "provnet_snmp_up 1\n"
        )
    )
    diff = sb.diff_series(peer, ours, volatile=["sysUpTime"])
    assert diff.same == 2
    assert diff.only_peer == []
    assert diff.only_ours == [("ifHCInOctets", (("ifIndex", "1"),))]
    assert diff.values_differ == [("ifMtu", (("ifDescr", 'a b, \\"c\\"'), ("ifIndex", "1")))]


def test_curl_config_pairs_each_url_with_its_output(tmp_path: Path) -> None:
    text, outputs = sb.curl_config(["http://a/1", "http://a/2"], tmp_path)
    assert outputs == [tmp_path / "000000.prom", tmp_path / "000001.prom"]
    assert text.splitlines() == [
        'url = "http://a/1"',
        f'output = "{outputs[0]}"',
        'url = "http://a/2"',
        f'output = "{outputs[1]}"',
    ]


def test_rounds_are_time_windows_and_a_missing_scrape_is_a_failure() -> None:
    up = sustained.by_instance(
        [
            # scraped in rounds 0, 1 (down), 2
            {"metric": {"instance": "127.1.0.1"}, "values": [[100, "1"], [160, "0"], [220, "1"]]},
            # round 0 only: missed rounds 1 and 2
            {"metric": {"instance": "127.1.0.2"}, "values": [[130, "1"]]},
            {"metric": {"instance": "127.200.0.1:1161"}, "values": [[101, "1"]]},
        ]
    )
    success = sustained.by_instance(
        [{"metric": {"instance": "127.1.0.1"}, "values": [[100, "1"], [220, "0"]]}]
    )
    start = sustained.first_timestamp(up)
    live = ["127.1.0.1", "127.1.0.2"]
    assert start == 100
    assert sustained.rounds_ok(up, None, live, start, 60, 3) == [2, 0, 1]
    assert sustained.rounds_ok(up, success, live, start, 60, 3) == [1, 0, 0]
    assert sustained.rounds_unscraped(up, live, start, 60, 3) == [0, 1, 1]


def test_scheduled_rounds_follow_each_targets_own_minute() -> None:
    """A target whose loop started after its offset is first scraped a minute late: its
    scrapes are still counted one per interval; a skipped scrape or up 0 is a failure."""
    up = sustained.by_instance(
        [
            {"metric": {"instance": "a"}, "values": [[100, "1"], [160, "1"], [220, "1"]]},
            # first scraped at 158 (a wall-clock window from 100 would miss it), then 218, 278
            {"metric": {"instance": "b"}, "values": [[158, "1"], [218.4, "1"], [278, "1"]]},
            # skipped its second scrape, down in its third
            {"metric": {"instance": "c"}, "values": [[110, "1"], [230, "0"]]},
        ]
    )
    success = sustained.by_instance(
        [{"metric": {"instance": "a"}, "values": [[100, "1"], [160, "0"], [220, "1"]]}]
    )
    live = ["a", "b", "c", "never"]
    plain = sustained.scheduled_rounds(up, None, live, 60, 3)
    assert plain.ok == [3, 2, 2]
    assert plain.missing == [1, 2, 1]
    both = sustained.scheduled_rounds(up, success, live, 60, 3)
    assert both.ok == [1, 0, 1]  # b and c have no provnet_snmp_up: not counted as scraped


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_prometheus_config_of_the_sustained_bench_passes_promtool(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    targets.write_text('[{"targets": ["127.1.0.1"], "labels": {"liveness": "live"}}]')
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(sustained.prometheus_config(targets, "if_mib", "127.0.0.1:9117", 60, 10))
    )
    check = subprocess.run(
        ["promtool", "check", "config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_pass_repeats_the_devices_to_last_the_wanted_time() -> None:
    from bench.bench_exporter import passes_repeat

    assert passes_repeat(3000.0, 1000, 3.0) == 9  # a 0.33 s pass made ~3 s long
    assert passes_repeat(300.0, 1000, 3.0) == 1  # already longer than that
    assert passes_repeat(0.0, 1000, 3.0) == 1  # nothing measured: one round


def test_net_counters_and_error_kinds_are_read() -> None:
    text = (
        "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
        "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n"
        "Udp: 100 2 7 90 5 0\n"
        "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
        "TcpExt: 0 3 4\n"
    )
    counters = sb.parse_net_counters(text)
    assert counters["Udp.RcvbufErrors"] == 5
    assert counters["Udp.InErrors"] == 7
    assert counters["TcpExt.ListenOverflows"] == 3
    assert counters["Ip.DefaultTTL"] == 64
    metrics = 'provnet_snmp_errors_total{kind="timeout"} 12.0\nprovnet_snmp_up 1\n'
    assert sb.error_kinds(metrics) == {"timeout": 12.0}


def test_the_shared_rows_say_what_the_load_leaves_for_the_exporter() -> None:
    """Per 1,000 targets: snmp_exporter 0.7 s + snmpd 0.1 + curl 0.3 = 1.1 s of the shared
    CPUs; provnet 0.5 + 0.1 + 0.3 = 0.9: 1.22x predicted, and even an exporter taking no
    CPU would leave 0.4 s of load, so 2.75x at most."""
    from bench.bench_exporter import PEER, Result, limit

    peer = Result(PEER, "v2c system", ok=1000, cpu=0.7, snmpd_cpu=0.1, curl_cpu=0.3)
    ours = Result("provnet", "v2c system", ok=1000, cpu=0.5, snmpd_cpu=0.1, curl_cpu=0.3)
    bound = limit(peer, ours)
    assert bound.expected == pytest.approx(1.1 / 0.9)
    assert bound.ceiling == pytest.approx(1.1 / 0.4)
    assert bound.load_share == pytest.approx(0.4 / 0.9)
    # a heavier load makes 2x impossible whatever the exporter does
    ours = Result("provnet", "v2c system", ok=1000, cpu=0.1, snmpd_cpu=0.3, curl_cpu=0.3)
    assert limit(peer, ours).ceiling < 2


def test_a_pinned_process_runs_under_taskset_and_curl_cpu_is_counted() -> None:
    assert sb.pinned(["curl", "-s"], "1") == ["taskset", "-c", "1", "curl", "-s"]
    assert sb.pinned(["curl", "-s"], None) == ["curl", "-s"]
    before = sb.children_cpu()
    subprocess.run(["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"], check=True)
    assert sb.children_cpu() > before


def test_a_pinned_row_says_which_cpu_bounds_it() -> None:
    """Alone on its CPU an exporter taking less per target than snmpd and curl together on
    the other one does not set the pace: its row's targets/s is the load's."""
    from bench.bench_exporter import Result, pinned_bound

    fast = Result("provnet", "pinned v2c system", ok=1000, cpu=0.28, snmpd_cpu=0.09, curl_cpu=0.37)
    slow = Result("provnet", "pinned v2c if_mib", ok=1000, cpu=2.0, snmpd_cpu=1.0, curl_cpu=0.5)
    assert pinned_bound(fast) == "snmpd+curl"
    assert pinned_bound(slow) == "exporter"
