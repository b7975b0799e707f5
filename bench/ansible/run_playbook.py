"""Run one playbook through ansible-runner; executed by the Ansible venv's python (``-I``).

``python -I run_playbook.py PRIVATE_DATA_DIR PLAYBOOK FORKS TIMEOUT_S`` prints one JSON
line: runner status and rc, wall seconds inside this process, and per host the number of
ok/changed/failed task results and the sum of their durations. Nothing of the
inventory's variables or the extra vars is printed.

This file runs under the Ansible venv, not provnet's: it imports only the standard
library and ansible_runner.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

RESULT_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_item_on_ok": "",
    "runner_item_on_failed": "",
}


def summarise(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per host: task results by outcome, changed results, seconds spent in its tasks and
    the first failure message (module ``msg``, which never holds the connection password)."""
    hosts: dict[str, dict[str, Any]] = {}
    for event in events:
        outcome = RESULT_EVENTS.get(str(event.get("event")))
        if not outcome:
            continue
        data = event.get("event_data", {})
        host = str(data.get("host", "?"))
        entry = hosts.setdefault(
            host, {"ok": 0, "failed": 0, "unreachable": 0, "changed": 0, "seconds": 0.0}
        )
        entry[outcome] += 1
        res = data.get("res") or {}
        entry["changed"] += int(bool(res.get("changed")))
        entry["seconds"] += float(data.get("duration") or 0.0)
        if outcome != "ok" and "error" not in entry:
            entry["error"] = str(res.get("msg", ""))[:300]
    return hosts


def main(argv: list[str]) -> int:
    import ansible_runner

    private_data_dir, playbook, forks, timeout = argv[0], argv[1], int(argv[2]), int(argv[3])
    started = time.perf_counter()
    runner = ansible_runner.run(
        private_data_dir=private_data_dir,
        playbook=playbook,
        forks=forks,
        timeout=timeout,
        quiet=True,
    )
    seconds = time.perf_counter() - started
    summary = {
        "status": runner.status,
        "rc": runner.rc,
        "seconds": seconds,
        "hosts": summarise(list(runner.events)),
    }
    print(json.dumps(summary))
    return 0 if runner.status == "successful" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
