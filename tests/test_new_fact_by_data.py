"""Knowledge grows by data alone: a fact added to the facts files is answered in three languages
after `build` and training, with no edit to domain.yml, data/nlu/ or Python.

In a temporary copy of the project, the fixture fact (tests/fixtures/new_fact/, clearly marked as
test data and never shipped) is added with its own source text; the facts are built (which
regenerates the training data), a model is trained, and the bot is asked over REST with
questions that are not among the fact's examples. Slow (it trains a model): marked `trains`; it does
not need the project's own model, so `make test` runs it beside the main training.

The same training proves the operators' review flow: before the build, three unanswered questions
(one per language) are in the project's review store as the action server records them; `make
review` (``python -m bot.review``) lists them and attaches each to the fixture fact, writing it into
the fact's file; after the build and training the bot answers each of them. (That the action server
records what it could not answer, from a real REST turn, is tests/test_conversations.py's part.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from bot.review import SOURCES_DONT_SAY, Question, ReviewStore
from tests.conftest import ROOT
from tests.servers import running_bot

pytestmark = pytest.mark.trains
FIXTURE = Path(__file__).parent / "fixtures" / "new_fact"
#: Unanswered questions an operator attaches to the fixture fact with `make review`.
REVIEWED = {
    "id": "festival anyaman bambu buat pelaku usaha kecil itu apa sih",
    "ja": "中小企業向けの竹細工のフェアって何？",
    "en": "what's that bamboo weaving festival for small firms",
}
QUESTIONS = {
    "id": "Tolong jelaskan pameran kerajinan bambu untuk UMKM itu",
    "ja": "竹の工芸展について詳しく知りたいです",
    "en": "Could you explain the bamboo craft fair for small businesses?",
}


def _copy_project(target: Path) -> Path:
    for name in ("config.yml", "domain.yml", "endpoints.yml", "credentials.yml"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "data", target / "data",
                    ignore=shutil.ignore_patterns("generated"))
    shutil.copy(FIXTURE / "test_fixture.yml", target / "data" / "facts" / "test_fixture.yml")
    shutil.copy(FIXTURE / "test_fixture_press_release.txt", target / "data" / "source")
    return target


def test_a_fact_added_as_data_is_answered_in_three_languages(tmp_path, monkeypatch):
    (tmp_path / "project").mkdir()
    project = _copy_project(tmp_path / "project")
    env = {**os.environ, "FACTS_DIR": str(project / "data" / "facts"),
           "SOURCES_DIR": str(project / "data" / "source"),
           "GENERATED_DATA_DIR": str(project / "data" / "generated"),
           "FACTS_DB_URL": f"sqlite:///{tmp_path / 'build.db'}"}
    python = sys.executable
    _attach_reviewed_questions(python, project, env, tmp_path)
    subprocess.run([python, "-m", "bot.facts", "build"], cwd=project, env=env, check=True)
    generated = yaml.safe_load((project / "data" / "generated" / "facts.yml").read_text("utf-8"))
    [block] = [b for b in generated["nlu"] if b.get("intent") == "ask_fact/test_fixture_bamboo_fair"]
    assert all(f"- {question}" in block["examples"] for question in REVIEWED.values())
    for lang, question in QUESTIONS.items():
        fixture = yaml.safe_load((FIXTURE / "test_fixture.yml").read_text("utf-8"))
        assert question not in fixture["facts"][0]["examples"][lang]
    rasa = str(Path(python).with_name("rasa"))
    # One TensorFlow thread: make test runs this beside the main training on two cores, where the
    # thread pool's extra threads cost CPU time (130 instead of 160 CPU-seconds for a training).
    # Bounded at 30 minutes: with the facts' unanswered questions (2026-12-07) the whole test took
    # 806 s beside the main lane on a 2-core Xeon, too close to the 900 s it had.
    trained = subprocess.run(
        [rasa, "train", "--fixed-model-name", "fixture", "--out", str(project / "models")],
        cwd=project, env={**env, "TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}, capture_output=True, text=True, timeout=1800)
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]

    monkeypatch.setenv("SOURCES_DIR", env["SOURCES_DIR"])
    with running_bot(tmp_path / "servers", facts_dir=project / "data" / "facts",
                     model=project / "models" / "fixture.tar.gz") as bot:
        asked = [*QUESTIONS.items(), *REVIEWED.items()]
        for lang, question in asked:
            reply = requests.post(bot.rest_url, json={"sender": f"fixture-{lang}-{time.time_ns()}",
                                                      "message": question}, timeout=60)
            text = "\n".join(r.get("text", "") for r in reply.json())
            statement = bot.store.get("test_fixture_bamboo_fair").statement[lang]
            assert statement in text, (lang, text)
            assert "TEST FIXTURE, Test fixture press release" in text  # its source, named


def _attach_reviewed_questions(python: str, project: Path, env: dict[str, str],
                               tmp_path: Path) -> None:
    """The operator's side: recorded questions, listed by `make review`, attached to the fact."""
    review_url = f"sqlite:///{tmp_path / 'review.db'}"
    store = ReviewStore(review_url)
    store.create()
    ids = {lang: store.record(Question(text=text, language=lang, channel="rest",
                                       reason=SOURCES_DONT_SAY))
           for lang, text in REVIEWED.items()}
    env = {**env, "REVIEW_DB_URL": review_url}

    def review(*args: str) -> str:
        done = subprocess.run([python, "-m", "bot.review", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    listing = review("list")
    assert all(text in listing for text in REVIEWED.values()), listing
    for item in ids.values():
        review("attach", str(item), "test_fixture_bamboo_fair")
    fixture = yaml.safe_load((project / "data" / "facts" / "test_fixture.yml").read_text("utf-8"))
    examples = fixture["facts"][0]["examples"]
    assert all(text in examples[lang] for lang, text in REVIEWED.items())
    assert store.questions() == []  # attached: no longer open
