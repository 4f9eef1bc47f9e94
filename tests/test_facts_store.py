"""The facts store: validation, atomic builds, lookups, search in id/ja/en, hostile input, CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy.exc import IntegrityError

from bot.facts import FactsStore, FactsValidationError, StoreNotBuiltError, load_catalogue
from bot.facts.cli import main as cli
from tests.conftest import FACTS_DIR

ARTICLE = Path(__file__).resolve().parents[1] / "data" / "source" / "antara_000_c3b416fd860b47a6.txt"
#: The workplace's copy the repository's copy was taken from, when it sits beside the checkout.
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_c3b416fd860b47a6.txt"


def _copy_facts(tmp_path: Path) -> Path:
    folder = tmp_path / "facts"
    shutil.copytree(FACTS_DIR, folder)
    return folder


def _edit(folder: Path, file: str, fact_id: str, change) -> None:
    path = folder / file
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    fact = next(f for f in document["facts"] if f["id"] == fact_id)
    change(fact)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


# --- validation -------------------------------------------------------------------------------

def test_real_facts_are_valid_and_cover_every_language(catalogue):
    assert len(catalogue.facts) >= 25
    for fact in catalogue.facts:
        for lang in ("id", "ja", "en"):
            assert fact.statement[lang] and fact.question[lang]
            assert len(fact.examples[lang]) >= 5, (fact.id, lang)
        assert fact.sources and all(c.quotes for c in fact.sources)
    sources = {s.id: s for s in catalogue.sources}
    assert {c.source for f in catalogue.facts for c in f.sources} <= set(sources)
    assert all(s.publisher == "ANTARA" for s in sources.values())


def test_every_source_quote_is_verbatim_from_its_source(catalogue):
    texts = {s.id: " ".join((ARTICLE.parent / s.file).read_text(encoding="utf-8").split())
             for s in catalogue.sources}
    for fact in catalogue.facts:
        for citation in fact.sources:
            for quote in citation.quotes:
                assert " ".join(quote.split()) in texts[citation.source], fact.id


def test_the_repository_copy_of_the_article_is_unaltered():
    if not SEED.exists():
        pytest.skip("the workplace's shared/seeds copy is not beside this checkout")
    assert ARTICLE.read_bytes() == SEED.read_bytes()


def test_no_contact_detail_is_invented(catalogue):
    import re

    for fact in catalogue.facts:
        for text in (fact.statement[lang] for lang in ("id", "ja", "en")):
            assert not re.search(r"\+?\d[\d\s().-]{7,}\d", text), f"phone-like number in {fact.id}"
            assert "@" not in text, f"e-mail-like text in {fact.id}"


@pytest.mark.parametrize(
    ("file", "fact_id", "change", "expected"),
    [
        ("policy.yml", "credit_ratio_30", lambda f: f["statement"].pop("ja"),
         "statement.ja: is missing"),
        ("policy.yml", "credit_ratio_30", lambda f: f.update(topic="gossip"), "unknown topic 'gossip'"),
        ("policy.yml", "credit_ratio_30", lambda f: f.update(answers=["gossip"]),
         "unknown answer type 'gossip'"),
        ("policy.yml", "credit_ratio_30", lambda f: f.update(colour="red"),
         "colour: is not a known field"),
        ("event.yml", "meeting_day", lambda f: f["sources"][0].update(quotes=["Teten pergi ke bulan."]),
         "quote not found verbatim in 'antara_teten_meti'"),
        ("event.yml", "meeting_day", lambda f: f["sources"][0].update(source="blog"),
         "'blog' is not in sources.yml"),
        ("event.yml", "meeting_day", lambda f: f.update(related=["no_such_fact"]),
         "related: 'no_such_fact' is not a fact or group"),
        ("event.yml", "meeting_day", lambda f: f.update(entities=["Godzilla"]),
         "entities: 'Godzilla' is not in entities.yml"),
        ("program.yml", "joint_venture_invitation", lambda f: f["keywords"].pop("en"),
         "keywords.en: is missing"),
        ("program.yml", "joint_venture_invitation", lambda f: f["examples"].update(ja=["合弁は？"]),
         "needs at least 5 example questions per language; too few in ja"),
        ("policy.yml", "credit_ratio_30", lambda f: f["statement"].update(en="Call +62 21 555 0101."),
         "looks like a phone number or e-mail"),
    ],
)
def test_validation_names_file_fact_and_problem(tmp_path, file, fact_id, change, expected):
    folder = _copy_facts(tmp_path)
    _edit(folder, file, fact_id, change)
    with pytest.raises(FactsValidationError) as error:
        load_catalogue(folder)
    message = str(error.value)
    assert str(folder / file) in message
    assert f"fact '{fact_id}'" in message
    assert expected in message


def _edit_briefing(folder, change) -> None:
    path = folder / "briefing.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document["briefing"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda points: points[0].update(fact="no_such_fact"),
     "briefing point 'no_such_fact': fact: 'no_such_fact' is not a fact"),
    (lambda points: points[1]["short"].update(ja="長" * 161),
     "briefing point 'cooperation_since_1978': short: a briefing point is at most 160 characters; "
     "too long in ja"),
    (lambda points: points[2]["short"].pop("en"), "short.en: is missing"),
    (lambda points: points.append(dict(points[0])), "briefing point 'meeting_participants': "
                                                   "duplicate id"),
    (lambda points: points.__delitem__(slice(2, None)), "briefing: has 2 points; a briefing has 6 to 8"),
])
def test_a_bad_briefing_names_the_file_the_point_and_the_problem(tmp_path, change, expected):
    folder = _copy_facts(tmp_path)
    _edit_briefing(folder, change)
    with pytest.raises(FactsValidationError) as error:
        load_catalogue(folder)
    assert str(folder / "briefing.yml") in str(error.value)
    assert expected in str(error.value)


def test_duplicate_id_across_files_is_reported(tmp_path):
    folder = _copy_facts(tmp_path)
    document = yaml.safe_load((folder / "policy.yml").read_text(encoding="utf-8"))
    (folder / "extra.yml").write_text(yaml.safe_dump({"facts": [document["facts"][0]]},
                                                     allow_unicode=True), encoding="utf-8")
    with pytest.raises(FactsValidationError, match="duplicate id"):
        load_catalogue(folder)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda office: office.update(title="emperor"), "office title 'emperor' is not one of"),
    (lambda office: office.update(of="Godzilla"), "office of 'Godzilla', which is not an organisation"),
])
def test_a_bad_office_names_the_file_the_entity_and_the_problem(tmp_path, change, expected):
    folder = _copy_facts(tmp_path)
    path = folder / "entities.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    teten = next(e for e in document["entities"] if e["name"] == "Teten Masduki")
    change(teten["offices"][0])
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FactsValidationError) as error:
        load_catalogue(folder)
    assert str(path) in str(error.value) and "entity 'Teten Masduki'" in str(error.value)
    assert expected in str(error.value)


def test_only_a_person_holds_offices(tmp_path):
    folder = _copy_facts(tmp_path)
    path = folder / "entities.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    meti = next(e for e in document["entities"] if e["name"] == "METI")
    meti["offices"] = [{"title": "minister"}]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FactsValidationError, match="only a person holds offices"):
        load_catalogue(folder)


def test_broken_yaml_names_the_file(tmp_path):
    folder = _copy_facts(tmp_path)
    (folder / "broken.yml").write_text("facts: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(FactsValidationError, match="broken.yml: file: is not valid YAML"):
        load_catalogue(folder)


# --- building ---------------------------------------------------------------------------------

def test_build_then_read_back(store, catalogue):
    assert store.info()["fact_count"] == str(len(catalogue.facts))
    fact = store.get("credit_ratio_30")
    assert fact == catalogue.by_id()["credit_ratio_30"]
    assert "30" in fact.statement["ja"] and "2024" in fact.statement["en"]
    assert [f.id for f in store.all("person")] == ["person_teten", "person_nagamine", "person_jokowi"]
    assert len(store.menu()) >= 5


def test_unbuilt_store_says_how_to_build(tmp_path):
    with pytest.raises(StoreNotBuiltError, match="python -m bot.facts build"):
        FactsStore(f"sqlite:///{tmp_path / 'empty.db'}").get("credit_ratio_30")


def test_bad_facts_file_leaves_the_store_untouched(tmp_path, store, monkeypatch):
    folder = _copy_facts(tmp_path)
    _edit(folder, "policy.yml", "credit_ratio_30", lambda f: f["statement"].update(en="CHANGED"))
    _edit(folder, "event.yml", "meeting_day", lambda f: f["statement"].pop("id"))
    before = store.info()
    code = cli(["--facts-dir", str(folder), "--db", store.url, "build",
                "--generated-dir", str(tmp_path / "generated")])
    assert code == 1
    assert store.info() == before
    assert "CHANGED" not in store.get("credit_ratio_30").statement["en"]


def test_an_example_question_may_belong_to_one_fact_only(tmp_path, catalogue):
    folder = _copy_facts(tmp_path)
    taken = catalogue.by_id()["meeting_day"].examples["en"][0]
    _edit(folder, "policy.yml", "credit_ratio_30", lambda f: f["examples"]["en"].append(taken))
    with pytest.raises(FactsValidationError, match="is also an example of fact 'meeting_day'"):
        load_catalogue(folder)


def test_an_unanswered_question_may_not_be_an_example_too(tmp_path, catalogue):
    """One text cannot teach the selector both a fact and "no fact answers this"."""
    folder = _copy_facts(tmp_path)
    taken = catalogue.by_id()["meeting_day"].examples["ja"][0]
    _edit(folder, "policy.yml", "credit_ratio_30", lambda f: f.setdefault(
        "unanswered", {"id": [], "ja": [], "en": []})["ja"].append(taken))
    with pytest.raises(FactsValidationError, match=r"unanswered\.ja: .* is also an example of "
                                                   r"fact 'meeting_day'"):
        load_catalogue(folder)


def test_not_answered_is_a_reserved_id(tmp_path):
    folder = _copy_facts(tmp_path)
    _edit(folder, "policy.yml", "credit_ratio_30", lambda f: f.update(id="not_answered"))
    with pytest.raises(FactsValidationError, match="'not_answered' is reserved"):
        load_catalogue(folder)


def test_failure_during_build_rolls_back(store, catalogue):
    broken = catalogue.copy(update={"facts": catalogue.facts + catalogue.facts[:1]})
    before = store.info()
    with pytest.raises(IntegrityError):  # the duplicate primary key fails mid-transaction
        store.build(broken)
    assert store.info() == before
    assert len(store.all()) == len(catalogue.facts)


def test_rebuild_is_visible_to_an_open_store_without_restart(tmp_path, store):
    folder = _copy_facts(tmp_path)
    _edit(folder, "policy.yml", "credit_ratio_30",
          lambda f: f["statement"].update(en="Credit ratio fact, edited by an operator."))
    # Training data goes to a temporary folder: data/generated/ is read by a training running beside.
    assert cli(["--facts-dir", str(folder), "--db", store.url, "build",
                "--generated-dir", str(tmp_path / "generated")]) == 0
    assert store.get("credit_ratio_30").statement["en"] == "Credit ratio fact, edited by an operator."


# --- lookups ----------------------------------------------------------------------------------

def test_answer_resolves_facts_and_groups(store, catalogue):
    assert [f.id for f in store.answer("credit_ratio_30")] == ["credit_ratio_30"]
    group = next(g for g in catalogue.groups if g.id == "import_substitution")
    assert [f.id for f in store.answer("import_substitution")] == list(group.facts)
    assert store.answer("no_such_answer") == []


def test_items_are_facts_and_groups_in_the_order_asked(store):
    assert [i.id for i in store.items(["startups", "credit_ratio_30", "nope", "meeting"])] == \
        ["startups", "credit_ratio_30", "meeting"]
    assert store.items([]) == []


def test_entity_card_is_the_profile_or_the_facts_about_it(store):
    assert [f.id for f in store.entity_card("SMRJ")] == ["org_smrj"]
    assert [f.id for f in store.entity_card("Nagamine Makoto")] == ["person_nagamine"]
    seaweed = [f.id for f in store.entity_card("seaweed")]
    assert "commodity_downstreaming" in seaweed and all(not f.startswith("org_") for f in seaweed)
    assert store.entity_card("Godzilla") == []


def test_mentions_are_read_from_every_language_and_alias(store):
    # cooperation_since_1978 lists no entity; its statement says "Teten", an alias.
    assert store.mentioned_entities(["cooperation_since_1978"]) == {"teten masduki"}
    assert {"meti", "nagamine makoto"} <= store.mentioned_entities(["meeting_participants"])
    assert "ifc" not in store.mentioned_entities(["meeting_participants"])
    # Latin-script aliases stand as words: Teten's "MenKopUKM" is not inside the ministry's
    # "KemenKopUKM", the only form internship_scholarship has.
    assert store.mentioned_entities(["internship_scholarship"]) == {"kemenkopukm"}
    assert store.mentioned_entities([]) == set() == store.mentioned_entities(["no_such_fact"])


def test_lists_round_trip(store, catalogue):
    assert store.menu() == list(catalogue.menu)
    assert store.question_types() == list(catalogue.question_types)
    assert set(store.sources()) == {s.id for s in catalogue.sources}
    assert [e.name for e in store.entities()] == [e.name for e in catalogue.entities]


# --- search -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("rasio kredit perbankan UMKM", "id", "credit_ratio_30"),
        ("hilirisasi produk tambang bahan baku", "id", "mining_downstreaming"),
        ("beasiswa magang", "id", "internship_scholarship"),
        ("融資比率", "ja", "credit_ratio_30"),
        ("蒲郡市", "ja", "org_gamagori"),
        ("胡椒の輸出", "ja", "pepper_export_japan"),
        ("合弁事業", "ja", "joint_venture_invitation"),
        ("竹", "ja", "commodity_downstreaming"),
        ("bank credit ratio", "en", "credit_ratio_30"),
        ("raw materials mining", "en", "mining_downstreaming"),
        ("internship scholarships", "en", "internship_scholarship"),
    ],
)
def test_search_finds_the_fact_in_each_language(store, query, lang, expected):
    hits = store.search(query, lang)
    assert expected in [hit.fact.id for hit in hits[:3]], [(h.fact.id, h.score) for h in hits]
    assert all(0 < hit.score <= 1 for hit in hits)


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE facts; --", '" OR 1=1 --', "NEAR(a b)", "kredit* OR \"", "%_%", "\\", "",
     "   ", "🙂🙂", "a" * 20000, "SELECT * FROM facts_fts", "body MATCH 'x'"],
)
def test_search_survives_injection_like_and_odd_input(store, query):
    for lang in ("id", "ja", "en"):
        store.search(query, lang)
    assert store.get("credit_ratio_30") is not None
    assert len(store.all()) > 20


def test_search_rejects_unknown_language(store):
    with pytest.raises(ValueError):
        store.search("kredit", "fr")


# --- CLI --------------------------------------------------------------------------------------

def test_cli_commands(store, capsys):
    assert cli(["--db", store.url, "validate", "--no-clashes"]) == 0
    assert cli(["--db", store.url, "list", "--topic", "organisation"]) == 0
    assert "org_smrj" in capsys.readouterr().out
    assert cli(["--db", store.url, "show", "org_smrj"]) == 0
    shown = capsys.readouterr().out
    assert "中小機構" in shown and "source antara_teten_meti" in shown
    assert "https://www.smrj.go.jp/" in shown
    assert cli(["--db", store.url, "search", "蒲郡", "--lang", "ja"]) == 0
    assert "org_gamagori" in capsys.readouterr().out
    assert cli(["--db", store.url, "show", "nope"]) == 1
