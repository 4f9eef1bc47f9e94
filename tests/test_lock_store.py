"""What replicas share in Redis: the lock store (Rasa 3.6's RedisLockStore races across processes;
ours does not), the per-sender rate limit and Telegram's seen update ids.

Runs a real Redis server (Debian's redis-server, installed by scripts/install_services.sh; the test
is skipped without it). Several threads, each with its own connection as separate Rasa servers
would have, take tickets for one conversation at the same moment.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from bot.channels.limits import RedisSenderRateLimiter, SenderRateLimiter, Verdict, sender_rate_limiter
from bot.channels.telegram_updates import RedisUpdateStore, SQLiteUpdateStore, update_store
from bot.lock_store import AtomicRedisLockStore, ConfiguredLockStore
from bot.runtime.cluster import ClusterError, start_redis
from bot.runtime.processes import ProcessRegistry

pytestmark = pytest.mark.cluster
THREADS, ROUNDS = 8, 40


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    registry = ProcessRegistry()
    try:
        url, _ = start_redis(registry, tmp_path_factory.mktemp("redis"))
    except ClusterError as error:
        pytest.skip(str(error))
    yield url
    registry.stop_all()


def _port_db(url: str) -> tuple[int, int]:
    host_port, db = url.removeprefix("redis://").split("/")
    return int(host_port.split(":")[1]), int(db)


def _tickets_taken_at_once(make_store) -> list[list[int]]:
    """For each round, the ticket numbers THREADS stores took for one fresh conversation at once."""
    stores = [make_store() for _ in range(THREADS)]
    rounds: list[list[int]] = []
    for r in range(ROUNDS):
        start, taken, lock = threading.Barrier(THREADS), [], threading.Lock()

        def take(store, conversation: str, start: threading.Barrier, taken: list, lock: threading.Lock) -> None:
            start.wait()
            number = store.issue_ticket(conversation, 60)
            with lock:
                taken.append(number)

        workers = [threading.Thread(target=take, args=(store, f"conversation-{r}", start, taken, lock))
                   for store in stores]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
        rounds.append(sorted(taken))
    return rounds


def test_rasas_redis_lock_store_hands_out_one_ticket_twice(redis_url):
    port, db = _port_db(redis_url)
    rounds = _tickets_taken_at_once(lambda: RedisLockStore(host="127.0.0.1", port=port, db=db,
                                                           key_prefix="stock"))
    duplicated = [numbers for numbers in rounds if len(set(numbers)) < len(numbers)]
    # Two replicas holding the same ticket are both "now serving": their messages run at once.
    print(f"Rasa's RedisLockStore: {len(duplicated)}/{ROUNDS} rounds gave one ticket number to "
          f"several servers, e.g. {duplicated[:2]}")
    assert duplicated, "the race did not show in this run (it depends on timing)"


def test_atomic_lock_store_gives_every_server_its_own_ticket_in_order(redis_url):
    rounds = _tickets_taken_at_once(lambda: AtomicRedisLockStore.from_url(redis_url))
    assert all(numbers == list(range(THREADS)) for numbers in rounds), Counter(map(tuple, rounds))


async def test_atomic_lock_store_serves_tickets_one_at_a_time_and_cleans_up(redis_url):
    store, other = AtomicRedisLockStore.from_url(redis_url), AtomicRedisLockStore.from_url(redis_url)
    first = store.issue_ticket("c", 60)
    second = other.issue_ticket("c", 60)
    assert (first, second) == (0, 1)
    assert not store.get_lock("c").is_locked(first) and other.get_lock("c").is_locked(second)
    store.cleanup("c", first)  # the first message is done: the second is served, the queue kept
    assert not other.get_lock("c").is_locked(second)
    other.cleanup("c", second)  # nobody waits: the queue is gone
    assert store.get_lock("c") is None and store.red.get(store.key_prefix + "c") is None
    async with store.lock("d", lock_lifetime=60, wait_time_in_seconds=0.01) as held:
        assert held.conversation_id == "d"
    assert store.get_lock("d") is None


def test_lock_store_url_chooses_the_store(redis_url, monkeypatch):
    monkeypatch.setenv("LOCK_STORE_URL", "")
    assert isinstance(ConfiguredLockStore(endpoint_config=None), InMemoryLockStore)
    monkeypatch.setenv("LOCK_STORE_URL", redis_url)
    assert isinstance(ConfiguredLockStore(endpoint_config=None), AtomicRedisLockStore)
    monkeypatch.setenv("LOCK_STORE_URL", "redis://127.0.0.1:1/1")  # nothing listens on port 1
    with pytest.raises(Exception, match="127.0.0.1:1|Connection refused|Error"):
        ConfiguredLockStore(endpoint_config=None)


def test_the_rate_limit_is_counted_across_replicas_sharing_redis(redis_url):
    replicas = [RedisSenderRateLimiter(redis_url, per_minute=3, prefix=f"rl-{time.time_ns()}:")
                for _ in range(2)]
    replicas[1].prefix = replicas[0].prefix  # two servers, one Redis, one count
    verdicts = [replicas[i % 2].check("delegate", now=1000.0 + i) for i in range(6)]
    assert verdicts == [Verdict.ADMIT] * 3 + [Verdict.NOTIFY, Verdict.DROP, Verdict.DROP]
    assert replicas[1].retry_after("delegate", now=1005.0) == 55
    assert replicas[0].check("delegate", now=1061.0) is Verdict.ADMIT  # the window moved on
    assert replicas[0].check("someone else", now=1061.0) is Verdict.ADMIT


def test_redeliveries_are_claimed_once_across_replicas_sharing_redis(redis_url):
    stores = [RedisUpdateStore(redis_url, prefix=f"upd-{time.time_ns()}:") for _ in range(4)]
    for store in stores[1:]:
        store.prefix = stores[0].prefix
    claims: list[bool] = []
    start = threading.Barrier(len(stores))

    def claim(store: RedisUpdateStore) -> None:
        start.wait()
        claims.append(store.claim("bot", 4242))

    workers = [threading.Thread(target=claim, args=(store,)) for store in stores]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
    assert sorted(claims) == [False, False, False, True]
    assert stores[0].claim("other-bot", 4242) is True


def test_lock_store_url_also_moves_rate_limits_and_update_ids_to_redis(redis_url, monkeypatch, tmp_path):
    monkeypatch.setenv("TELEGRAM_UPDATES_DB", str(tmp_path / "updates.db"))
    monkeypatch.setenv("LOCK_STORE_URL", "")
    assert isinstance(sender_rate_limiter(), SenderRateLimiter)
    assert isinstance(update_store(), SQLiteUpdateStore)
    monkeypatch.setenv("LOCK_STORE_URL", redis_url)
    assert isinstance(sender_rate_limiter(), RedisSenderRateLimiter)
    assert isinstance(update_store(), RedisUpdateStore)
