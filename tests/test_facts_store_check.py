"""A missing, empty or corrupt facts store stops the action server at start, with a message that
names the store and the command that rebuilds it (FactsStore.open_checked, run on import of the
``actions`` package), instead of a server that answers every question with "I don't know"."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.facts import FactsStore
from bot.facts.store import StoreUnreadableError
from bot.runtime.processes import ROOT, action_server_command, free_port, project_env


@pytest.fixture()
def built(store, tmp_path) -> Path:
    """A copy of a freshly built SQLite store (conftest's ``store``), at a path no engine of this
    process has opened yet, as at the start of the action server."""
    store.engine.dispose()  # the last connection closing folds the write-ahead log into the file
    copy = tmp_path / "copy" / "facts.db"
    copy.parent.mkdir()
    shutil.copyfile(Path(store.url[len("sqlite:///"):]), copy)
    return copy


def _damage(path: Path, how: str) -> None:
    if how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(os.urandom(8192))
    elif how == "truncated":
        os.truncate(path, 8192)
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TABLE facts" if how == "table missing" else "DELETE FROM facts")


def test_a_built_store_passes(built):
    store = FactsStore.open_checked(f"sqlite:///{built}")
    assert store.all()


@pytest.mark.parametrize("how, reason", [
    ("empty", "empty file"), ("garbage", "file is not a database"),
    ("truncated", "malformed"), ("table missing", "no such table: facts"), ("no facts", "no facts"),
])
def test_a_damaged_store_is_refused_with_the_file_and_the_command(built, how, reason):
    _damage(built, how)
    with pytest.raises(StoreUnreadableError) as error:
        FactsStore.open_checked(f"sqlite:///{built}")
    message = str(error.value)
    assert message.startswith(f"facts store {built} is missing or unreadable (")
    assert reason in message and message.endswith("rebuild it with `make facts` (python -m bot.facts build)")


def test_a_missing_store_is_refused_and_not_created(tmp_path):
    db = tmp_path / "var" / "facts.db"
    with pytest.raises(StoreUnreadableError, match="missing or unreadable \\(no such file\\)"):
        FactsStore.open_checked(f"sqlite:///{db}")
    assert not db.exists()


def test_the_default_store_is_named_relative_to_the_project(monkeypatch, tmp_path):
    monkeypatch.setenv("FACTS_DB_URL", f"sqlite:///{ROOT / 'var' / 'no-such-facts.db'}")
    with pytest.raises(StoreUnreadableError, match="^facts store var/no-such-facts.db is missing"):
        FactsStore.open_checked()


@pytest.mark.parametrize("fixture", ["missing", "corrupt"])
def test_action_server_exits_non_zero_on_a_missing_or_corrupt_facts_store(tmp_path, fixture):
    db = tmp_path / "facts.db"
    if fixture == "corrupt":
        db.write_bytes(os.urandom(8192))
    env = project_env({"FACTS_DB_URL": f"sqlite:///{db}", "SANIC_HOST": "127.0.0.1"})
    run = subprocess.run(action_server_command(free_port()), cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert (f"facts store {db} is missing or unreadable" in run.stderr
            and "rebuild it with `make facts` (python -m bot.facts build)" in run.stderr), run.stderr[-2000:]
    assert not (fixture == "missing" and db.exists()), "checking must not create an empty store"
