"""Reading an apply journal back: bad lines named, the last outcome of each device wins."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from deploys.network.journal import BadJournal, Journal, Outcome, read_journal, resume_state


def test_events_from_many_threads_are_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        threads = [
            threading.Thread(
                target=lambda n=n: [journal.write("step", device=f"d{n}", i=i) for i in range(50)]
            )
            for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    events = read_journal(path)
    assert len(events) == 400
    assert all(e["event"] == "step" and "ts" in e for e in events)


def test_resume_retries_failed_stale_and_not_started_but_not_applied(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.write("run", plan="/p.json", plan_sha256="abc", devices=["a", "b", "c", "d", "e"])
        journal.write("device", device="a", status="applied")
        journal.write("device", device="b", status="rolled-back")
        journal.write("device", device="c", status="stale")
        journal.write("device", device="d", status="rollback-failed")
        journal.write("run", plan="/p.json", plan_sha256="abc", devices=["b", "c", "e"])
        journal.write("device", device="b", status="applied")
    state = resume_state(path, read_journal(path))
    assert state.plan == Path("/p.json") and state.plan_sha256 == "abc"
    assert state.outcomes["b"] is Outcome.APPLIED
    # e never got an outcome: not started; d needs a person (rollback failed), not a retry
    assert sorted(state.to_retry()) == ["c", "e"]


def test_a_broken_journal_is_bad_input_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps({"event": "run"}) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(BadJournal, match=r"j\.jsonl:2"):
        read_journal(path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(BadJournal, match="no run"):
        resume_state(empty, read_journal(empty))
