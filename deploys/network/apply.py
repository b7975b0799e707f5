"""``provnet net apply``: exactly the plan, device by device, in waves; never half-applied.

Per device (:func:`apply_device`): connect; read the running configuration and refuse
the device if its hash is not the plan's (stale); checkpoint on the device; push the
plan's commands; verify that the platform now computes no command for the plan's intent;
run the change's post-checks; save. On any failure after the checkpoint (a rejected
line, a dropped session, a failed check or verification, a failed save): roll back to
the checkpoint (over a new session if the old one died) and check that the running
configuration's sections are again exactly the ones read before. Every step goes to the
journal; errors are cleaned of secrets before they are written or shown.

:func:`rollout` runs devices in waves with a bounded thread pool (Netmiko is blocking)
and stops after a wave when failures exceed the threshold; the devices left are
``not-started``. One device's failure never affects another's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from deploys.errors import NetworkChangeError
from deploys.network.base import Change, CheckContext
from deploys.network.journal import Journal, Outcome
from deploys.network.plan import (
    BadPlan,
    DevicePlan,
    Plan,
    config_sha256,
    intent_from,
    intent_model,
    missing_secrets_message,
    secrets_of,
    unresolved_secrets,
)
from deploys.network.targets import Backend
from deploys.network.waves import Threshold, WaveSpec, split_waves
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from platforms.network import ConfigSession, DeviceError, NetworkPlatform
from provnet.errors import NOT_CONTAINED


class StepFailed(NetworkChangeError, RuntimeError):
    """A step of one device failed; the message is already clean of secrets."""


@dataclass(frozen=True)
class RolloutOptions:
    waves: Sequence[WaveSpec]
    threshold: Threshold
    concurrency: int = 10


@dataclass(frozen=True)
class DeviceResult:
    device: str
    outcome: Outcome
    error: str = ""
    seconds: float = 0.0
    wave: int = 0


@dataclass
class RolloutReport:
    results: list[DeviceResult] = field(default_factory=list)
    halted_after_wave: int | None = None

    def counts(self) -> dict[str, int]:
        found = {outcome.value: 0 for outcome in Outcome}
        for result in self.results:
            found[result.outcome.value] += 1
        return found

    @property
    def ok(self) -> bool:
        return all(r.outcome.ok for r in self.results)


@dataclass(frozen=True)
class DeviceJob:
    """Everything one device's apply needs."""

    entry: DevicePlan
    view: DeviceView
    context: CheckContext
    # A resumed device that was cut mid-push: the checkpoint to restore before anything else.
    restore: str | None = None


# --- input checks (nothing is applied when one fails) ---------------------------------------


def check_placeholders(
    plan: Plan, names: Sequence[str], inv: Inventory, redactor: Redactor
) -> None:
    """Every ``<secret:NAME>`` in the commands to send can be resolved now."""
    for name in names:
        entry = plan.device(name)
        assert entry is not None
        missing = unresolved_secrets(entry.commands, redactor)
        if missing:
            raise BadPlan(missing_secrets_message(inv, name, missing, "nothing applied"))


def check_targets(plan: Plan, names: Sequence[str], views: dict[str, DeviceView]) -> None:
    """Every device to change is still in the inventory, still ours, still planned to change."""
    for name in names:
        entry = plan.device(name)
        if entry is None or entry.status.value != "change":
            raise BadPlan(f"device {name}: the plan has no change for it")
        view = views.get(name)
        if view is None:
            raise BadPlan(f"device {name} of the plan is not in the inventory; plan again")
        if view.monitor_only:
            raise BadPlan(
                f"device {name} is telco-managed (managed_by: telco) in the inventory now: "
                "refused, nothing applied"
            )
        if view.platform != entry.platform:
            raise BadPlan(
                f"device {name}: platform {view.platform} in the inventory, "
                f"{entry.platform} in the plan; plan again"
            )


def check_rendered(
    plan: Plan,
    names: Sequence[str],
    change: Change,
    inventory: Inventory,
    views: dict[str, DeviceView],
    redactor: Redactor,
) -> None:
    """The intent the plan holds for each device is what the change renders from the
    inventory now: nothing the change's rules would not produce is pushed."""
    for name in names:
        entry = plan.device(name)
        assert entry is not None
        rendered = intent_model(change.render(inventory, views[name]), redactor)
        if rendered != entry.intent:
            raise BadPlan(
                f"device {name}: the plan's intended configuration is not what change "
                f"{change.name} renders from the inventory now; plan again"
            )


# --- one device ---------------------------------------------------------------------------


class _Steps:
    """Runs and journals the steps of one device."""

    def __init__(self, journal: Journal, device: str, redactor: Redactor) -> None:
        self.journal = journal
        self.device = device
        self.redactor = redactor

    def error_text(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, DeviceError) and exc.output.strip():
            last = exc.output.strip().splitlines()[-1]
            text = f"{text}: {last}"
        if not isinstance(exc, (DeviceError, StepFailed)):
            text = f"{type(exc).__name__}: {text}"
        return self.redactor.clean(text)[:500]

    def ok(self, step: str, detail: str = "") -> None:
        fields = {"detail": self.redactor.clean(detail)} if detail else {}
        self.journal.write("step", device=self.device, step=step, ok=True, **fields)

    def failed(self, step: str, exc: BaseException) -> str:
        text = self.error_text(exc)
        self.journal.write("step", device=self.device, step=step, ok=False, error=text)
        return f"{step}: {text}"


def _close(session: ConfigSession | None) -> None:
    if session is None:
        return
    try:
        session.close()
    except NOT_CONTAINED:
        raise
    except BaseException:  # a dead session may not close cleanly; nothing to do about it
        return


def _rollback(
    job: DeviceJob,
    backend: Backend,
    platform: NetworkPlatform,
    session: ConfigSession,
    checkpoint: str,
    before: str,
    steps: _Steps,
) -> Outcome:
    """Back to ``checkpoint``, reconnecting if the session died; True when verified."""
    live: ConfigSession | None = session
    try:
        session.rollback(checkpoint)
        after = session.running_config()
    except NOT_CONTAINED:
        raise
    except BaseException as first:
        steps.failed("rollback", first)
        _close(session)
        live = None
        try:
            live = backend.connect(job.view)
            live.rollback(checkpoint)
            after = live.running_config()
        except NOT_CONTAINED:
            raise
        except BaseException as exc:
            steps.failed("rollback", exc)
            _close(live)
            return Outcome.ROLLBACK_FAILED
    steps.ok("rollback", f"checkpoint {checkpoint}")
    same = platform.sections(after) == platform.sections(before)
    if same:
        steps.ok("rollback-verify", "running configuration as before (sections equal)")
    else:
        steps.failed("rollback-verify", StepFailed("running configuration differs from before"))
    if live is not session:
        _close(live)
    return Outcome.ROLLED_BACK if same else Outcome.ROLLBACK_FAILED


def _push_and_check(
    job: DeviceJob,
    change: Change,
    platform: NetworkPlatform,
    session: ConfigSession,
    redactor: Redactor,
    steps: _Steps,
) -> None:
    entry = job.entry
    step = "push"
    try:
        session.push(
            [redactor.unredact(c) for c in entry.commands],
            secrets=secrets_of(entry.commands, redactor),
        )
        steps.ok("push", f"{len(entry.commands)} lệnh (commands)")
        step = "verify"
        intent = intent_from(entry.intent, with_once=False)
        left = platform.commands(session.running_config(), intent)
        if left:
            raise StepFailed(f"{len(left)} lệnh vẫn còn (commands still needed): {left[0]}")
        steps.ok("verify")
        for check in change.post_checks(job.view):
            step = f"post-check {check.name}"
            result = check.run(session, job.context)
            if not result.ok:
                raise StepFailed(f"{check.name}: {result.detail or 'failed'}")
            steps.ok(step, result.detail)
        step = "save"
        session.save()
        steps.ok("save")
    except NOT_CONTAINED:
        raise
    except BaseException as exc:  # a native panic in a post-check too: roll back, report
        raise StepFailed(steps.failed(step, exc)) from None


def apply_device(
    job: DeviceJob, backend: Backend, change: Change, redactor: Redactor, journal: Journal
) -> DeviceResult:
    """Apply one device's plan; never raises (the outcome says what happened)."""
    started = time.monotonic()
    name = job.entry.device
    steps = _Steps(journal, name, redactor)

    def done(outcome: Outcome, error: str = "") -> DeviceResult:
        return DeviceResult(name, outcome, error, time.monotonic() - started)

    session: ConfigSession | None = None
    step = "connect"
    try:
        platform = backend.platform(job.entry.platform)
        session = backend.connect(job.view)
        steps.ok("connect")
        if job.restore is not None:
            step = "restore"
            session.rollback(job.restore)
            steps.ok(step, f"checkpoint {job.restore} (the run before was cut mid-push)")
        step = "stale-check"
        before = session.running_config()
        if config_sha256(platform, before) != job.entry.running_sha256:
            steps.failed(step, StepFailed("running configuration changed since the plan"))
            _close(session)
            if job.restore is not None:
                return done(
                    Outcome.ROLLBACK_FAILED,
                    f"sau khi khôi phục {job.restore}, cấu hình khác lúc lập plan (after "
                    "restoring the checkpoint the configuration is not the planned one): act now",
                )
            return done(Outcome.STALE, "cấu hình đã đổi từ khi lập plan (changed since the plan)")
        steps.ok(step)
        step = "plan-check"
        # The plan's intent is the change's rendering (check_rendered, before any device);
        # the commands must be what it takes this very configuration to that intent.
        intent = intent_from(job.entry.intent)
        expected = [redactor.redact(c) for c in platform.commands(before, intent)]
        if expected != job.entry.commands:
            steps.failed(step, StepFailed("the plan's commands are not what the change computes"))
            _close(session)
            return done(
                Outcome.FAILED,
                "lệnh trong plan khác lệnh thay đổi tính ra (the plan's commands are not what "
                "the change computes for this configuration); nothing pushed, plan again",
            )
        steps.ok(step)
        step = "checkpoint"
        checkpoint = session.checkpoint()
        steps.ok(step, checkpoint)
        journal.write("pushing", device=name, checkpoint=checkpoint)  # write-ahead
    except NOT_CONTAINED:
        raise
    except BaseException as exc:
        error = steps.failed(step, exc)
        _close(session)
        cut = job.restore is not None and step == "restore"
        return done(Outcome.ROLLBACK_FAILED if cut else Outcome.FAILED, error)
    try:
        _push_and_check(job, change, platform, session, redactor, steps)
    except StepFailed as failure:
        outcome = _rollback(job, backend, platform, session, checkpoint, before, steps)
        _close(session)
        return done(outcome, str(failure))
    _close(session)
    return done(Outcome.APPLIED)


# --- waves ----------------------------------------------------------------------------------


def rollout(
    jobs: Sequence[DeviceJob],
    options: RolloutOptions,
    run_one: Callable[[DeviceJob], DeviceResult],
    journal: Journal,
    on_result: Callable[[DeviceResult], None] | None = None,
    on_wave: Callable[[int, int], None] | None = None,
) -> RolloutReport:
    """Run ``jobs`` in waves; stop after a wave when failures exceed the threshold."""
    report = RolloutReport()
    waves = split_waves(list(jobs), options.waves)
    failed = attempted = 0

    def record(result: DeviceResult) -> DeviceResult:
        journal.write(
            "device",
            device=result.device,
            status=result.outcome.value,
            wave=result.wave,
            seconds=round(result.seconds, 3),
            **({"error": result.error} if result.error else {}),
        )
        if on_result:
            on_result(result)
        return result

    def guarded(job: DeviceJob, wave: int) -> DeviceResult:
        try:
            result = run_one(job)
        except NOT_CONTAINED:
            raise
        except BaseException as exc:  # nothing one device raises may stop the others
            result = DeviceResult(job.entry.device, Outcome.FAILED, type(exc).__name__)
        return record(
            DeviceResult(result.device, result.outcome, result.error, result.seconds, wave)
        )

    for number, wave in enumerate(waves, start=1):
        journal.write("wave", wave=number, devices=[job.entry.device for job in wave])
        if on_wave:
            on_wave(number, len(wave))
        workers = max(1, min(options.concurrency, len(wave)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            report.results.extend(pool.map(guarded, wave, [number] * len(wave)))
        attempted += len(wave)
        failed = sum(not r.outcome.ok for r in report.results)
        if number < len(waves) and options.threshold.exceeded(failed, attempted):
            report.halted_after_wave = number
            journal.write(
                "halt",
                wave=number,
                failed=failed,
                attempted=attempted,
                threshold=options.threshold.describe(),
            )
            for later in waves[number:]:
                for job in later:
                    result = DeviceResult(job.entry.device, Outcome.NOT_STARTED)
                    report.results.append(record(result))
            break
    journal.write("end", counts=report.counts())
    return report
