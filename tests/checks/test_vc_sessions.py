"""Session files (each case under data/sessions/: the file and the file:line problems it
must be refused with) and the watch's timing, with an injected clock: nothing sleeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from checks.errors import BadSessionFile
from checks.vc.report import earlier_reports, report_stem, write_textfile
from checks.vc.session import Session, load_sessions
from checks.vc.watch import Due, Watch, due_runs, next_check, next_wake, schedule
from cli import app
from inventory.resolve import DeviceView, iter_devices
from inventory.validate import load_valid
from tests.checks.conftest import ENDPOINTS, fault, runner
from tests.conftest import EXAMPLE
from tests.platforms.twin import TwinDevices

DATA = Path(__file__).parent / "data" / "sessions"
CASES = sorted(p for p in DATA.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def devices() -> list[DeviceView]:
    return list(iter_devices(load_valid(EXAMPLE)))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_session_file(case: Path, devices: list[DeviceView]) -> None:
    path = case / "sessions.yaml"
    expected = [ln for ln in (case / "expected.txt").read_text("utf-8").splitlines() if ln]
    if not expected:
        sessions = load_sessions(path, devices)
        assert sessions and all(s.limits for s in sessions)
        return
    with pytest.raises(BadSessionFile) as caught:
        load_sessions(path, devices)
    message = str(caught.value)
    problems = message.splitlines()[1:]
    assert len(problems) == len(expected), message
    for line, want in zip(problems, expected, strict=True):
        where, _, words = want.partition(" ")
        assert line.startswith(f"{path}:{where}"), (line, want)
        assert words in line


def test_a_valid_session_selects_its_communes_and_groups(devices: list[DeviceView]) -> None:
    (session,) = load_sessions(DATA / "valid" / "sessions.yaml", devices)
    start = datetime(2026, 12, 5, 1, 0, tzinfo=UTC).timestamp()
    assert session == Session(
        "Hội nghị trực tuyến UBND tỉnh",
        start,
        ("commune=14758", "commune=Xã Mường Lát", "commune=Tam Chung", "group=vc-endpoints"),
        "8000",
    )


START = 1_000_000.0
MEETING = Session("họp", START, ("commune=14758",), None)
LATER = Session("chiều", START + 6 * 3600, ("commune=14758",), None)


def test_due_runs_at_t60_then_t15_and_none_after_the_start() -> None:
    assert due_runs([MEETING], START - 3601, set()) == []
    assert due_runs([MEETING], START - 3600, set()) == [Due(MEETING, 60)]
    assert due_runs([MEETING], START - 1000, {("họp", 60)}) == []
    assert due_runs([MEETING], START - 900, {("họp", 60)}) == [Due(MEETING, 15)]
    assert due_runs([MEETING], START, set()) == []
    # A watch started at T-20 runs the T-60 check once, late; at T-10, only T-15.
    assert due_runs([MEETING], START - 1200, set()) == [Due(MEETING, 60)]
    assert due_runs([MEETING], START - 600, set()) == [Due(MEETING, 15)]
    assert next_wake([MEETING, LATER], START - 7200) == START - 3600
    assert next_wake([MEETING], START - 100) is None


class FakeClock:
    def __init__(self, now: float) -> None:
        self.current = now
        self.slept: list[float] = []

    def now(self) -> float:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += seconds


def test_the_watch_checks_each_session_at_t60_and_t15_in_injected_time() -> None:
    clock = FakeClock(START - 3 * 3600)
    ran: list[tuple[str, int, float]] = []
    watch = Watch(
        [LATER, MEETING],
        clock,
        lambda due: ran.append((due.session.title, due.minutes_before, clock.now())),
    )
    assert watch.run() == 4
    assert ran == [
        ("họp", 60, START - 3600),
        ("họp", 15, START - 900),
        ("chiều", 60, LATER.start - 3600),
        ("chiều", 15, LATER.start - 900),
    ]
    assert len(clock.slept) == 4  # woke only when a check was due


def test_watch_once_writes_reports_and_prometheus_text(
    vc_twin: TwinDevices, tmp_path: Path
) -> None:
    start = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) + 1800, UTC)
    muted = ENDPOINTS[0]
    sessions = tmp_path / "sessions.yaml"
    sessions.write_text(
        "sessions:\n"
        "  - title: Hội nghị\n"
        f"    start: '{start.isoformat()}'\n"
        f"    communes: [{', '.join(e.split('-')[1] for e in ENDPOINTS[:2])}]\n",
        encoding="utf-8",
    )
    textfile = tmp_path / "textfile" / "provnet_vc.prom"
    fault(vc_twin, muted, "camera-off")
    try:
        result = runner.invoke(
            app,
            [
                *("vc", "watch", str(sessions), "--once", "--out-dir", str(tmp_path / "out")),
                *("--inventory", str(vc_twin.up.overlay), "--textfile", str(textfile)),
            ],
            env={"PROVNET_SECRETS_FILE": str(vc_twin.up.secrets_file)},
        )
    finally:
        fault(vc_twin, muted, "up")
    assert result.exit_code == 0, result.output
    assert "T-60: Hội nghị" in result.stdout
    assert (tmp_path / "out" / "hoi-nghi-T60.json").is_file()
    assert (tmp_path / "out" / "hoi-nghi-T60.html").is_file()
    written = textfile.read_text("utf-8")
    series = {
        (s.name, s.labels.get("device", "")): s.value
        for family in text_string_to_metric_families(written)
        for s in family.samples
    }
    assert series[("provnet_vc_ready", muted)] == 0
    assert series[("provnet_vc_ready", ENDPOINTS[1])] == 1
    assert series[("provnet_vc_session_start_timestamp_seconds", "")] == int(start.timestamp())
    assert series[("provnet_vc_next_check_timestamp_seconds", "")] == start.timestamp() - 900
    # A timer's next --once run (the fault mended meanwhile): the T-60 check is done, so
    # nothing is checked again, and its results stay in the textfile for the alert.
    again = runner.invoke(
        app,
        [
            *("vc", "watch", str(sessions), "--once", "--out-dir", str(tmp_path / "out")),
            *("--inventory", str(vc_twin.up.overlay), "--textfile", str(textfile)),
        ],
        env={"PROVNET_SECRETS_FILE": str(vc_twin.up.secrets_file)},
    )
    assert again.exit_code == 0, again.output
    assert "T-60" not in again.stdout
    assert textfile.read_text("utf-8") == written


def _document(title: str, start: float, checked: float, verdict: str) -> dict[str, object]:
    """A report as `as_data` writes it (one commune, one endpoint)."""
    return {
        "title": title,
        "checked_at": datetime.fromtimestamp(checked, UTC).isoformat(),
        "session_start": datetime.fromtimestamp(start, UTC).isoformat(),
        "communes": [
            {
                "code": "14758",
                "name": "Xã Mường Lát",
                "endpoints": [{"device": "th-14758-vc1", "verdict": verdict}],
            }
        ],
    }


def test_a_restarted_watch_carries_on_from_the_reports_of_the_same_session(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    t60 = _document("họp", START, START - 3600, "not_ready")
    (out / f"{report_stem('họp', 60)}.json").write_text(json.dumps(t60), "utf-8")
    # Last week's meeting of the same title, a torn file, another title with the same slug,
    # one without what the textfile needs: none counts.
    last_week = _document("họp", START - 7 * 86400, START - 7 * 86400 - 900, "ready")
    (out / f"{report_stem('họp', 15)}.json").write_text(json.dumps(last_week), "utf-8")
    (out / f"{report_stem('họp', 30)}.json").write_text('{"title": "họp", ', "utf-8")
    other = _document("Hop", START, START - 900, "ready")
    (out / f"{report_stem('họp', 5)}.json").write_text(json.dumps(other), "utf-8")

    edited = {**t60, "communes": [{"code": 14758, "endpoints": None}]}  # edited by hand
    (out / f"{report_stem('họp', 45)}.json").write_text(json.dumps(edited), "utf-8")

    earlier = earlier_reports(out, [MEETING, LATER])
    assert earlier.done == {("họp", 60)}
    assert earlier.documents == {"họp": t60}
    assert earlier_reports(tmp_path / "absent", [MEETING]).done == set()

    clock = FakeClock(START - 1800)
    ran: list[int] = []
    watch = Watch([MEETING], clock, lambda due: ran.append(due.minutes_before), done=earlier.done)
    assert watch.run() == 1
    assert ran == [15]  # T-60 was done before the restart


def test_the_textfile_holds_the_schedule_and_the_latest_results(tmp_path: Path) -> None:
    textfile = tmp_path / "provnet_vc.prom"
    plan = schedule([MEETING, LATER], START - 1800)
    assert plan == {"họp": (START, START - 900), "chiều": (LATER.start, LATER.start - 3600)}
    assert next_check(MEETING, START - 100) is None
    write_textfile([_document("họp", START, START - 3600, "not_ready")], textfile, plan)
    series = {
        (s.name, s.labels["session"], s.labels.get("device", "")): s.value
        for family in text_string_to_metric_families(textfile.read_text("utf-8"))
        for s in family.samples
    }
    assert series == {
        ("provnet_vc_ready", "họp", "th-14758-vc1"): 0,
        ("provnet_vc_degraded", "họp", "th-14758-vc1"): 0,
        ("provnet_vc_check_timestamp_seconds", "họp", ""): START - 3600,
        ("provnet_vc_session_start_timestamp_seconds", "họp", ""): START,
        ("provnet_vc_session_start_timestamp_seconds", "chiều", ""): LATER.start,
        ("provnet_vc_next_check_timestamp_seconds", "họp", ""): START - 900,
        ("provnet_vc_next_check_timestamp_seconds", "chiều", ""): LATER.start - 3600,
    }
