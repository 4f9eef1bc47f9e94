"""The lock store that makes one conversation's messages wait for each other (endpoints.yml).

Rasa processes a message under a per-conversation *ticket lock*: each message takes a ticket and
waits until it is the first ticket in the conversation's queue. With one Rasa server the queue lives
in memory (Rasa's ``InMemoryLockStore``). Replicas must share it, and Rasa Open Source 3.6 offers
``RedisLockStore`` for that, but it changes a queue by reading it (GET), editing it in Python and
writing the whole queue back (SET). Two replicas that take a ticket for the same conversation at
the same moment both read the same queue, both write ticket *n*, and both believe they are being
served, so two messages of one user are processed at once and their turns interleave in the
tracker (``tests/test_lock_store.py`` shows it on a real Redis server). ``AtomicRedisLockStore``
keeps Rasa's data layout and algorithm and makes every read-edit-write of a queue one Redis
transaction (WATCH/MULTI/EXEC, retried when another replica changed the queue in between).

``LOCK_STORE_URL`` chooses: empty for one server, ``redis://[:password@]host:port/db`` for replicas.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

from bot.settings import settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's ``RedisLockStore`` whose ticket queue changes are atomic across processes."""

    @classmethod
    def from_url(cls, url: str) -> AtomicRedisLockStore:
        """``redis://[[user]:password@]host[:port][/db]`` (``rediss://`` for TLS)."""
        from redis.connection import parse_url

        parts = parse_url(url)
        store = cls(host=parts.get("host", "localhost"), port=int(parts.get("port", 6379)),
                    db=int(parts.get("db", 1)), username=parts.get("username"),
                    password=parts.get("password"), use_ssl=url.startswith("rediss://"))
        store.red.ping()  # fail at start, with the URL's host in the error, not at the first message
        return store

    def _change(self, conversation_id: str,
                edit: Callable[[TicketLock | None], tuple[TicketLock | None, T]]) -> T:
        """Applies ``edit`` to the stored queue in one transaction; a queue left empty is deleted."""
        key = self.key_prefix + conversation_id
        result: list[T] = []

        def transaction(pipe: Any) -> None:
            result.clear()
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            changed, value = edit(lock)
            result.append(value)
            pipe.multi()
            if changed is None or not changed.tickets:
                pipe.delete(key)
            else:
                pipe.set(key, changed.dumps())

        self.red.transaction(transaction, key)
        return result[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, take)
        except Exception as error:  # Rasa's contract: any failure here is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def remove(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, remove)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Rasa's version removes the ticket, then deletes the whole queue if it *looked* empty, which
        # can delete a ticket another replica took in between; here an empty queue is deleted in the
        # same transaction that emptied it.
        self.finish_serving(conversation_id, ticket_number)


class ConfiguredLockStore(LockStore):
    """``type: bot.lock_store.ConfiguredLockStore`` in endpoints.yml: the store ``LOCK_STORE_URL``
    names. Rasa builds a custom lock store by calling its class with ``endpoint_config``, and
    requires a class, so this one returns the chosen store from ``__new__``."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        url = settings().lock_store_url
        if not url:
            return InMemoryLockStore()
        logger.info("Lock store: Redis at %s (shared by every Rasa server using it)", _without_password(url))
        return AtomicRedisLockStore.from_url(url)


def _without_password(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
