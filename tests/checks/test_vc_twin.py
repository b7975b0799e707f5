"""`provnet vc check` end to end on a twin of its own: each fault of the twin's endpoints
yields exactly its verdict and reasons while the others stay ready; exit codes; formats;
no secret (a canary included) in any output.

The twin runs at 127.(230+worker).0.0, a range no other test uses. Its endpoints start
unconfigured (SIP Inactive, as a new endpoint is); the fixture registers them first with
the SIP URI and registrar the vc_endpoint change would set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from inventory.resolve import iter_devices
from inventory.validate import load_valid
from lab.control import request
from platforms import network_platform
from tests.conftest import EXAMPLE
from tests.platforms.twin import TwinDevices, own_twin, worker_base

runner = CliRunner(env={"COLUMNS": "250"})
CANARY = "CANARY-vc-s3cr3t-51c0"
REGISTRAR = "sip.thanhhoa.gov.vn"

# fault (kind, argument) -> (verdict, the finding codes it must give, nothing else)
FAULTS: dict[tuple[str, str], tuple[str, set[str]]] = {
    ("unregistered", ""): ("not_ready", {"unregistered"}),
    ("camera-off", ""): ("not_ready", {"camera_off"}),
    ("mic-muted", ""): ("degraded", {"mic_muted"}),
    ("clock-skew", "30"): ("degraded", {"clock_skew"}),
    ("media-loss", "40"): ("degraded", {"sip_loss"}),
    ("down", ""): ("not_ready", {"unreachable", "sip_no_answer"}),
    ("slow", "320"): ("degraded", {"sip_delay"}),  # one-way 160 ms > 150
}


def _endpoints(count: int) -> list[str]:
    views = iter_devices(load_valid(EXAMPLE))
    return [v.name for v in views if v.role.value == "vc_endpoint" and v.commune][:count]


ENDPOINTS = _endpoints(len(FAULTS) + 1)
CLEAN = ENDPOINTS[-1]
BROKEN = dict(zip(ENDPOINTS, FAULTS, strict=False))


@pytest.fixture(scope="module")
def vc_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinDevices]:
    state = tmp_path_factory.mktemp("vc-twin") / "state"
    limit = tuple(f"device={name}" for name in ENDPOINTS)
    with own_twin(state, worker_base(230), limit) as twin:
        for name in ENDPOINTS:
            session = network_platform("cisco_tp").connect(twin.params[name])
            try:
                session.push(
                    [
                        f'xConfiguration SIP URI: "{name}@{REGISTRAR}"',
                        f'xConfiguration SIP Proxy 1 Address: "{REGISTRAR}"',
                    ]
                )
            finally:
                session.close()
        yield twin


def _fault(twin: TwinDevices, device: str, kind: str, argument: str = "") -> None:
    answer = request(
        twin.up.state_dir, {"op": "fault", "device": device, "kind": kind, "argument": argument}
    )
    assert answer["ok"], answer


def _check(twin: TwinDevices, *args: str, secrets: Path | None = None) -> tuple[int, str, str]:
    env = {"PROVNET_SECRETS_FILE": str(secrets or twin.up.secrets_file)}
    # Jitter on loopback is the loaded test machine's (its event loops' lag), not a
    # network's: these tests allow 100 ms of it (the judge's cases test the threshold).
    command = ["vc", "check", "--inventory", str(twin.up.overlay)]
    command += ["--max-jitter-ms", "100", "--ssh-timeout", "3"]
    result = runner.invoke(app, [*command, *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def _endpoint_results(stdout: str) -> dict[str, dict[str, Any]]:
    data = json.loads(stdout)
    return {e["device"]: e for c in data["communes"] for e in c["endpoints"]}


def _codes(endpoint: dict[str, Any]) -> set[str]:
    return {str(f["code"]) for f in endpoint["findings"]}


def test_a_registered_endpoint_is_ready(vc_twin: TwinDevices) -> None:
    code, stdout, _ = _check(vc_twin, "--limit", f"device={CLEAN}", "-f", "json")
    endpoint = _endpoint_results(stdout)[CLEAN]
    assert (code, endpoint["verdict"], endpoint["findings"]) == (0, "ready", [])


def test_each_fault_gives_its_verdict_and_reason_and_the_others_stay_ready(
    vc_twin: TwinDevices,
) -> None:
    for device, (kind, argument) in BROKEN.items():
        _fault(vc_twin, device, kind, argument)
    try:
        code, stdout, stderr = _check(vc_twin, "-f", "json")
    finally:
        for device in BROKEN:
            _fault(vc_twin, device, "up")
    assert code == 100, stderr
    found = _endpoint_results(stdout)
    seen = {device: (str(found[device]["verdict"]), _codes(found[device])) for device in ENDPOINTS}
    expected = {device: FAULTS[fault] for device, fault in BROKEN.items()}
    expected[CLEAN] = ("ready", set())
    assert seen == expected
    summary = json.loads(stdout)
    assert (summary["communes_ready"], summary["communes_total"]) == (1, len(ENDPOINTS))


def test_mended_endpoints_are_ready_again_and_degraded_alone_exits_101(
    vc_twin: TwinDevices,
) -> None:
    assert _check(vc_twin, "-f", "json")[0] == 0
    muted = ENDPOINTS[0]
    _fault(vc_twin, muted, "mic-muted")
    try:
        code, stdout, _ = _check(vc_twin, "--limit", f"device={muted}")
    finally:
        _fault(vc_twin, muted, "up")
    assert code == 101
    assert "Micro đang tắt tiếng" in stdout and "xCommand Audio Microphones Unmute" in stdout


def test_test_call_reads_the_media_loss_of_the_call(vc_twin: TwinDevices) -> None:
    lossy = ENDPOINTS[1]
    _fault(vc_twin, lossy, "media-loss", "40")
    try:
        code, stdout, _ = _check(
            vc_twin,
            *("--limit", f"device={lossy}", "--limit", f"device={CLEAN}"),
            *("--test-call", "8000", "--call-seconds", "1", "-f", "json"),
        )
    finally:
        _fault(vc_twin, lossy, "up")
    found = _endpoint_results(stdout)
    assert code == 101
    assert _codes(found[lossy]) == {"sip_loss", "call_loss"}
    assert found[CLEAN]["findings"] == []
    status = request(vc_twin.up.state_dir, {"op": "status"})
    assert status["ok"]


def test_formats_and_no_secret_in_any_output(vc_twin: TwinDevices, tmp_path: Path) -> None:
    lab_values = yaml.safe_load(vc_twin.up.secrets_file.read_text(encoding="utf-8"))
    secrets = [str(v) for v in lab_values.values()]
    html = tmp_path / "r.html"
    outputs = []
    for args in (("-f", "table"), ("-f", "json"), ("-f", "html", "--out", str(html))):
        code, stdout, stderr = _check(vc_twin, *args)
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
    code, stdout, stderr = _check(
        vc_twin, "-f", "json", "--limit", f"device={CLEAN}", secrets=canary_file
    )
    assert code == 100
    assert _codes(_endpoint_results(stdout)[CLEAN]) == {"unreachable"}
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
    ],
)
def test_bad_input_exits_2_naming_it(
    vc_twin: TwinDevices, args: tuple[str, ...], words: str
) -> None:
    code, stdout, stderr = _check(vc_twin, *args)
    assert code == 2
    assert words in stderr and "Traceback" not in stderr + stdout
