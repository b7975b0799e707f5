"""`provnet vc check` end to end on a twin of its own: each fault of the twin's endpoints
yields exactly its verdict and reasons while the others stay ready; exit codes; formats;
no secret (a canary included) in any output.

The twin is tests/checks/conftest.py's (127.(230+worker).0.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cli import app
from lab.control import request
from lab.errors import LabError
from tests.checks.conftest import ENDPOINTS, codes, endpoint_results, fault, run_vc, runner
from tests.platforms.twin import TwinDevices

CANARY = "CANARY-vc-s3cr3t-51c0"

# fault (kind, argument) -> (verdict, the finding codes it must give, nothing else)
FAULTS: dict[tuple[str, str], tuple[str, set[str]]] = {
    ("unregistered", ""): ("not_ready", {"unregistered"}),
    ("camera-off", ""): ("not_ready", {"camera_off"}),
    ("mic-muted", ""): ("degraded", {"mic_muted"}),
    ("clock-skew", "30"): ("degraded", {"clock_skew"}),
    ("media-loss", "40"): ("degraded", {"sip_loss"}),
    ("down", ""): ("not_ready", {"unreachable", "sip_no_answer"}),
    ("slow", "400"): ("degraded", {"sip_delay"}),  # one-way 200 ms > 150
}
CLEAN = ENDPOINTS[len(FAULTS)]
BROKEN = dict(zip(ENDPOINTS, FAULTS, strict=False))


def test_a_registered_endpoint_is_ready(vc_twin: TwinDevices) -> None:
    code, stdout, _ = run_vc(vc_twin, "--limit", f"device={CLEAN}", "-f", "json")
    endpoint = endpoint_results(stdout)[CLEAN]
    assert (code, endpoint["verdict"], endpoint["findings"]) == (0, "ready", [])


def test_each_fault_gives_its_verdict_and_reason_and_the_others_stay_ready(
    vc_twin: TwinDevices,
) -> None:
    for device, (kind, argument) in BROKEN.items():
        fault(vc_twin, device, kind, argument)
    try:
        code, stdout, stderr = run_vc(vc_twin, "-f", "json")
        shown = runner.invoke(app, ["lab", "status", "--state-dir", str(vc_twin.up.state_dir)])
    finally:
        for device in BROKEN:
            fault(vc_twin, device, "up")
    for words in ("unregistered", "camera-off", "mic-muted", "clock-skew 30s", "media-loss 40%"):
        assert words in shown.stdout
    assert code == 100, stderr
    found = endpoint_results(stdout)
    seen = {
        device: (str(found[device]["verdict"]), codes(found[device])) for device in [*BROKEN, CLEAN]
    }
    expected = {device: FAULTS[fault] for device, fault in BROKEN.items()}
    expected[CLEAN] = ("ready", set())
    assert seen == expected
    summary = json.loads(stdout)
    assert (summary["communes_ready"], summary["communes_total"]) == (1, len(ENDPOINTS))


def test_mended_endpoints_are_ready_again_and_degraded_alone_exits_101(
    vc_twin: TwinDevices,
) -> None:
    assert run_vc(vc_twin, "-f", "json")[0] == 0
    muted = ENDPOINTS[0]
    fault(vc_twin, muted, "mic-muted")
    try:
        code, stdout, _ = run_vc(vc_twin, "--limit", f"device={muted}")
    finally:
        fault(vc_twin, muted, "up")
    assert code == 101
    assert "Micro đang tắt tiếng" in stdout and "xCommand Audio Microphones Unmute" in stdout


def test_test_call_reads_the_media_loss_of_the_call(vc_twin: TwinDevices) -> None:
    lossy = ENDPOINTS[1]
    fault(vc_twin, lossy, "media-loss", "40")
    try:
        code, stdout, _ = run_vc(
            vc_twin,
            *("--limit", f"device={lossy}", "--limit", f"device={CLEAN}"),
            *("--test-call", "8000", "--call-seconds", "1", "-f", "json"),
        )
    finally:
        fault(vc_twin, lossy, "up")
    found = endpoint_results(stdout)
    assert code == 101
    assert codes(found[lossy]) == {"sip_loss", "call_loss"}
    assert found[CLEAN]["findings"] == []
    status = request(vc_twin.up.state_dir, {"op": "status"})
    assert status["ok"]


def test_formats_and_no_secret_in_any_output(vc_twin: TwinDevices, tmp_path: Path) -> None:
    lab_values = yaml.safe_load(vc_twin.up.secrets_file.read_text(encoding="utf-8"))
    secrets = [str(v) for v in lab_values.values()]
    html = tmp_path / "r.html"
    outputs = []
    for args in (("-f", "table"), ("-f", "json"), ("-f", "html", "--out", str(html))):
        code, stdout, stderr = run_vc(vc_twin, *args)
        assert code == 0, stderr
        outputs += [stdout, stderr]
    page = html.read_text(encoding="utf-8")
    assert "<!DOCTYPE html>" in page and "sẵn sàng" in page and "ready" in page
    outputs.append(page)
    # The canary as the endpoints' password: every login is refused, and the canary is in
    # no output either.
    canary_file = tmp_path / "secrets.yaml"
    canary_file.write_text(
        yaml.safe_dump(
            {k: CANARY if k.startswith("ssh-vc.") else v for k, v in lab_values.items()}
        ),
        encoding="utf-8",
    )
    canary_file.chmod(0o600)
    code, stdout, stderr = run_vc(
        vc_twin, "-f", "json", "--limit", f"device={CLEAN}", secrets=canary_file
    )
    assert code == 100
    assert codes(endpoint_results(stdout)[CLEAN]) == {"unreachable"}
    outputs += [stdout, stderr]
    for text in outputs:
        assert CANARY not in text
        assert not [s for s in secrets if s in text]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--lang", "fr"), "--lang"),
        (("--format", "pdf"), "--format"),
        (("--limit", "device=no-such-device"), "no-such-device"),
        (("--limit", "role=wan_router"), "no VC endpoint selected"),
        (("--at", "2026-12-05T08:00:00+07:00"), "--at needs --session"),
        (("--session", "/nonexistent/sessions.yaml"), "sessions.yaml"),
        (("--max-loss-pct", "101"), "--max-loss-pct"),
    ],
)
def test_bad_input_exits_2_naming_it(
    vc_twin: TwinDevices, args: tuple[str, ...], words: str
) -> None:
    code, stdout, stderr = run_vc(vc_twin, *args)
    assert code == 2
    assert words in stderr and "Traceback" not in stderr + stdout


@pytest.mark.parametrize(
    ("kind", "argument", "words"),
    [
        ("clock-skew", "soon", "SECONDS"),
        ("media-loss", "150", "PERCENT"),
        ("media-loss", "nan", ""),
    ],
)
def test_a_bad_fault_argument_is_refused(
    vc_twin: TwinDevices, kind: str, argument: str, words: str
) -> None:
    with pytest.raises(LabError, match=f"{kind} needs {words}.*'{argument}'"):
        request(
            vc_twin.up.state_dir,
            {"op": "fault", "device": CLEAN, "kind": kind, "argument": argument},
        )
