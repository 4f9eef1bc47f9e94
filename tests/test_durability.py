"""Durability (issue "Reliability and security"): what survives a crash and an operator's rebuild.

- The SQL tracker store keeps conversations and their language across a SIGKILL of the Rasa
  server: after a restart (same command, port, environment and tracker database) the next,
  language-ambiguous message is answered in the conversation's language, and the tracker holds
  every earlier turn in order.
- Rebuilding the facts store (``python -m bot.facts build``) while the bot answers a bounded load:
  every reply is the old or the new statement, never an error or the "facts unavailable" apology;
  the new statements are live without a restart; a bad facts file is refused, naming the file, the
  fact and the field, and leaves the store as it was.

Both start the real servers (bot.runtime.processes), each with its own stores in a tmp folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from bot.facts import FactsStore
from bot.runtime.processes import (
    ROOT,
    BotServers,
    Managed,
    ProcessRegistry,
    project_env,
    rasa_server_command,
    signal_group,
    start_bot,
    wait_until,
)
from tests.conftest import FACTS_DIR, domain_response

pytestmark = pytest.mark.servers
KANA = re.compile(r"[\u3040-\u30ff]")


@pytest.fixture()
def bot(tmp_path) -> Iterator[tuple[ProcessRegistry, BotServers]]:
    registry = ProcessRegistry()
    try:
        servers = start_bot(registry, tmp_path, project_env({"TELEGRAM_TOKEN": ""}))
        servers.wait_healthy(180)
        yield registry, servers
    finally:
        registry.stop_all()


def _say(servers: BotServers, sender: str, text: str,
         session: requests.Session | None = None) -> list[dict]:
    response = (session or requests).post(f"{servers.base_url}/webhooks/rest/webhook",
                                          json={"sender": sender, "message": text}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _texts(replies: list[dict]) -> list[str]:
    """The paragraphs of the replies: an answer card (sent with its quote button, so Rasa keeps it
    one message) is its statement, then its source line."""
    return [part for r in replies for part in r.get("text", "").split("\n\n")]


def restart_rasa(registry: ProcessRegistry, servers: BotServers) -> Managed:
    """Start the Rasa server again with the command, port and environment it had (so the same
    tracker database); its log goes to a new file. Returns at once."""
    port = servers.base_url.rsplit(":", 1)[1]
    folder = servers.folder or ROOT / "logs"
    servers.rasa = registry.start("bot Rasa server", rasa_server_command(port), cwd=ROOT,
                                  env=servers.env, log=folder / f"rasa-{time.monotonic_ns()}.log")
    return servers.rasa


# --- conversations survive a crash of the Rasa server ------------------------------------------

def _statements(store: FactsStore, lang: str) -> set[str]:
    return {fact.statement[lang] for fact in store.all()}


def _full_tracker(tracker_url: str, sender: str):
    from rasa.shared.core.domain import Domain

    from bot.tracker_store import TunedSQLTrackerStore

    # As Rasa builds it from endpoints.yml: the URL arrives as ``host``.
    store = TunedSQLTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")), host=tracker_url)
    try:
        return asyncio.run(store.retrieve_full_tracker(sender))
    finally:
        store.engine.dispose()


def test_conversations_and_their_language_survive_a_sigkill_of_the_rasa_server(bot):
    from rasa.shared.core.events import BotUttered, UserUttered

    registry, servers = bot
    store = FactsStore(servers.facts_db_url)
    conversations = {
        "ja": (f"ja-{time.monotonic_ns()}", ["SMRJとは？", "協力はいつから？"]),
        "id": (f"id-{time.monotonic_ns()}", ["Apa itu SMRJ?", "Sejak kapan kerja sama ini berjalan?"]),
    }
    for lang, (sender, messages) in conversations.items():
        for message in messages:
            first = _texts(_say(servers, sender, message))[0]
            assert first in _statements(store, lang), (lang, message, first)

    killed = servers.rasa.process
    signal_group(killed.pid, signal.SIGKILL)
    assert killed.wait(timeout=10) == -signal.SIGKILL
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{servers.base_url}/", timeout=2)

    restart_rasa(registry, servers)
    wait_until(lambda: requests.get(f"{servers.base_url}/", timeout=2).ok, [servers.rasa], 120,
               "the restarted Rasa server up")

    # "METI" carries no language of its own: a new conversation gets English, ours theirs.
    ambiguous = "METI"
    fresh = _texts(_say(servers, f"fresh-{time.monotonic_ns()}", ambiguous))[0]
    assert fresh in _statements(store, "en") and not KANA.search(fresh)
    for lang, (sender, messages) in conversations.items():
        replies = _texts(_say(servers, sender, ambiguous))
        assert replies[0] in _statements(store, lang), (lang, replies)
        assert domain_response("utter_facts_unavailable", lang) not in replies
        if lang == "ja":
            assert KANA.search(replies[0])
        messages.append(ambiguous)

    # The tracker store holds every turn, before and after the crash, in order, each answered.
    for lang, (sender, messages) in conversations.items():
        tracker = _full_tracker(servers.env["TRACKER_STORE_URL"], sender)
        assert tracker is not None, sender
        assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == messages
        replies_per_turn: list[int] = []
        for event in tracker.events:
            if isinstance(event, UserUttered):
                replies_per_turn.append(0)
            elif isinstance(event, BotUttered) and replies_per_turn:
                replies_per_turn[-1] += 1
        assert all(replies_per_turn), (sender, replies_per_turn)
        assert tracker.get_slot("language") == lang
    # Also as another process reads the file (committed, not only in the server's memory).
    with contextlib.closing(sqlite3.connect(servers.env["TRACKER_STORE_URL"].removeprefix("sqlite:///"))) as conn:
        for sender, messages in conversations.values():
            count = conn.execute("SELECT count(*) FROM events WHERE sender_id=? AND type_name='user'",
                                 (sender,)).fetchone()[0]
            assert count == len(messages)


# --- facts store rebuilt under load -------------------------------------------------------------

FACT = "cooperation_since_1978"
FACT_FILE = "program.yml"
QUESTIONS = {"ja": "協力はいつから？", "id": "Sejak kapan kerja sama ini berjalan?",
             "en": "Since when have they cooperated?"}
EDITED = {"ja": "（改訂版）", "id": " (revisi)", "en": " (revised)"}
LOAD_SECONDS = 12.0  # load lasts at least this long ...
BUILDS = 4           # ... and at least this many rebuilds (a count, not a rate: CI machines differ)
MAX_BUILDS = 40      # bound on the loop however fast the machine
THREADS = 4


def _edit_fact(folder: Path, change) -> None:
    path = folder / FACT_FILE
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(next(f for f in document["facts"] if f["id"] == FACT))
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _build(folder: Path, db_url: str, generated: Path) -> subprocess.CompletedProcess:
    """The operator's command, against the running servers' store (training data to a tmp folder)."""
    return subprocess.run(
        [sys.executable, "-m", "bot.facts", "--facts-dir", str(folder), "--db", db_url, "build",
         "--generated-dir", str(generated)],
        cwd=ROOT, env={**os.environ, "FACTS_DB_URL": db_url}, capture_output=True, text=True,
        timeout=60)


def _dump(db_url: str) -> list[tuple]:
    """Every row of the store's tables (read-only, as another process would)."""
    path = db_url[len("sqlite:///"):]
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'facts_fts_%' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return [(table, *row) for table in tables
                for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]


def test_facts_rebuilds_under_load_serve_old_or_new_and_a_bad_file_changes_nothing(bot, tmp_path):
    _registry, servers = bot
    old_dir, new_dir = tmp_path / "facts-old", tmp_path / "facts-new"
    shutil.copytree(FACTS_DIR, old_dir)
    shutil.copytree(FACTS_DIR, new_dir)
    _edit_fact(new_dir, lambda f: f["statement"].update(
        {lang: text + EDITED[lang] for lang, text in f["statement"].items()}))
    store = FactsStore(servers.facts_db_url)
    statement = store.get(FACT).statement
    old = {lang: statement[lang] for lang in QUESTIONS}
    new = {lang: text + EDITED[lang] for lang, text in old.items()}
    apology = {lang: domain_response("utter_facts_unavailable", lang) for lang in QUESTIONS}

    seen: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def ask(worker: int) -> None:
        lang = list(QUESTIONS)[worker % len(QUESTIONS)]
        with requests.Session() as session:
            turn = 0
            while not stop.is_set():
                sender = f"load-{worker}-{turn // 5}"  # a new conversation every 5 turns
                turn += 1
                try:
                    response = session.post(f"{servers.base_url}/webhooks/rest/webhook",
                                            json={"sender": sender, "message": QUESTIONS[lang]},
                                            timeout=30)
                    texts = _texts(response.json()) if response.status_code == 200 else []
                except (requests.RequestException, ValueError) as error:
                    with lock:
                        failures.append(f"{lang}: {type(error).__name__}: {error}")
                    continue
                first = texts[0] if texts else ""
                kind = "old" if first == old[lang] else "new" if first == new[lang] else None
                with lock:
                    if response.status_code != 200 or kind is None or apology[lang] in texts:
                        failures.append(f"{lang}: {response.status_code} {texts[:2]!r}")
                    else:
                        seen[(lang, kind)] += 1

    workers = [threading.Thread(target=ask, args=(i,), daemon=True) for i in range(THREADS)]
    builds: list[str] = []
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + LOAD_SECONDS
        while len(builds) < MAX_BUILDS and (len(builds) < BUILDS or time.monotonic() < deadline):
            folder = new_dir if len(builds) % 2 == 0 else old_dir
            result = _build(folder, servers.facts_db_url, tmp_path / "generated")
            assert result.returncode == 0, result.stderr
            builds.append(folder.name)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=35)
    assert not failures, f"{len(failures)} bad replies, e.g. {failures[:5]}"
    assert len(builds) >= BUILDS, builds
    # The servers answered throughout, and readers saw both versions without any restart.
    assert sum(seen.values()) >= 40, seen
    assert {kind for _lang, kind in seen} == {"old", "new"}, seen
    assert servers.actions.process.poll() is None and servers.rasa.process.poll() is None

    # After the last build, the next message gets that build's statement in every language.
    if builds[-1] == old_dir.name:
        assert _build(new_dir, servers.facts_db_url, tmp_path / "generated").returncode == 0
    for lang, question in QUESTIONS.items():
        assert _texts(_say(servers, f"after-{lang}-{time.monotonic_ns()}", question))[0] == new[lang]

    # A bad facts file is refused before the store is touched: same rows, same answers.
    before = _dump(servers.facts_db_url)
    _edit_fact(new_dir, lambda f: f["statement"].pop("ja"))
    result = _build(new_dir, servers.facts_db_url, tmp_path / "generated")
    assert result.returncode != 0
    assert "store was not changed" in result.stderr
    problem = next((line for line in result.stderr.splitlines() if FACT in line), "")
    assert FACT_FILE in problem and "ja" in problem, result.stderr
    assert _dump(servers.facts_db_url) == before
    for lang, question in QUESTIONS.items():
        assert _texts(_say(servers, f"bad-{lang}-{time.monotonic_ns()}", question))[0] == new[lang]
    log = (servers.folder / "actions.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-3000:]
