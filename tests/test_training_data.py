"""Training data derived from the facts files, and the clash report operators get from validate."""

from __future__ import annotations

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.facts.clashes import find_clashes
from bot.facts.schema import ENTITY_INTENT, FACT_INTENT, NOT_ANSWERED
from bot.facts.training_data import trained_unanswered, training_data, write_training_data


def test_every_fact_and_group_becomes_a_retrieval_intent_with_its_examples(catalogue):
    data = training_data(catalogue)
    intents = {block["intent"]: block["examples"] for block in data["nlu"] if "intent" in block}
    for item in [*catalogue.facts, *catalogue.groups]:
        block = intents[f"{FACT_INTENT}/{item.id}"]
        for _, examples in item.examples.items():
            for example in examples:
                assert f"- {' '.join(example.split())}\n" in block
        assert data["responses"][f"utter_{FACT_INTENT}/{item.id}"] == [{"text": item.id}]


def test_unanswered_questions_train_the_not_answered_label(catalogue):
    """The facts' ``unanswered`` questions become ``ask_fact/not_answered``, never their fact's
    examples; its response exists even when no fact lists any, so data/nlu can use the label."""
    facts = [f.copy(update={"unanswered": None}) for f in catalogue.facts]
    day = facts[0]
    asked = {"id": ["apakah pertemuannya berlangsung lama?"], "ja": ["会談は長かった？"],
             "en": ["was the meeting a long one?"]}
    facts[0] = day.copy(update={"unanswered": day.examples.copy(update=asked)})
    data = training_data(catalogue.copy(update={"facts": tuple(facts)}))
    intents = {block["intent"]: block["examples"] for block in data["nlu"] if "intent" in block}
    assert intents[f"{FACT_INTENT}/{NOT_ANSWERED}"] == "".join(
        f"- {text}\n" for lang in ("id", "ja", "en") for text in asked[lang])
    assert not any(text in intents[f"{FACT_INTENT}/{day.id}"] for texts in asked.values()
                   for text in texts)
    bare = training_data(catalogue.copy(update={"facts": tuple(
        f.copy(update={"unanswered": None}) for f in catalogue.facts)}))
    assert f"{FACT_INTENT}/{NOT_ANSWERED}" not in {b.get("intent") for b in bare["nlu"]}
    assert bare["responses"][f"utter_{FACT_INTENT}/{NOT_ANSWERED}"] == [{"text": NOT_ANSWERED}]


def test_unanswered_questions_asking_what_no_fact_gives_are_not_trained(catalogue):
    """A contact or the next meeting is refused by the question types whatever fact is picked;
    such questions do not widen the label. Once a fact gives that type, they are trained again."""
    facts = list(catalogue.facts)
    day = facts[0]
    asked = {"id": ["nomor telepon SMRJ?", "kapan rapat berikutnya?"],
             "ja": ["SMRJの電話番号は？"], "en": ["SMRJ phone number?"]}
    facts[0] = day.copy(update={"unanswered": day.examples.copy(update=asked)})
    trained = trained_unanswered(catalogue.copy(update={"facts": tuple(facts)}))
    assert not any(text in trained for texts in asked.values() for text in texts)
    facts[1] = facts[1].copy(update={"answers": [*facts[1].answers, "contact"]})
    trained = trained_unanswered(catalogue.copy(update={"facts": tuple(facts)}))
    assert "nomor telepon SMRJ?" in trained and "kapan rapat berikutnya?" not in trained
    shipped = training_data(catalogue)
    lines = [line for b in shipped["nlu"] if b.get("intent") == f"{FACT_INTENT}/{NOT_ANSWERED}"
             for line in b["examples"].splitlines()]
    assert len(lines) == len(trained_unanswered(catalogue)) > 1000


def test_names_become_lookups_and_synonyms_not_intent_examples(catalogue):
    data = training_data(catalogue)
    lookups = {b["lookup"]: b["examples"] for b in data["nlu"] if "lookup" in b}
    synonyms = {b["synonym"]: b["examples"] for b in data["nlu"] if "synonym" in b}
    assert not any(b.get("intent") == ENTITY_INTENT for b in data["nlu"])
    for entity in catalogue.entities:
        for form in entity.forms():
            line = f"- {' '.join(form.split())}\n"
            assert line in lookups[entity.type]
            if form != entity.name:
                assert line in synonyms[entity.name]


def test_rasa_reads_the_generated_file(tmp_path, catalogue):
    path, changed = write_training_data(catalogue, tmp_path)
    assert changed
    loaded = load_data(str(path))
    assert {f"{FACT_INTENT}/{f.id}" for f in catalogue.facts} <= {
        m.get_full_intent() for m in loaded.training_examples}
    assert {t["name"] for t in loaded.lookup_tables} == {"organisation", "person", "commodity"}
    assert loaded.entity_synonyms["中小機構"] == "SMRJ"


def test_an_unchanged_catalogue_leaves_the_file_alone(tmp_path, catalogue):
    path, _ = write_training_data(catalogue, tmp_path)
    before = path.stat().st_mtime_ns
    assert write_training_data(catalogue, tmp_path) == (path, False)
    assert path.stat().st_mtime_ns == before
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["version"] == "3.1"


def test_clashing_example_questions_are_reported(catalogue):
    """Give one fact the other's example questions, reworded: validate must name the pair."""
    facts = list(catalogue.facts)
    day = next(f for f in facts if f.id == "meeting_day")
    credit = next(f for f in facts if f.id == "credit_ratio_30")
    stolen = {lang: [f"{text} ?" for text in day.examples[lang]] for lang in ("id", "ja", "en")}
    examples = credit.examples.copy(update={lang: credit.examples[lang][:2] + stolen[lang]
                                            for lang in stolen})
    facts[facts.index(credit)] = credit.copy(update={"examples": examples})
    clashes = find_clashes(catalogue.copy(update={"facts": tuple(facts)}))
    pairs = {(c.label, c.confused_with) for c in clashes}
    assert ("credit_ratio_30", "meeting_day") in pairs or ("meeting_day", "credit_ratio_30") in pairs
