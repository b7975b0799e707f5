"""The apply journal: every step as one JSON line, appended and flushed as it happens.

Events (``event`` key), each with ``ts`` (UTC, ISO 8601 with milliseconds):

- ``run``: a run of ``apply`` starts: ``plan`` (path), ``plan_sha256``, ``change``,
  ``waves``, ``max_failures``, ``resume`` (bool), ``devices`` (names attempted).
- ``wave``: ``wave`` (1-based), ``devices``.
- ``step``: ``device``, ``step`` (connect, restore, stale-check, plan-check, checkpoint,
  push, post-check, verify, save, rollback, rollback-verify), ``ok``, ``detail``/``error``
  (never a secret).
- ``pushing``: written before a device's configuration is touched (write-ahead):
  ``device``, ``checkpoint`` (the configuration it had before the plan, on the device).
  A journal that ends after it without the device's outcome was cut mid-push (the
  process was killed): ``--resume`` restores that checkpoint first.
- ``device``: the outcome of one device: ``device``, ``status`` (see :class:`Outcome`),
  ``error``.
- ``halt``: the rollout stopped after a wave: ``failed``, ``attempted``, ``threshold``.
- ``end``: ``counts`` by outcome.

:func:`resume_state` reads a journal back: the plan it ran and each device's last outcome.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from deploys.errors import NetworkChangeError


class BadJournal(NetworkChangeError, ValueError):
    pass


class Outcome(StrEnum):
    APPLIED = "applied"  # pushed, checked, saved
    ROLLED_BACK = "rolled-back"  # failed, and the running configuration is as before
    ROLLBACK_FAILED = "rollback-failed"  # failed, and could not be put back: act now
    FAILED = "failed"  # failed before anything was changed (connect, checkpoint)
    STALE = "stale"  # running configuration changed since the plan: refused
    REFUSED = "refused"  # telco-managed or no longer in the inventory: refused
    NOT_STARTED = "not-started"  # the rollout halted before this device's wave
    INTERRUPTED = "interrupted"  # the run was cut while this device was being changed

    @property
    def ok(self) -> bool:
        return self is Outcome.APPLIED


RETRY = frozenset(
    {
        Outcome.ROLLED_BACK,
        Outcome.FAILED,
        Outcome.STALE,
        Outcome.NOT_STARTED,
        Outcome.INTERRUPTED,
    }
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Journal:
    """Appends events to a JSON-lines file; safe to call from many threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._handle: IO[str] = path.open("a", encoding="utf-8")

    def write(self, event: str, **fields: Any) -> None:
        record = {"ts": now(), "event": event, **fields}
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every event of ``path``; :class:`BadJournal` names the file and line of a bad one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadJournal(f"{path}: cannot read the journal: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise BadJournal(f"{path}: not a journal: not UTF-8 text (byte {exc.start})") from None
    events: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadJournal(f"{path}:{number}: not a JSON line ({exc.msg})") from None
        if not isinstance(event, dict) or "event" not in event:
            raise BadJournal(f"{path}:{number}: not a journal event")
        events.append(event)
    return events


@dataclass(frozen=True)
class ResumeState:
    plan: Path
    plan_sha256: str
    outcomes: dict[str, Outcome]  # last outcome of every device any run attempted
    # Devices cut mid-push: the checkpoint holding the configuration they had before.
    checkpoints: dict[str, str] = field(default_factory=dict)

    def to_retry(self) -> list[str]:
        return [name for name, outcome in self.outcomes.items() if outcome in RETRY]


def resume_state(path: Path, events: list[dict[str, Any]]) -> ResumeState:
    """The plan a journal ran and every device's last outcome (pure, from its events)."""
    runs = [e for e in events if e["event"] == "run"]
    if not runs:
        raise BadJournal(f"{path}: no run recorded in this journal")
    first = runs[0]
    outcomes: dict[str, Outcome] = {}
    pushing: dict[str, str] = {}  # device -> checkpoint, while its push has no outcome yet
    for event in events:
        if event["event"] == "run":
            for name in event.get("devices", []):
                outcomes.setdefault(name, Outcome.NOT_STARTED)
        elif event["event"] == "pushing":
            try:
                pushing[str(event["device"])] = str(event["checkpoint"])
            except KeyError:
                raise BadJournal(f"{path}: bad pushing event {event!r:.200}") from None
        elif event["event"] == "device":
            try:
                name = str(event["device"])
                outcomes[name] = Outcome(event["status"])
            except (KeyError, ValueError):
                raise BadJournal(f"{path}: bad device event {event!r:.200}") from None
            if outcomes[name] is not Outcome.INTERRUPTED:
                pushing.pop(name, None)
    for name in pushing:
        outcomes[name] = Outcome.INTERRUPTED
    return ResumeState(Path(first["plan"]), str(first["plan_sha256"]), outcomes, pushing)
