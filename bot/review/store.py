"""The unanswered-questions store: one SQL table, reached by a SQLAlchemy URL (``REVIEW_DB_URL``).

A row is one question the bot could not answer well, as operators need it to improve the facts:
the text, the conversation's language, the channel, the time (UTC), why it was recorded and the
nearest fact with its score. Nothing that identifies who asked is stored: no sender id, name or
chat id (the text itself is what the person typed, which is why rows are kept only
``REVIEW_RETENTION_DAYS``).

Only SQLAlchemy Core constructs are used, so the same code runs on the default SQLite file and on
the PostgreSQL database replicas share (tests/test_review_store.py runs it on both).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import PROJECT_ROOT, settings

#: Why a question was recorded.
SOURCES_DONT_SAY = "sources_dont_say"
FALLBACK = "fallback"
LOW_CONFIDENCE = "low_confidence"
REASONS = (SOURCES_DONT_SAY, FALLBACK, LOW_CONFIDENCE)

#: What an operator has done with a question: nothing yet, added it to a fact as an example
#: question (``attach``), or decided it is out of scope (``dismiss``).
OPEN, ATTACHED, DISMISSED = "open", "attached", "dismissed"

#: Column sizes; longer values are cut rather than refused, because recording must never fail on
#: what a person typed.
MAX_TEXT = 1000
_SHORT = 64

_metadata = MetaData()
_created: set[str] = set()
questions_table = Table(
    "unanswered_questions", _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Naive UTC: the same value and comparison on SQLite (no time zones) and PostgreSQL.
    Column("asked_at", DateTime(timezone=False), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("channel", String(_SHORT), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("fact_id", String(_SHORT)),
    Column("score", Float),
    Column("status", String(16), nullable=False, index=True),
    Column("resolved_fact", String(_SHORT)),
    Column("resolved_at", DateTime(timezone=False)),
)


class ReviewStoreError(RuntimeError):
    """The store cannot be used; the message says which store and what to do."""


@dataclass(frozen=True)
class Question:
    """One recorded question. ``id`` is set once it is stored."""

    text: str
    language: str
    channel: str
    reason: str
    fact_id: str | None = None
    score: float | None = None
    asked_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    id: int | None = None
    status: str = OPEN
    resolved_fact: str | None = None


class ReviewStore:
    """Record, list, resolve and purge questions. Cheap to keep for a process: connections pool."""

    def __init__(self, url: str | None = None, retention_days: int | None = None) -> None:
        self.url = url or settings().review_db_url
        self.retention_days = (settings().review_retention_days if retention_days is None
                               else retention_days)
        self.engine = _engine(self.url)

    @property
    def shown_url(self) -> str:
        """The store as an operator knows it: a file relative to the project, or the URL without
        its password."""
        return shown_url(self.url)

    def exists(self) -> bool:
        """Whether anything was ever recorded here (the table exists). Does not create the file of a
        SQLite store that is not there."""
        path = sqlite_path(self.url)
        if path is not None and not path.is_file():
            return False
        return inspect(self.engine).has_table(questions_table.name)

    def create(self) -> None:
        """Create the table if it is not there (checked once per URL and process)."""
        if self.url not in _created:
            try:
                _metadata.create_all(self.engine)
            except SQLAlchemyError:
                # Two replicas recording their first question at once: one of them created it.
                if not inspect(self.engine).has_table(questions_table.name):
                    raise
            _created.add(self.url)

    def record(self, question: Question) -> int:
        """Store ``question`` (creating the table on first use); returns its id."""
        self.create()
        with self.engine.begin() as conn:
            result = conn.execute(insert(questions_table).values(
                asked_at=_naive_utc(question.asked_at),
                text=question.text[:MAX_TEXT],
                language=question.language[:8],
                channel=(question.channel or "unknown")[:_SHORT],
                reason=question.reason,
                fact_id=(question.fact_id or None) and question.fact_id[:_SHORT],
                score=None if question.score is None else round(float(question.score), 4),
                status=OPEN,
            ))
            return int(result.inserted_primary_key[0])

    def purge(self, now: datetime | None = None) -> int:
        """Delete what is older than the retention; returns how many rows went."""
        if not self.exists():
            return 0
        cutoff = _naive_utc(now or datetime.now(timezone.utc)) - timedelta(days=self.retention_days)
        with self.engine.begin() as conn:
            return conn.execute(delete(questions_table)
                                .where(questions_table.c.asked_at < cutoff)).rowcount or 0

    def questions(self, statuses: Iterable[str] = (OPEN,), limit: int | None = None) -> list[Question]:
        """Questions with one of ``statuses``, oldest first; ``limit`` keeps the most recent."""
        query = select(questions_table).where(questions_table.c.status.in_(list(statuses)))
        query = query.order_by(questions_table.c.asked_at.desc(), questions_table.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_question(row) for row in reversed(rows)]

    def get(self, question_id: int) -> Question | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(questions_table)
                               .where(questions_table.c.id == question_id)).first()
        return _question(row) if row else None

    def counts(self) -> dict[str, int]:
        """How many questions have each status."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(questions_table.c.status, func.count())
                                .group_by(questions_table.c.status)).all()
        return {status: count for status, count in rows}

    def resolve(self, question_id: int, status: str, fact_id: str | None = None) -> Question:
        """Mark a question attached (to ``fact_id``) or dismissed."""
        if status not in (ATTACHED, DISMISSED):
            raise ValueError(f"unknown status {status!r}")
        with self.engine.begin() as conn:
            conn.execute(update(questions_table).where(questions_table.c.id == question_id).values(
                status=status, resolved_fact=fact_id,
                resolved_at=_naive_utc(datetime.now(timezone.utc))))
        question = self.get(question_id)
        if question is None:
            raise ReviewStoreError(f"No question with id {question_id} in {self.shown_url}.")
        return question


def open_for_review(url: str | None = None) -> ReviewStore:
    """The store ``make review`` reads, after purging what is past the retention. Raises
    ReviewStoreError with a message for the operator when it cannot be read or holds nothing."""
    store = ReviewStore(url)
    try:
        if not store.exists():
            raise ReviewStoreError(
                f"The review store {store.shown_url} holds no questions yet: nothing unanswered has "
                "been recorded. The action server records them as people ask (REVIEW_DB_URL must be "
                "the same for both).")
        store.purge()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise ReviewStoreError(f"Cannot read the review store {store.shown_url}: {reason}") from None
    return store


def _question(row) -> Question:  # noqa: ANN001 - a SQLAlchemy Row
    return Question(text=row.text, language=row.language, channel=row.channel, reason=row.reason,
                    fact_id=row.fact_id, score=row.score,
                    asked_at=row.asked_at.replace(tzinfo=timezone.utc), id=row.id, status=row.status,
                    resolved_fact=row.resolved_fact)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///"):].split("?", 1)[0])
    return None


def shown_url(url: str) -> str:
    path = sqlite_path(url)
    if path is None:
        return make_url(url).render_as_string(hide_password=True)
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    """One pooled engine per URL and process. A SQLite file's folder is created (as for the facts
    store); WAL lets ``make review`` read while the action server writes. PostgreSQL connections
    give up after 5 s, so an unreachable database cannot hold the recording thread for long."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001 - DBAPI callback
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    connect_args = {"connect_timeout": 5} if make_url(url).get_backend_name() == "postgresql" else {}
    return create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)
