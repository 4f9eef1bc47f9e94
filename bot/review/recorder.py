"""Recording questions without holding up the reply.

The action server hands each unanswered question to :data:`recorder`, which writes it from one
background thread: a slow or unreachable database (PostgreSQL in a scale-out) delays nothing the
user sees, and a failure is logged and counted (``briefing_review_record_failures_total`` on
/metrics), never raised into an action. At most :data:`MAX_PENDING` questions wait; beyond that new
ones are dropped (and counted) rather than let memory grow while the database is away.

Retention is applied here too: after a write, what is older than ``REVIEW_RETENTION_DAYS`` is
deleted, at most once per :data:`PURGE_INTERVAL_SECONDS` per store and process.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from bot.review.store import Question, ReviewStore
from bot.settings import settings

logger = logging.getLogger(__name__)

#: Questions waiting to be written, at most.
MAX_PENDING = 1000
#: Purging on write runs at most this often (a DELETE over an index: cheap, but not per message).
PURGE_INTERVAL_SECONDS = 3600.0


class Recorder:
    """A queue and the one daemon thread that empties it into the review store."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Question] = queue.Queue(maxsize=MAX_PENDING)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._last_purge: dict[str, float] = {}
        #: Questions that could not be stored (database errors) or were dropped (queue full).
        self.failures = 0

    def submit(self, question: Question) -> None:
        """Queue ``question`` for writing; returns at once. With ``REVIEW_RETENTION_DAYS=0``
        nothing is recorded."""
        if settings().review_retention_days == 0:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait(question)
        except queue.Full:
            self.failures += 1
            logger.warning("review store: %d questions are waiting to be written; this one is "
                           "dropped (is REVIEW_DB_URL reachable?)", MAX_PENDING)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued question is written (or failed); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def _ensure_thread(self) -> None:
        # Started on first use, in the process that records (Sanic may fork workers after import).
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="review-recorder",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            question = self._queue.get()
            try:
                self._write(question)
            except Exception as error:  # any failure: log it, keep the thread alive
                self.failures += 1
                logger.error("review store: could not record an unanswered question: %s: %s",
                             type(error).__name__, str(error).splitlines()[0] if str(error) else "")
            finally:
                self._queue.task_done()

    def _write(self, question: Question) -> None:
        store = ReviewStore()  # the current settings' store (engines are pooled per URL)
        store.record(question)
        now = time.monotonic()
        if now - self._last_purge.get(store.url, -PURGE_INTERVAL_SECONDS) >= PURGE_INTERVAL_SECONDS:
            self._last_purge[store.url] = now
            removed = store.purge()
            if removed:
                logger.info("review store: %d questions older than %d days deleted", removed,
                            store.retention_days)


#: The process's recorder.
recorder = Recorder()
