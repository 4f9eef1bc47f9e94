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
  One server counts in its own memory (:class:`SenderRateLimiter`); replicas that share a Redis
  (``LOCK_STORE_URL``) count together in it (:class:`RedisSenderRateLimiter`, the same sliding
  window as one atomic Lua script), so a sender gets the same limit whichever replica they reach.
  :func:`sender_rate_limiter` picks.
"""

from __future__ import annotations

import time
import uuid
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


def _seconds_until_room(oldest: float, window: float, now: float) -> int:
    """Whole seconds (at least 1) until the oldest counted message leaves the window."""
    return max(1, int(oldest + window - now + 0.999))


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
        return _seconds_until_room(times[0], self.window, now)


#: The sliding window in Redis: drop old entries, admit under the limit, else notify once then drop.
#: Returns {verdict, oldest admitted time}: 0 admit, 1 notify, 2 drop.
_WINDOW_SCRIPT = """
local times, told = KEYS[1], KEYS[2]
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl = math.ceil(window * 1000)
redis.call('ZREMRANGEBYSCORE', times, '-inf', now - window)
if redis.call('ZCARD', times) < limit then
  redis.call('ZADD', times, now, ARGV[4])
  redis.call('PEXPIRE', times, ttl)
  redis.call('DEL', told)
  return {0, '0'}
end
local oldest = redis.call('ZRANGE', times, 0, 0, 'WITHSCORES')[2]
if redis.call('SET', told, '1', 'NX', 'PX', ttl) then return {1, oldest} end
return {2, oldest}
"""


class RedisSenderRateLimiter:
    """:class:`SenderRateLimiter` shared by every server using the same Redis (wall-clock times, so
    the servers' clocks must agree to within a second or so, as NTP keeps them)."""

    def __init__(self, url: str, per_minute: int | None = None, window: float = 60.0,
                 prefix: str = "ratelimit:") -> None:
        import redis

        self.per_minute = per_minute if per_minute is not None else settings().bot_rate_limit_per_minute
        self.window = window
        self.prefix = prefix
        self.red = redis.Redis.from_url(url, socket_timeout=2)
        self._script = self.red.register_script(_WINDOW_SCRIPT)
        self._oldest: dict[str, float] = {}

    def check(self, sender: str, now: float | None = None) -> Verdict:
        if self.per_minute <= 0:
            return Verdict.ADMIT
        now = time.time() if now is None else now
        code, oldest = self._script(keys=[f"{self.prefix}{sender}", f"{self.prefix}{sender}:told"],
                                    args=[now, self.window, self.per_minute, f"{now}:{uuid.uuid4().hex}"])
        if int(code) == 0:
            self._oldest.pop(sender, None)
            return Verdict.ADMIT
        self._oldest[sender] = float(oldest)
        return Verdict.NOTIFY if int(code) == 1 else Verdict.DROP

    def retry_after(self, sender: str, now: float | None = None) -> int:
        oldest = self._oldest.get(sender)
        if oldest is None:
            return 0
        return _seconds_until_room(oldest, self.window, time.time() if now is None else now)


def sender_rate_limiter() -> SenderRateLimiter | RedisSenderRateLimiter:
    """The limiter the settings ask for: in Redis when replicas share one (``LOCK_STORE_URL``)."""
    url = settings().lock_store_url
    return RedisSenderRateLimiter(url) if url else SenderRateLimiter()


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
