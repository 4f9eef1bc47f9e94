"""``make review`` (python -m bot.review): list, export, attach and dismiss over a review store, in
id, ja and en; attach writes a facts file that still validates and feeds the training data; every
operator mistake is one message and exit code 2, never a traceback."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from bot.facts import load_catalogue
from bot.facts.training_data import trained_unanswered, training_data
from bot.review.cli import CSV_COLUMNS, main
from bot.review.store import ATTACHED, DISMISSED, OPEN, Question, ReviewStore
from tests.conftest import FACTS_DIR, ROOT

NOW = datetime.now(timezone.utc)
#: (text, language, channel, reason, nearest fact, score)
RECORDED = [
    ("Berapa dana yang diberikan SMRJ?", "id", "telegram", "sources_dont_say", "org_smrj", 0.8),
    ("berapa dana dari SMRJ", "id", "rest", "sources_dont_say", "org_smrj", 0.74),
    ("次の会談はいつですか？", "ja", "socketio", "sources_dont_say", "meeting_day", 0.61),
    ("次の会合はいつ？", "ja", "socketio", "sources_dont_say", "meeting_day", 0.58),
    ("Where did Teten meet the vice-minister?", "en", "rest", "low_confidence", "meeting_participants", 0.41),
    ("Who won the football match?", "en", "rest", "fallback", None, None),
]


@pytest.fixture()
def review(tmp_path, monkeypatch) -> ReviewStore:
    """A review store holding RECORDED (ids 1-6, oldest first), named by REVIEW_DB_URL."""
    url = f"sqlite:///{tmp_path / 'review.db'}"
    monkeypatch.setenv("REVIEW_DB_URL", url)
    store = ReviewStore(url)
    for i, (text, lang, channel, reason, fact, score) in enumerate(RECORDED):
        store.record(Question(text, lang, channel, reason, fact, score,
                              asked_at=NOW - timedelta(hours=len(RECORDED) - i)))
    return store


@pytest.fixture()
def facts_copy(tmp_path) -> Path:
    copy = tmp_path / "facts"
    shutil.copytree(FACTS_DIR, copy)
    return copy


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.glob("*.yml")))).hexdigest()


def test_list_groups_questions_with_counts_per_language_nearest_fact_and_ids(review, capsys):
    code, out, _ = _run(capsys)  # `make review` with no arguments lists
    assert code == 0
    assert out.startswith("6 open question(s) in 4 group(s) of similar wording")
    blocks = out.split("\n\n")
    headings = [block.splitlines()[0] for block in blocks[1:-1]]
    assert "2 question(s): id 2 · ja 0 · en 0  nearest fact: org_smrj (best score 0.80)" in headings[0] + headings[1]
    assert any("2 question(s): id 0 · ja 2 · en 0  nearest fact: meeting_day (best score 0.61)" in h
               for h in headings)
    assert any("1 question(s): id 0 · ja 0 · en 1  nearest fact: none" in h for h in headings)
    assert "  [3] ja  " in out and "socketio  sources_dont_say  次の会談はいつですか？" in out
    assert "[5] en" in out and "low_confidence" in out
    assert 'make review ARGS="attach ITEM_ID FACT_ID"' in out


def test_export_writes_every_question_as_csv_grouped_as_listed(review, capsys, tmp_path):
    review.resolve(6, DISMISSED)
    target = tmp_path / "out" / "review.csv"
    target.parent.mkdir()
    code, out, _ = _run(capsys, "export", "--csv", str(target))
    assert code == 0 and "Wrote 6 question(s)" in out
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["text"], r["language"], r["channel"], r["reason"], r["nearest_fact"]) for r in rows] == [
        (text, lang, channel, reason, fact or "") for text, lang, channel, reason, fact, _ in RECORDED]
    assert [r["status"] for r in rows] == [OPEN] * 5 + [DISMISSED]
    groups = [r["group"] for r in rows]
    assert groups[0] == groups[1] and groups[2] == groups[3] and groups[0] != groups[2] and groups[5] == ""
    assert rows[2]["asked_at_utc"].endswith("Z") and rows[0]["score"] == "0.8"


def test_attach_adds_questions_to_the_facts_files_so_the_next_build_trains_on_them(
        review, capsys, facts_copy):
    attached = [(1, "org_smrj", "id", "organisation.yml"), (3, "meeting_day", "ja", "event.yml"),
                (5, "meeting_participants", "en", "event.yml")]
    before = {file: (facts_copy / file).read_text(encoding="utf-8") for *_, file in attached}
    for item, fact, lang, _ in attached:
        code, out, _ = _run(capsys, "attach", str(item), fact, "--facts-dir", str(facts_copy))
        assert code == 0
        assert f"({lang}) as an example question of fact '{fact}'" in out and "make run" in out
        assert review.get(item).status == ATTACHED and review.get(item).resolved_fact == fact
    # Only the questions' lines were added; comments and everything else are unchanged.
    added = {file: {line for line in (facts_copy / file).read_text(encoding="utf-8").splitlines()
                    if line not in text.splitlines()} for file, text in before.items()}
    assert added == {"organisation.yml": {f"        - {RECORDED[0][0]}"},
                     "event.yml": {f"        - {RECORDED[2][0]}", f"        - {RECORDED[4][0]}"}}
    assert [len((facts_copy / file).read_text(encoding="utf-8").splitlines()) - len(text.splitlines())
            for file, text in before.items()] == [1, 2]
    catalogue = load_catalogue(facts_copy)  # still valid, as `make facts` checks
    nlu = {block.get("intent"): block["examples"] for block in training_data(catalogue)["nlu"]}
    for item, fact, lang, _ in attached:
        text = RECORDED[item - 1][0]
        assert text in next(f for f in catalogue.facts if f.id == fact).examples[lang]
        assert f"- {text}\n" in nlu[f"ask_fact/{fact}"]  # what `make run` trains on
    code, out, _ = _run(capsys, "list")
    assert out.startswith("3 open question(s)") and "[1]" not in out and "[3]" not in out


def _without_unanswered(folder: Path, file: str, fact_id: str) -> None:
    """The fact as it was before facts had ``unanswered`` lists (round trip: the rest unchanged)."""
    from bot.review.attach import _dump, _yaml
    round_trip = _yaml()
    document = round_trip.load((folder / file).read_text(encoding="utf-8"))
    del next(f for f in document["facts"] if f["id"] == fact_id)["unanswered"]
    (folder / file).write_text(_dump(round_trip, document), encoding="utf-8")


def test_attach_unanswered_teaches_what_a_fact_does_not_answer(review, capsys, facts_copy):
    """"How much did SMRJ give?" is about SMRJ, but its fact does not say: it becomes one of the
    fact's unanswered questions (trained as ask_fact/not_answered once some fact gives amounts),
    not an example of it. A fact
    without the list gets one, in every language, and nothing else in the file changes."""
    _without_unanswered(facts_copy, "organisation.yml", "org_smrj")
    before = {f: (facts_copy / f).read_text(encoding="utf-8") for f in ("organisation.yml", "event.yml")}
    for item, fact in ((1, "org_smrj"), (3, "meeting_day")):
        code, out, _ = _run(capsys, "attach", str(item), fact, "--unanswered", "--facts-dir",
                            str(facts_copy))
        assert code == 0 and f"as a question not answered by fact '{fact}'" in out
        assert review.get(item).resolved_fact == f"{fact}/unanswered"
    grown = [len((facts_copy / f).read_text(encoding="utf-8").splitlines()) - len(text.splitlines())
             for f, text in before.items()]
    assert grown == [5, 1]  # a new list (key + three languages + the question); one line
    catalogue = load_catalogue(facts_copy)
    smrj, day = (next(f for f in catalogue.facts if f.id == i) for i in ("org_smrj", "meeting_day"))
    assert smrj.unanswered.dict() == {"id": [RECORDED[0][0]], "ja": [], "en": []}
    assert RECORDED[2][0] in day.unanswered["ja"]
    assert RECORDED[0][0] not in smrj.examples["id"]
    nlu = {block.get("intent"): block["examples"] for block in training_data(catalogue)["nlu"]}
    # Never a fact's example. "When is the next meeting?" is trained as ask_fact/not_answered;
    # "how much did SMRJ give?" asks for an amount, which no fact gives, so the question types
    # refuse it anyway and it is not trained (trained_unanswered) until some fact gives amounts.
    for text in (RECORDED[0][0], RECORDED[2][0]):
        assert [i for i, b in nlu.items() if i != "ask_fact/not_answered" and f"- {text}\n" in b] == []
    assert f"- {RECORDED[2][0]}\n" in nlu["ask_fact/not_answered"]
    assert f"- {RECORDED[0][0]}\n" not in nlu["ask_fact/not_answered"]
    amounts = catalogue.copy(update={"facts": tuple(
        f.copy(update={"answers": [*f.answers, "amount"]}) if f.id == "credit_ratio_30" else f
        for f in catalogue.facts)})
    assert RECORDED[0][0] in trained_unanswered(amounts)
    # Now listed as unanswered, it cannot become an example of a fact, nor go to a group.
    unchanged = _digest(facts_copy)
    review.record(Question(RECORDED[0][0], "id", "rest", "sources_dont_say"))
    code, _, err = _run(capsys, "attach", "7", "org_smrj", "--facts-dir", str(facts_copy))
    assert code == 2 and "already a question not answered by it (id)" in err
    code, _, err = _run(capsys, "attach", "4", catalogue.groups[0].id, "--unanswered",
                        "--facts-dir", str(facts_copy))
    assert code == 2 and "is a group" in err
    assert _digest(facts_copy) == unchanged


def test_attach_refuses_unknown_facts_duplicates_and_questions_already_attached(review, capsys,
                                                                                 facts_copy):
    unchanged = _digest(facts_copy)
    code, _, err = _run(capsys, "attach", "3", "meeting_dya", "--facts-dir", str(facts_copy))
    assert code == 2 and "'meeting_dya' is not a fact or group id" in err and "meeting_day" in err
    # An example question of another fact would teach the classifier both: refused.
    existing = yaml.safe_load((facts_copy / "organisation.yml").read_text(encoding="utf-8"))["facts"][0]
    review.record(Question(existing["examples"]["en"][0].upper(), "en", "rest", "fallback"))
    code, _, err = _run(capsys, "attach", "7", "meeting_day", "--facts-dir", str(facts_copy))
    assert code == 2 and f"already an example question of fact '{existing['id']}' (en)" in err
    assert _digest(facts_copy) == unchanged and review.get(7).status == OPEN
    review.resolve(3, ATTACHED, "meeting_day")
    code, _, err = _run(capsys, "attach", "3", "org_smrj", "--facts-dir", str(facts_copy))
    assert code == 2 and "already attached to 'meeting_day'" in err
    # The recorded language can be overridden (it is the conversation's).
    code, out, _ = _run(capsys, "attach", "6", "meeting_day", "--lang", "id", "--facts-dir", str(facts_copy))
    assert code == 0 and "(id) as an example question" in out


def test_dismiss_keeps_a_question_out_of_later_listings(review, capsys):
    code, out, _ = _run(capsys, "dismiss", "6")
    assert code == 0 and "dismissed as out of scope" in out
    assert review.get(6).status == DISMISSED
    code, out, _ = _run(capsys, "list")
    assert "Who won the football match?" not in out and out.startswith("5 open question(s)")
    code, out, _ = _run(capsys, "list", "--all")
    assert "Who won the football match?  (dismissed)" in out
    assert _run(capsys, "dismiss", "6")[1].startswith("Question [6] was already dismissed")


def test_operator_errors_are_one_message_and_exit_code_2(review, capsys, tmp_path, monkeypatch):
    code, _, err = _run(capsys, "dismiss", "42")
    assert code == 2 and err == "error: No question with id 42 in " + review.shown_url + \
        "; `make review` lists the ids in [brackets].\n"
    code, _, err = _run(capsys, "export", "--csv", str(tmp_path / "no" / "such" / "folder.csv"))
    assert code == 2 and err.startswith("error: Cannot write ") and "No such file or directory" in err
    with pytest.raises(SystemExit) as bad:
        main(["list", "--similarity", "2"])
    assert bad.value.code == 2 and "must be a number from 0 to 1" in capsys.readouterr().err
    # No store yet (nothing was ever recorded), and a store with nothing left in it.
    monkeypatch.setenv("REVIEW_DB_URL", f"sqlite:///{tmp_path / 'none.db'}")
    for args in (["list"], ["export", "--csv", "-"], ["attach", "1", "org_smrj"], ["dismiss", "1"]):
        code, _, err = _run(capsys, *args)
        assert code == 2 and "holds no questions yet" in err, args
    assert not (tmp_path / "none.db").exists()
    monkeypatch.setenv("REVIEW_RETENTION_DAYS", "0")  # everything is past retention: purged
    monkeypatch.setenv("REVIEW_DB_URL", review.url)
    code, _, err = _run(capsys, "list")
    assert code == 2 and "is empty: no unanswered question was recorded in the last 0 days" in err


def test_the_module_entry_point_speaks_to_the_operator_without_a_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "REVIEW_DB_URL": f"sqlite:///{tmp_path / 'review.db'}"}
    ReviewStore(env["REVIEW_DB_URL"]).record(Question("Kapan rapat berikutnya?", "id", "rest", "fallback"))
    run = subprocess.run([sys.executable, "-m", "bot.review", "attach", "1", "no_such_fact"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("error: 'no_such_fact' is not a fact or group id in data/facts.")
