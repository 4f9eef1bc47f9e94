"""The load generator: bounded rounds of REST turns and NLU parses over loopback, with aiohttp.

aiohttp because it is already installed with Rasa and one event loop drives 32 concurrent
senders without 32 threads competing with the servers for the machine's 2 cores. Every round is
bounded twice: by a message count and by a deadline, so a slow or hung server cannot make the
benchmark run on.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
import numpy as np

#: A conversation is short in real use; rotating the sender keeps trackers at that size instead of
#: letting one sender's history grow for the whole run (Rasa reloads it on every turn).
TURNS_PER_SENDER = 10
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)


@dataclass
class LoadResult:
    """Latencies (seconds) of the successful requests of one round, its errors and wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0
    sent: int = 0
    timed_out: bool = False  # the deadline stopped the round before its message count
    error_kinds: Counter[str] = field(default_factory=Counter)  # "HTTP 500", "empty reply", "TimeoutError"

    def fail(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] += 1

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")

    @property
    def throughput(self) -> float:
        """Successful messages per second over the round's wall time."""
        return len(self.latencies) / self.wall if self.wall > 0 else float("nan")


async def _turn(session: aiohttp.ClientSession, url: str, sender: str, message: str) -> str | None:
    """One REST turn: None when it succeeded (status 200, at least one reply), else what went wrong."""
    try:
        async with session.post(url, json={"sender": sender, "message": message}) as response:
            if response.status != 200:
                return f"HTTP {response.status}"
            return None if await response.json(content_type=None) else "empty reply"
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return type(exc).__name__


async def _rest_round(url: str, messages: Sequence[str], concurrency: int, count: int,
                      deadline: float, sender_prefix: str) -> LoadResult:
    result = LoadResult()
    pool = itertools.cycle(messages)
    remaining = count
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(index: int, session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        turn = 0
        while remaining > 0:
            if time.monotonic() >= deadline:
                result.timed_out = True
                return
            remaining -= 1
            sender = f"{sender_prefix}-w{index}-s{turn // TURNS_PER_SENDER}"
            turn += 1
            start = time.perf_counter()
            error = await _turn(session, url, sender, next(pool))
            elapsed = time.perf_counter() - start
            result.sent += 1
            if error is None:
                result.latencies.append(elapsed)
            else:
                result.fail(error)

    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(i, session) for i in range(concurrency)))
        result.wall = time.perf_counter() - began
    return result


async def _parse_round(url: str, texts: Sequence[str], count: int, deadline: float) -> LoadResult:
    result = LoadResult()
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        began = time.perf_counter()
        for text in itertools.islice(itertools.cycle(texts), count):
            if time.monotonic() >= deadline:
                result.timed_out = True
                break
            start = time.perf_counter()
            error: str | None
            try:
                async with session.post(url, json={"text": text}) as response:
                    body = await response.json(content_type=None) if response.status == 200 else None
                    error = None if body and body.get("intent") else f"HTTP {response.status} / no intent"
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                error = type(exc).__name__
            result.sent += 1
            if error is None:
                result.latencies.append(time.perf_counter() - start)
            else:
                result.fail(error)
        result.wall = time.perf_counter() - began
    return result


def rest_round(url: str, messages: Sequence[str], concurrency: int, count: int, deadline: float,
               sender_prefix: str) -> LoadResult:
    """``count`` turns from ``concurrency`` workers, each with its own senders (distinct trackers)."""
    return asyncio.run(_rest_round(url, messages, concurrency, max(count, concurrency), deadline,
                                   sender_prefix))


def parse_round(url: str, texts: Sequence[str], count: int, deadline: float) -> LoadResult:
    """``count`` sequential ``POST /model/parse`` calls (NLU only: no tracker, no actions)."""
    return asyncio.run(_parse_round(url, texts, count, deadline))
