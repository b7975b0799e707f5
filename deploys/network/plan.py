"""``provnet net plan``: what a change would send to each device, written to a plan file.

Decisions are pure functions (:func:`triage`, :func:`plan_device`, :func:`predict`):
given a device, its platform and the running configuration text, they return a
:class:`DevicePlan`. :func:`make_plan` does the I/O (read every running configuration,
concurrently) and :func:`write_plan` / :func:`load_plan` the file.

A plan file is JSON. Per device: the exact commands to send, with every known secret
replaced by a ``<secret:NAME>`` placeholder (resolved again only when ``apply`` sends
them); the intent those commands come from (same placeholders), used by ``apply`` to
verify the device afterwards; a unified diff of the affected sections (before, and after
as the engine predicts), secrets masked; the sha256 of the running configuration the
commands were computed from (over its sections, so that comments and timestamps the
device prints do not make a plan stale).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from deploys.errors import NetworkChangeError
from deploys.network.base import Change
from deploys.network.seal import seal_matches, seal_of
from deploys.network.targets import Backend, read_running
from inventory.loader import Inventory
from inventory.masking import Redactor, secret_references
from inventory.resolve import DeviceView
from platforms.network import (
    SECRET_PLACEHOLDER,
    Block,
    Intent,
    NetworkPlatform,
    placeholder_names,
)
from provnet.errors import NOT_CONTAINED

PLAN_FORMAT = 1


class BadPlan(NetworkChangeError, ValueError):
    """A plan file that cannot be read or does not fit the inventory."""


class Status(StrEnum):
    CHANGE = "change"
    NO_CHANGE = "no-change"
    REFUSED = "refused"  # telco-managed: never contacted
    SKIPPED = "skipped"  # the change does not apply (role, platform)
    ERROR = "error"  # could not read the device


class BlockModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    context: list[str]
    lines: list[str]
    owns: list[str] = []
    once: list[tuple[str, str]] = []


class DevicePlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    device: str
    platform: str
    status: Status
    reason: str = ""
    commands: list[str] = []
    diff: str = ""
    running_sha256: str = ""
    intent: list[BlockModel] = []
    bad_data: bool = False  # an ERROR of the inventory's data or a template, not the device


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    format: int = PLAN_FORMAT
    change: str
    created: str
    inventory: str
    inventory_revision: str | None
    limits: list[str]
    devices: list[DevicePlan]
    seal: str = ""  # see deploys/network/seal.py; over everything above

    def content(self) -> bytes:
        """What the seal covers: the plan without its seal, as written."""
        return self.model_dump_json(exclude={"seal"}).encode("utf-8")

    def to_change(self) -> list[DevicePlan]:
        return [d for d in self.devices if d.status is Status.CHANGE]

    def device(self, name: str) -> DevicePlan | None:
        return next((d for d in self.devices if d.device == name), None)

    def counts(self) -> dict[str, int]:
        found = {status.value: 0 for status in Status}
        for entry in self.devices:
            found[entry.status.value] += 1
        return found


# --- decisions ---------------------------------------------------------------------


def config_sha256(platform: NetworkPlatform, running: str) -> str:
    """The hash of a running configuration, over its sections (order kept)."""
    canonical = json.dumps(list(platform.sections(running).items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def triage(change: Change, device: DeviceView, platform_known: bool) -> DevicePlan | None:
    """The plan of a device that must not be contacted at all, or None to go ahead."""
    if device.monitor_only:
        return DevicePlan(
            device=device.name,
            platform=device.platform,
            status=Status.REFUSED,
            reason="thiết bị do nhà mạng quản lý: chỉ giám sát, không cấu hình "
            "(telco-managed: monitor only, never configured)",
        )
    reason = change.skip_reason(device)
    if reason is None and not platform_known:
        reason = f"platform {device.platform} không hỗ trợ thay đổi (cannot be changed)"
    if reason is not None:
        return DevicePlan(
            device=device.name, platform=device.platform, status=Status.SKIPPED, reason=reason
        )
    return None


def _block_matches(block: Block, line: str) -> bool:
    return any(re.search(pattern, line.strip()) for pattern in block.owns)


def predict(sections: dict[str, list[str]], intent: Intent) -> dict[str, list[str]]:
    """The sections as they should read once ``intent`` is applied (for the diff)."""
    after = {key: list(children) for key, children in sections.items()}
    for block in intent.blocks:
        if not block.context:
            for key in [k for k in after if _block_matches(block, k) and k not in block.lines]:
                del after[key]
            for line in block.lines:
                after.setdefault(line, [])
            continue
        children = after.setdefault(block.context[0], [])
        kept = [c for c in children if c in block.lines or not _block_matches(block, c)]
        kept += [line for line in block.lines if line not in kept]
        after[block.context[0]] = kept
    return after


def _section_lines(sections: dict[str, list[str]], keys: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for key in keys:
        if key in sections:
            lines.append(key)
            lines.extend(f" {child.strip()}" for child in sections[key])
    return lines


def section_diff(
    name: str, before: dict[str, list[str]], after: dict[str, list[str]], redactor: Redactor
) -> str:
    """A unified diff of the sections that differ, secrets masked."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    diff = difflib.unified_diff(
        _section_lines(before, keys),
        _section_lines(after, keys),
        fromfile=f"{name} (running)",
        tofile=f"{name} (intended)",
        lineterm="",
        n=len(keys) * 1000,
    )
    return redactor.clean("\n".join(diff))


def intent_model(intent: Intent, redactor: Redactor) -> list[BlockModel]:
    return [
        BlockModel(
            context=[redactor.redact(c) for c in block.context],
            lines=[redactor.redact(line) for line in block.lines],
            owns=list(block.owns),
            once=[(guard, redactor.redact(line)) for guard, line in block.once],
        )
        for block in intent.blocks
    ]


def intent_from(blocks: Sequence[BlockModel], *, with_once: bool = True) -> Intent:
    """The intent stored in a plan (placeholders kept: the platform compares lines that
    never hold a secret). ``with_once=False`` leaves out the ``@once`` lines, which the
    device never shows back, for verifying a device after a push."""
    return Intent(
        blocks=tuple(
            Block(
                context=tuple(block.context),
                lines=tuple(block.lines),
                owns=tuple(block.owns),
                once=tuple(block.once) if with_once else (),
            )
            for block in blocks
        )
    )


class MissingSecret(NetworkChangeError, LookupError):
    """A command to send needs a secret the environment and the secrets file do not give."""


def _placeholders(commands: Sequence[str]) -> set[str]:
    return {n for c in commands for n in placeholder_names(c)}


def unresolved_secrets(commands: Sequence[str], redactor: Redactor) -> list[str]:
    """The ``SET.FIELD`` names of the placeholders in ``commands`` that ``redactor`` holds
    no value for (it holds every secret resolvable now), sorted."""
    return sorted(n for n in _placeholders(commands) if n not in redactor.values)


def missing_secrets_message(
    inv: Inventory, device: str, missing: Sequence[str], outcome: str
) -> str:
    """Why ``device``'s commands cannot be sent: ``missing`` (``SET.FIELD`` names) with the
    reference each is read from, e.g. ``env:PROVNET_AUDIT_PASSWORD (ssh-audit.password)``;
    worded so that masking (``Redactor.clean``) leaves it whole: no "secret X"."""
    references = {name: ref.describe() for name, ref in secret_references(inv)}
    named = ", ".join(f"{references.get(n, '?')} ({n})" for n in missing)
    return (
        f"device {device}: thiếu bí mật (missing secret) {named}: đặt nó trong môi trường "
        "hoặc tệp bí mật (set it in the environment or the secrets file, at least 4 "
        f"characters); {outcome}"
    )


def secrets_of(commands: Sequence[str], redactor: Redactor) -> list[str]:
    """The values ``redactor`` puts in place of the placeholders in ``commands`` (for the
    session to mask wherever it may show or log them)."""
    names = _placeholders(commands)
    return [value for name, value in redactor.values.items() if name in names]


def plan_device(
    change: Change,
    platform: NetworkPlatform,
    inv: Inventory,
    device: DeviceView,
    running: str,
    redactor: Redactor,
) -> DevicePlan:
    """Commands, diff and hash for one device whose running configuration is ``running``.

    :class:`MissingSecret` when a command to send needs a secret that cannot be resolved
    now (named with its reference, never a value): a plan that apply would refuse."""
    intent = change.render(inv, device)
    commands = platform.commands(running, intent)
    missing = unresolved_secrets(commands, redactor)
    if missing:
        raise MissingSecret(missing_secrets_message(inv, device.name, missing, "nothing planned"))
    before = platform.sections(running)
    return DevicePlan(
        device=device.name,
        platform=device.platform,
        status=Status.CHANGE if commands else Status.NO_CHANGE,
        reason="; ".join(intent.notes),
        commands=[redactor.redact(c) for c in commands],
        diff=section_diff(device.name, before, predict(before, intent), redactor)
        if commands
        else "",
        running_sha256=config_sha256(platform, running),
        intent=intent_model(intent, redactor),
    )


# --- I/O -----------------------------------------------------------------------------


def inventory_revision(root: Path) -> str | None:
    """``git rev-parse HEAD`` of the inventory's repository (``+dirty`` if changed), or None."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _platform_known(backend: Backend, name: str) -> bool:
    try:
        backend.platform(name)
    except LookupError:
        return False
    return True


def _read_and_plan(
    backend: Backend, change: Change, inv: Inventory, device: DeviceView, redactor: Redactor
) -> DevicePlan:
    try:
        running = read_running(backend, device)
        return plan_device(
            change, backend.platform(device.platform), inv, device, running, redactor
        )
    except NOT_CONTAINED:
        raise
    except BaseException as exc:  # one device's failure never stops the others
        return DevicePlan(
            device=device.name,
            platform=device.platform,
            status=Status.ERROR,
            reason=redactor.clean(f"{type(exc).__name__}: {exc}"),
            bad_data=isinstance(exc, NetworkChangeError),
        )


def make_plan(
    backend: Backend,
    change: Change,
    inv: Inventory,
    devices: Sequence[DeviceView],
    redactor: Redactor,
    *,
    limits: Sequence[str] = (),
    concurrency: int = 20,
    progress: Callable[[DevicePlan], None] | None = None,
) -> Plan:
    """Read every device that may be changed (concurrently) and plan it."""
    entries: dict[str, DevicePlan] = {}
    to_read: list[DeviceView] = []
    for device in devices:
        decided = triage(change, device, _platform_known(backend, device.platform))
        if decided is None:
            to_read.append(device)
        else:
            entries[device.name] = decided
            if progress:
                progress(decided)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(_read_and_plan, backend, change, inv, d, redactor) for d in to_read]
        for future in futures:
            entry = future.result()
            entries[entry.device] = entry
            if progress:
                progress(entry)
    return Plan(
        change=change.name,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        inventory=str(inv.root),
        inventory_revision=inventory_revision(inv.root),
        limits=list(limits),
        devices=[entries[d.name] for d in devices],
    )


def write_plan(plan: Plan, path: Path, key: bytes | None = None) -> None:
    """Write ``plan`` to ``path`` (atomically), sealed with ``key`` when one is given."""
    if key is not None:
        plan = plan.model_copy(update={"seal": seal_of(plan.content(), key)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{time.monotonic_ns()}.tmp")
    tmp.write_text(plan.model_dump_json(indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def verify_seal(plan: Plan, key: bytes, path: Path) -> None:
    """:class:`BadPlan` unless ``plan`` carries the seal ``net plan`` put on it."""
    if not plan.seal:
        raise BadPlan(f"{path}: the plan is not sealed; plan again with 'provnet net plan'")
    if not seal_matches(plan.content(), key, plan.seal):
        raise BadPlan(
            f"{path}: the plan's seal does not match its content: it was edited after "
            "'provnet net plan' (or planned with another key); nothing applied, plan again"
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_plan(plan: Plan, path: Path) -> None:
    """What no plan may hold, sealed or not: a device twice, a change without the hash of
    the configuration it was planned on, a command with a control character (an embedded
    newline sends two commands), a secret placeholder outside the intent's ``@once`` lines.
    """
    seen: set[str] = set()
    for entry in plan.devices:
        where = f"{path}: device {entry.device}"
        if entry.device in seen:
            raise BadPlan(f"{where}: listed twice in the plan")
        seen.add(entry.device)
        if entry.status is not Status.CHANGE:
            continue
        if not _SHA256.match(entry.running_sha256):
            raise BadPlan(f"{where}: no hash of the running configuration it was planned on")
        once = {line for block in entry.intent for _, line in block.once}
        for command in entry.commands:
            if _CONTROL.search(command):
                raise BadPlan(f"{where}: a command holds a control character: {command!r}")
            if SECRET_PLACEHOLDER.search(command) and command.strip() not in once:
                raise BadPlan(
                    f"{where}: a secret placeholder outside an @once line of the intent: "
                    f"{SECRET_PLACEHOLDER.sub('<secret:…>', command)!r}"
                )


def plan_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_plan(path: Path) -> Plan:
    """The plan in ``path``; :class:`BadPlan` names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadPlan(f"{path}: cannot read the plan: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise BadPlan(f"{path}: not a provnet plan: not UTF-8 text (byte {exc.start})") from None
    try:
        plan = Plan.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadPlan(f"{path}: not a provnet plan: {where}: {first['msg']}") from None
    if plan.format != PLAN_FORMAT:
        raise BadPlan(f"{path}: plan format {plan.format}, expected {PLAN_FORMAT}")
    return plan
