"""Rasa's SQL tracker store, tuned for the embedded SQLite default (``endpoints.yml``).

Rasa 3.6 opens SQLite with SQLAlchemy's defaults: a new connection for every session and the
rollback journal with full ``fsync`` on every commit. The Rasa server saves the tracker after every
turn, so that cost is paid per message (py-spy: the commit alone was 5 % of the server's time at 32
concurrent senders). Here, for SQLite only:

- ``journal_mode=WAL`` with ``synchronous=NORMAL``: a commit appends to the write-ahead log and
  returns; a turn that was answered stays saved if the process is killed (SIGKILL), and only a power
  loss can drop the last commits. Readers never wait for the writer.
- ``busy_timeout``: a second process (``rasa shell`` beside ``make run``) waits instead of failing.
- a small connection pool instead of a connection per session.

Any other dialect (PostgreSQL for scale-out) is Rasa's store unchanged.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.pool import QueuePool

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
        if self.engine.dialect.name != "sqlite":
            return
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=2, max_overflow=4,
                                       connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _set_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
