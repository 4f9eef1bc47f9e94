"""Rasa's SQL tracker store, tuned for the embedded SQLite default (``endpoints.yml``).

Rasa 3.6 opens SQLite with SQLAlchemy's defaults: a new connection for every session and the
rollback journal with full ``fsync`` on every commit. The Rasa server saves the tracker after every
turn, so that cost is paid per message (py-spy: the commit alone was 5 % of the server's time at 32
concurrent senders). Here, for SQLite only:

- ``journal_mode=WAL`` with ``synchronous=NORMAL``: a commit appends to the write-ahead log and
  returns; a turn that was answered stays saved if the process is killed (SIGKILL), and only a power
  loss can drop the last commits. Readers never wait for the writer.
- ``busy_timeout``: a second process (``rasa shell`` beside ``make run``) waits instead of failing.
- a small connection pool instead of a connection per session;
- no count query on save: Rasa counts the stored events of the session before every save to find
  the new ones (py-spy: ~7 % of the server's time at one sender). The tracker this store returned
  remembers how many events it was read with and how many were saved since; a tracker it did not
  read (a new conversation, a full-history read) is counted as Rasa does. Two processes writing the
  same conversation at once would race here as they do with Rasa's count; one Rasa server per
  SQLite file is the setup this store is for (docs/scaling.md: PostgreSQL beyond it).

Any other dialect (PostgreSQL for scale-out) is Rasa's store unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import QueuePool

#: Set on a tracker this store read or saved: how many of its events are in the store.
STORED_EVENTS = "_briefing_stored_events"
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000")


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class TunedSQLTrackerStore(SQLTrackerStore):
    """``type: bot.tracker_store.TunedSQLTrackerStore`` in endpoints.yml; same settings as ``SQL``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self._is_sqlite():
            return
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=2, max_overflow=4,
                                       connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _set_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str,
                        fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None and self._is_sqlite() and not fetch_events_from_all_sessions:
            setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if self._is_sqlite():
            setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, STORED_EVENTS, None) if self._is_sqlite() else None
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def _is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"
