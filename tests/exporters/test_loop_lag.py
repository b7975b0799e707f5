"""The exporter's event-loop lag: a request that hogs the CPU shows as lag."""

from __future__ import annotations

import asyncio
import time

from exporters.process import watch_loop_lag


def test_a_blocked_loop_shows_as_lag_and_an_idle_one_does_not() -> None:
    seen: list[float] = []

    async def main() -> None:
        watcher = asyncio.create_task(watch_loop_lag(seen.append, tick=0.05))
        await asyncio.sleep(0.3)
        idle = list(seen)
        time.sleep(0.4)  # what a scrape that hogs the CPU does to every other request
        await asyncio.sleep(0.2)
        watcher.cancel()
        assert len(idle) >= 3 and max(idle) < 0.3

    asyncio.run(main())
    assert max(seen) >= 0.35
