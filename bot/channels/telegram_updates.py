"""Which Telegram updates were already taken, so an update delivered twice is answered once.

Telegram redelivers an update when the webhook answered late or not at all, and with several
server replicas behind one address the second delivery may reach another replica. So the set of
recent ``update_id`` values lives in a store the replicas can share, and an update is handled only
by whoever *claims* it first: a claim is one atomic insert, never a read followed by a write.

:class:`UpdateStore` is the interface; :class:`SQLiteUpdateStore` keeps the ids in one table of a
SQLite file (``TELEGRAM_UPDATES_DB``, default ``var/telegram_updates.db``), which replicas on one
machine (or on a shared volume with working file locks) can share. :class:`RedisUpdateStore` serves
replicas on several machines: ``claim`` is ``SET telegram:update:<bot>:<id> 1 NX EX <ttl>`` (true
when it answers OK), and Redis' own expiry does the pruning. :func:`update_store` picks: Redis when
the replicas share one (``LOCK_STORE_URL``), else the SQLite file.

Ids are kept for a day by default: Telegram stops redelivering an update well before it drops it
(it keeps undelivered updates for 24 hours), and the table is also capped at a number of rows, so
it stays small whatever the traffic.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

from bot.settings import settings

logger = logging.getLogger(__name__)

#: How long a claimed update id is remembered, in seconds.
DEFAULT_TTL_SECONDS = 24 * 3600
#: At most this many ids are kept; the oldest go first.
DEFAULT_MAX_ROWS = 100_000
#: Pruning runs once every this many claims (and when the store opens), not on every update.
PRUNE_EVERY = 200


class UpdateStoreError(Exception):
    """The store cannot be opened or written; callers handle the update without the check."""


class UpdateStore(Protocol):
    """Remembers recent update ids; ``claim`` is atomic across every process sharing the store.
    Implementations raise :class:`UpdateStoreError` for their own failures."""

    def claim(self, bot_id: str, update_id: int) -> bool:
        """True if this caller is the first to see ``update_id`` of bot ``bot_id`` (then handle
        it), False if it was claimed before (a redelivery: answer 200 and do nothing)."""
        ...

    def close(self) -> None:
        ...


class SQLiteUpdateStore:
    """:class:`UpdateStore` in a SQLite file: ``INSERT OR IGNORE`` on the primary key is the claim.

    One connection per store, used from the server's event loop (each statement takes well under a
    millisecond); WAL mode and a busy timeout let other processes claim at the same time. Updates
    of several bots can share a file, since ``update_id`` is only unique per bot.
    """

    def __init__(self, path: str | Path, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self.path = Path(path)
        self.ttl_seconds = ttl_seconds
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._claims = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=10, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS telegram_updates ("
                             " bot_id TEXT NOT NULL, update_id INTEGER NOT NULL,"
                             " claimed_at REAL NOT NULL, PRIMARY KEY (bot_id, update_id))")
            self._db.execute("CREATE INDEX IF NOT EXISTS telegram_updates_claimed_at"
                             " ON telegram_updates (claimed_at)")
            self.prune()
        except (sqlite3.Error, OSError) as error:
            raise UpdateStoreError(f"cannot open {self.path}: {error}") from error

    def claim(self, bot_id: str, update_id: int) -> bool:
        try:
            with self._lock:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO telegram_updates (bot_id, update_id, claimed_at)"
                    " VALUES (?, ?, ?)", (bot_id, int(update_id), time.time()))
                claimed = cursor.rowcount == 1
                self._claims += 1
                due = self._claims % PRUNE_EVERY == 0
            if due:
                self.prune()
        except sqlite3.Error as error:
            raise UpdateStoreError(f"cannot write {self.path}: {error}") from error
        return claimed

    def prune(self, now: float | None = None) -> int:
        """Forget ids older than the TTL and all but the newest ``max_rows``; how many went."""
        now = time.time() if now is None else now
        with self._lock:
            removed = self._db.execute("DELETE FROM telegram_updates WHERE claimed_at < ?",
                                       (now - self.ttl_seconds,)).rowcount
            removed += self._db.execute(
                "DELETE FROM telegram_updates WHERE rowid IN (SELECT rowid FROM telegram_updates"
                " ORDER BY claimed_at DESC LIMIT -1 OFFSET ?)", (self.max_rows,)).rowcount
        return removed

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM telegram_updates").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisUpdateStore:
    """:class:`UpdateStore` in Redis, for replicas on several machines: one ``SET NX EX`` per claim."""

    def __init__(self, url: str, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 prefix: str = "telegram:update:") -> None:
        import redis

        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._redis_error = redis.RedisError
        try:
            self.red = redis.Redis.from_url(url, socket_timeout=2)
        except (ValueError, redis.RedisError) as error:
            raise UpdateStoreError(f"cannot use Redis at {url.split('@')[-1]}: {error}") from error

    def claim(self, bot_id: str, update_id: int) -> bool:
        try:
            return bool(self.red.set(f"{self.prefix}{bot_id}:{int(update_id)}", "1", nx=True,
                                     ex=int(self.ttl_seconds)))
        except self._redis_error as error:
            raise UpdateStoreError(f"cannot write to Redis: {error}") from error

    def close(self) -> None:
        self.red.close()


def update_store() -> UpdateStore:
    """The store the settings ask for: Redis when replicas share one (``LOCK_STORE_URL``), else the
    SQLite file ``TELEGRAM_UPDATES_DB``."""
    current = settings()
    if current.lock_store_url:
        return RedisUpdateStore(current.lock_store_url)
    return SQLiteUpdateStore(current.telegram_updates_db)
