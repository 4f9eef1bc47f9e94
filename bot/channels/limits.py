"""What every public channel enforces before a message reaches Rasa: request size, message length
and how fast one sender may send.

- **Request bodies** are capped by Sanic itself (``REQUEST_MAX_SIZE``): it answers 413 from the
  ``Content-Length`` header, or while the body streams in, before anything parses it. Our channels
  set it when the Rasa server starts (:func:`cap_request_size`), so the limit covers every route
  of that server (REST, socket.io polling, Telegram, the web page) and not the action server,
  whose requests carry whole trackers. ``BOT_MAX_REQUEST_BYTES``, default 64 KB.
- **Messages** are cut to ``BOT_MAX_MESSAGE_CHARS`` (default 1000) before NLU: Rasa parses a
  message on its event loop, so every other conversation waits while it does. Measured with the
  trained model: 1000 characters of Japanese take ~35 ms, 4000 take ~140 ms, 5 MB took 127 s.
- **Senders** may send ``BOT_RATE_LIMIT_PER_MINUTE`` messages (default 20) in any 60 s. The first
  message over the limit is answered once with ``utter_rate_limited`` in the conversation's
  language (``bot.channels.notices``); later ones are dropped until the window has room again.
  Counts live in this process: with several replicas behind a load balancer without sticky
  sessions, each replica counts its own share.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from enum import Enum
from typing import Any

from sanic import Blueprint

from bot.settings import settings


def cap_request_size(blueprint: Blueprint) -> None:
    """Make the server that registers ``blueprint`` refuse bodies over the configured size (413)."""

    @blueprint.listener("before_server_start")
    async def _cap(app: Any, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = min(int(app.config.REQUEST_MAX_SIZE), settings().bot_max_request_bytes)


def clip_message(text: str) -> str:
    """``text`` cut to the longest message the NLU is given."""
    limit = settings().bot_max_message_chars
    return text if len(text) <= limit else text[:limit]


class Verdict(Enum):
    ADMIT = "admit"      # under the limit: handle as usual
    NOTIFY = "notify"    # first message over the limit: say so once
    DROP = "drop"        # over the limit and already told


class SenderRateLimiter:
    """Sliding-window count of messages per sender, for one process.

    ``max_senders`` bounds memory: the least recently seen senders are forgotten first, which can
    only ever let a forgotten sender send again sooner, never block anyone wrongly.
    """

    def __init__(self, per_minute: int | None = None, window: float = 60.0,
                 max_senders: int = 50_000) -> None:
        self.per_minute = per_minute if per_minute is not None else settings().bot_rate_limit_per_minute
        self.window = window
        self.max_senders = max_senders
        self._seen: OrderedDict[str, tuple[deque[float], bool]] = OrderedDict()

    def check(self, sender: str, now: float | None = None) -> Verdict:
        """Count one message from ``sender`` and say what to do with it."""
        if self.per_minute <= 0:
            return Verdict.ADMIT
        now = time.monotonic() if now is None else now
        times, notified = self._seen.pop(sender, (deque(), False))
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            verdict, notified = Verdict.ADMIT, False
        else:
            verdict, notified = (Verdict.DROP, True) if notified else (Verdict.NOTIFY, True)
        self._seen[sender] = (times, notified)
        while len(self._seen) > self.max_senders:
            self._seen.popitem(last=False)
        return verdict

    def retry_after(self, sender: str, now: float | None = None) -> int:
        """Whole seconds until ``sender`` may send again (0 if it may now)."""
        now = time.monotonic() if now is None else now
        times, _ = self._seen.get(sender, (deque(), False))
        if len(times) < self.per_minute or not times:
            return 0
        return max(1, int(times[0] + self.window - now + 0.999))


class ConnectionCounter:
    """Open socket.io connections per client address, to cap how many one address may hold."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit if limit is not None else settings().bot_max_connections_per_ip
        self._by_address: dict[str, int] = {}
        self._address_of: dict[str, str] = {}

    def open(self, connection: str, address: str) -> bool:
        """Register ``connection`` from ``address``; False (and nothing registered) if over the cap."""
        if self.limit > 0 and self._by_address.get(address, 0) >= self.limit:
            return False
        self._by_address[address] = self._by_address.get(address, 0) + 1
        self._address_of[connection] = address
        return True

    def close(self, connection: str) -> None:
        address = self._address_of.pop(connection, None)
        if address is not None:
            left = self._by_address.get(address, 1) - 1
            if left > 0:
                self._by_address[address] = left
            else:
                self._by_address.pop(address, None)
