"""When each session's readiness check is due: at T-60 and T-15 minutes by default (the
provincial guides want every endpoint switched on and tested 60 minutes ahead). Decisions
are pure; the loop gets its clock injected, so a test runs a day in no time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from checks.vc.session import Session

DEFAULT_OFFSETS_MIN = (60, 15)


@dataclass(frozen=True)
class Due:
    session: Session
    minutes_before: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.session.title, self.minutes_before)


def due_runs(
    sessions: Sequence[Session],
    now: float,
    done: set[tuple[str, int]],
    offsets: Sequence[int] = DEFAULT_OFFSETS_MIN,
) -> list[Due]:
    """The checks due at ``now``: per session, only the latest offset passed (a watch
    started at T-20 runs the T-60 check once, late, not twice), none once it has started."""
    found = []
    for session in sessions:
        if now >= session.start:
            continue
        passed = [m for m in sorted(offsets, reverse=True) if now >= session.start - m * 60]
        if passed and (session.title, passed[-1]) not in done:
            found.append(Due(session, passed[-1]))
    return found


def next_check(
    session: Session, now: float, offsets: Sequence[int] = DEFAULT_OFFSETS_MIN
) -> float | None:
    """When ``session``'s next check falls due after ``now``; None when it has none left."""
    return min(
        (session.start - m * 60 for m in offsets if now < session.start - m * 60), default=None
    )


def next_wake(
    sessions: Sequence[Session],
    now: float,
    offsets: Sequence[int] = DEFAULT_OFFSETS_MIN,
) -> float | None:
    """When the next check falls due after ``now``; None when no session has one left."""
    times = [t for s in sessions if (t := next_check(s, now, offsets)) is not None]
    return min(times, default=None)


def schedule(
    sessions: Sequence[Session], now: float, offsets: Sequence[int] = DEFAULT_OFFSETS_MIN
) -> dict[str, tuple[float, float | None]]:
    """Per session title: its start and its next check (None when none is left)."""
    return {s.title: (s.start, next_check(s, now, offsets)) for s in sessions}


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


@dataclass
class Watch:
    """Runs ``check`` for every due session until no session has a check left."""

    sessions: Sequence[Session]
    clock: Clock
    check: Callable[[Due], None]
    offsets: Sequence[int] = DEFAULT_OFFSETS_MIN
    done: set[tuple[str, int]] = field(default_factory=set)

    def run(self, max_runs: int = 10_000) -> int:
        runs = 0
        while runs < max_runs:
            now = self.clock.now()
            for due in due_runs(self.sessions, now, self.done, self.offsets):
                self.done.add(due.key)
                # Later offsets already passed count as done: one check per moment.
                self.done.update(
                    (due.session.title, m) for m in self.offsets if m > due.minutes_before
                )
                self.check(due)
                runs += 1
            wake = next_wake(self.sessions, now, self.offsets)
            if wake is None:
                return runs
            self.clock.sleep(max(0.0, wake - self.clock.now()))
        return runs
