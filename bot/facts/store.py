"""The facts store: the one module every action and the operator CLI read facts through.

It is a SQL database reached by a SQLAlchemy URL (``FACTS_DB_URL``): a SQLite file by default,
PostgreSQL unchanged later. ``build`` replaces the whole content inside one transaction, so a
reader sees either the old facts or the new ones, never a mix, and a failure leaves the old store
as it was. The Rasa server and the action server never cache facts across requests: a rebuilt
store is live on the next message, with no retraining and no restart.

Full-text search uses SQLite FTS5 with the trigram tokenizer (it indexes Japanese, which has no
spaces, as well as Indonesian and English); terms shorter than three characters, and every term on
other databases, fall back to LIKE over the same documents.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool

from bot.facts.schema import (
    BriefingPoint,
    Catalogue,
    Entity,
    Fact,
    Group,
    MenuEntry,
    QuestionType,
    SourceDocument,
)
from bot.language.lexicon import is_stopword
from bot.language.matching import alias_pattern
from bot.language.segmentation import content_words
from bot.settings import LANGUAGES, PROJECT_ROOT, settings

_metadata = MetaData()
facts_table = Table(
    "facts", _metadata,
    Column("id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("topic", String(32), nullable=False),
    Column("data", Text, nullable=False),
)
groups_table = Table(
    "fact_groups", _metadata,
    Column("id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("data", Text, nullable=False),
)
entities_table = Table(
    "fact_entities", _metadata,
    Column("fact_id", String(64), nullable=False, index=True),
    Column("entity", String(128), nullable=False, index=True),
)
#: Which named entities each fact mentions anywhere in its documents (statement, question,
#: keywords, examples, entities, name; any language, any alias), derived at build time.
mentions_table = Table(
    "fact_mentions", _metadata,
    Column("fact_id", String(64), nullable=False, index=True),
    Column("entity", String(128), nullable=False),
)
named_entities_table = Table(
    "entities", _metadata,
    Column("name", String(128), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("data", Text, nullable=False),
)
documents_table = Table(
    "fact_documents", _metadata,
    Column("fact_id", String(64), nullable=False, index=True),
    Column("lang", String(8), nullable=False, index=True),
    Column("body", Text, nullable=False),
)
#: Small lists read whole: the menu, the question types and the source documents.
lists_table = Table(
    "store_lists", _metadata,
    Column("kind", String(32), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("data", Text, nullable=False),
)
meta_table = Table(
    "store_meta", _metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
_LIST_MODELS = {"menu": MenuEntry, "question_types": QuestionType, "sources": SourceDocument,
                "briefing": BriefingPoint}
#: Tables of the store's previous layouts, dropped on build.
_OLD_TABLES = ("fact_intents", "menu")


@lru_cache(maxsize=4096)
def _fact(data: str) -> Fact:
    """A stored fact's model, parsed once per distinct JSON (shared: callers must not change it).
    Rows are still read per request, so a rebuild is live at once."""
    return Fact.parse_raw(data)


@lru_cache(maxsize=1024)
def _group(data: str) -> Group:
    return Group.parse_raw(data)


@lru_cache(maxsize=32)
def _parsed_list(kind: str, raw: tuple[str, ...]) -> tuple:
    """The models of one stored list; cached by content, so a rebuilt store is parsed afresh.
    Callers share these objects and must not change them."""
    model = _LIST_MODELS[kind]
    return tuple(model.parse_raw(data) for data in raw)

_FTS_TABLE = "facts_fts"


class StoreNotBuiltError(RuntimeError):
    """The store has no facts yet: run ``python -m bot.facts build``."""


class StoreUnreadableError(StoreNotBuiltError):
    """The store is missing, empty or corrupt (:meth:`FactsStore.open_checked`); the message names it
    and the command that rebuilds it."""


@dataclass(frozen=True)
class SearchHit:
    """A fact found by text search, with the share of the query's terms it contains (0–1)."""

    fact: Fact
    score: float


@dataclass(frozen=True)
class BuildReport:
    facts: int
    menu_entries: int
    built_at: str


class FactsStore:
    """Read and (re)build the facts. Cheap to keep for the life of a process: connections pool."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings().facts_db_url
        _ensure_sqlite_folder(self.url)
        self.engine = _engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    @classmethod
    def open_checked(cls, url: str | None = None) -> FactsStore:
        """The store at ``url``, after checking it can answer: the SQLite file exists (it is not
        created), passes ``PRAGMA quick_check``, has every table and as many readable facts as its
        build recorded. Raises :class:`StoreUnreadableError` otherwise (the action server refuses
        to start on it, rather than answer every question with "I don't know")."""
        url = url or settings().facts_db_url
        shown = _shown_url(url)

        def unreadable(reason: str) -> StoreUnreadableError:
            return StoreUnreadableError(
                f"facts store {shown} is missing or unreadable ({reason}); rebuild it with "
                "`make facts` (python -m bot.facts build)")

        path = _sqlite_path(url)
        if path is not None and not path.is_file():
            raise unreadable("no such file")
        if path is not None and path.stat().st_size == 0:
            raise unreadable("empty file")
        store = cls(url)
        try:
            with store.engine.connect() as conn:
                if store.is_sqlite:
                    problems = [row[0] for row in conn.execute(text("PRAGMA quick_check"))]
                    if problems != ["ok"]:
                        raise unreadable("; ".join(map(str, problems[:3])))
                    conn.execute(text(f"SELECT count(*) FROM {_FTS_TABLE}"))
                for table in _metadata.sorted_tables:
                    conn.execute(select(table).limit(1))
                recorded = conn.execute(select(meta_table.c.value)
                                        .where(meta_table.c.key == "fact_count")).scalar()
            facts = store.all()
            store.menu()
        except StoreUnreadableError:
            raise
        except Exception as error:  # no such table, not a database, unparsable rows, ...
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise unreadable(f"{type(error).__name__}: {reason}") from None
        if not facts:
            raise unreadable("it holds no facts")
        if recorded != str(len(facts)):
            raise unreadable(f"{len(facts)} facts, but its build recorded {recorded}")
        return store

    # --- building -------------------------------------------------------------------------

    def build(self, catalogue: Catalogue) -> BuildReport:
        """Replace the store's content with ``catalogue`` in one transaction."""
        started = time.perf_counter()
        built_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.engine.begin() as conn:
            self._create_schema(conn)
            for table in (entities_table, mentions_table, documents_table, lists_table, facts_table,
                          groups_table, named_entities_table, meta_table):
                conn.execute(delete(table))
            if self.is_sqlite:
                conn.execute(text(f"DELETE FROM {_FTS_TABLE}"))
            names = _name_forms(catalogue.entities)
            for position, fact in enumerate(catalogue.facts):
                self._insert_fact(conn, position, fact, names)
            rows = [{"id": g.id, "position": i, "data": g.json()}
                    for i, g in enumerate(catalogue.groups)]
            if rows:
                conn.execute(insert(groups_table), rows)
            rows = [{"name": e.name, "position": i, "data": e.json()}
                    for i, e in enumerate(catalogue.entities)]
            if rows:
                conn.execute(insert(named_entities_table), rows)
            rows = [{"kind": kind, "position": i, "data": item.json()}
                    for kind in _LIST_MODELS for i, item in enumerate(getattr(catalogue, kind))]
            if rows:
                conn.execute(insert(lists_table), rows)
            conn.execute(insert(meta_table), [
                {"key": "built_at", "value": built_at},
                {"key": "fact_count", "value": str(len(catalogue.facts))},
                # Measured up to the last write of the transaction (the commit is not included).
                {"key": "build_seconds", "value": f"{time.perf_counter() - started:.3f}"},
            ])
        return BuildReport(len(catalogue.facts), len(catalogue.menu), built_at)

    def _create_schema(self, conn: Connection) -> None:
        for old in _OLD_TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {old}"))
        _metadata.create_all(conn)
        if self.is_sqlite:
            conn.execute(text(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {_FTS_TABLE} "
                "USING fts5(fact_id UNINDEXED, lang UNINDEXED, body, tokenize='trigram')"
            ))

    def _insert_fact(self, conn: Connection, position: int, fact: Fact,
                     names: dict[str, list[str]]) -> None:
        conn.execute(insert(facts_table).values(
            id=fact.id, position=position, topic=fact.topic, data=fact.json()))
        if fact.entities:
            conn.execute(insert(entities_table), [
                {"fact_id": fact.id, "entity": e.casefold()} for e in fact.entities])
        documents = [{"fact_id": fact.id, "lang": lang, "body": _document(fact, lang)}
                     for lang in LANGUAGES]
        conn.execute(insert(documents_table), documents)
        bodies = [document["body"] for document in documents]
        mentioned = [{"fact_id": fact.id, "entity": name} for name, forms in names.items()
                     if any(form in body and _alias_regex(form).search(body)
                            for form in forms for body in bodies)]
        if mentioned:
            conn.execute(insert(mentions_table), mentioned)
        if self.is_sqlite:
            conn.execute(text(f"INSERT INTO {_FTS_TABLE} (fact_id, lang, body) "
                              "VALUES (:fact_id, :lang, :body)"), documents)

    # --- reading --------------------------------------------------------------------------

    def info(self) -> dict[str, str]:
        """Build time and fact count; raises StoreNotBuiltError on an empty store."""
        with self._read() as conn:
            return {row.key: row.value for row in conn.execute(select(meta_table))}

    def get(self, fact_id: str) -> Fact | None:
        with self._read() as conn:
            row = conn.execute(select(facts_table.c.data).where(facts_table.c.id == fact_id)).first()
        return _fact(row.data) if row else None

    def get_many(self, fact_ids: list[str]) -> list[Fact]:
        """Facts in the order of ``fact_ids``; unknown ids are skipped."""
        if not fact_ids:
            return []
        with self._read() as conn:
            rows = conn.execute(select(facts_table.c.id, facts_table.c.data)
                                .where(facts_table.c.id.in_(fact_ids))).all()
        by_id = {row.id: _fact(row.data) for row in rows}
        return [by_id[i] for i in fact_ids if i in by_id]

    def all(self, topic: str | None = None) -> list[Fact]:
        query = select(facts_table.c.data).order_by(facts_table.c.position)
        if topic:
            query = query.where(facts_table.c.topic == topic)
        with self._read() as conn:
            return [_fact(row.data) for row in conn.execute(query)]

    def answer(self, answer_id: str) -> list[Fact]:
        """The facts that answer one classifier label: a fact itself, or a group's facts."""
        fact = self.get(answer_id)
        if fact is not None:
            return [fact]
        group = self.group(answer_id)
        return self.get_many(list(group.facts)) if group else []

    def items(self, answer_ids: list[str]) -> list[Fact | Group]:
        """Facts and groups in the order of ``answer_ids`` (buttons); unknown ids are skipped."""
        facts = {fact.id: fact for fact in self.get_many(answer_ids)}
        rest = [i for i in answer_ids if i not in facts]
        groups: dict[str, Group] = {}
        if rest:
            with self._read() as conn:
                rows = conn.execute(select(groups_table.c.data)
                                    .where(groups_table.c.id.in_(rest))).all()
            groups = {group.id: group for group in (_group(row.data) for row in rows)}
        found = {**facts, **groups}
        return [found[i] for i in answer_ids if i in found]

    def group(self, group_id: str) -> Group | None:
        with self._read() as conn:
            row = conn.execute(select(groups_table.c.data)
                               .where(groups_table.c.id == group_id)).first()
        return _group(row.data) if row else None

    def groups(self) -> list[Group]:
        with self._read() as conn:
            rows = conn.execute(select(groups_table.c.data).order_by(groups_table.c.position))
            return [_group(row.data) for row in rows]

    def entities(self) -> list[Entity]:
        with self._read() as conn:
            rows = conn.execute(select(named_entities_table.c.data)
                                .order_by(named_entities_table.c.position))
            return [Entity.parse_raw(row.data) for row in rows]

    def mentioned_entities(self, fact_ids: list[str]) -> set[str]:
        """The (case-folded) names of the entities that any of these facts mentions."""
        if not fact_ids:
            return set()
        with self._read() as conn:
            rows = conn.execute(select(mentions_table.c.entity)
                                .where(mentions_table.c.fact_id.in_(fact_ids))).all()
        return {row.entity for row in rows}

    def entity_card(self, name: str) -> list[Fact]:
        """What to say about one named entity: its profile fact, else the facts about it."""
        with self._read() as conn:
            rows = conn.execute(
                select(facts_table.c.data)
                .join(entities_table, entities_table.c.fact_id == facts_table.c.id)
                .where(entities_table.c.entity == name.casefold())
                .order_by(facts_table.c.position)
            ).all()
        facts = [_fact(row.data) for row in rows]
        profiles = [f for f in facts if f.requires_entity and f.entities[0] == name]
        return profiles or [f for f in facts if not f.requires_entity]

    def menu(self) -> list[MenuEntry]:
        return self._list("menu")

    def briefing(self) -> list[BriefingPoint]:
        """The briefing's bullets in order (``data/facts/briefing.yml``)."""
        return self._list("briefing")

    def question_types(self) -> list[QuestionType]:
        return self._list("question_types")

    def sources(self) -> dict[str, SourceDocument]:
        return {source.id: source for source in self._list("sources")}

    def _list(self, kind: str) -> list:
        """The rows are read on every call (a rebuild is live on the next message), but parsed
        once per distinct content: the question types are read on every fact turn, and parsing
        their cue lists cost ~2 ms a turn (scripts/evaluate_answers.py under cProfile)."""
        with self._read() as conn:
            raw = tuple(conn.execute(select(lists_table.c.data).where(lists_table.c.kind == kind)
                                     .order_by(lists_table.c.position)).scalars())
        return list(_parsed_list(kind, raw))

    def search(self, query: str, lang: str, limit: int = 5) -> list[SearchHit]:
        """Facts whose ``lang`` text contains the query's content terms, best first.

        The score is the share of the query's terms (weighted by length) found in the fact's
        document, so it is comparable across queries and a threshold means the same everywhere.
        """
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}")
        terms = search_terms(query, lang)
        if not terms:
            return []
        with self._read() as conn:
            candidates = self._candidates(conn, terms, lang)
            if not candidates:
                return []
            rows = conn.execute(select(facts_table.c.id, facts_table.c.data)
                                .where(facts_table.c.id.in_(list(candidates)))).all()
        total = sum(len(t) for t in terms)
        facts = {row.id: _fact(row.data) for row in rows}
        hits = [SearchHit(facts[fact_id], round(sum(len(t) for t in terms if t in body) / total, 3))
                for fact_id, body in candidates.items()]
        hits.sort(key=lambda h: -h.score)  # stable: equal scores keep FTS5's bm25 order
        return hits[:limit]

    def _candidates(self, conn: Connection, terms: list[str], lang: str) -> dict[str, str]:
        """fact_id → document body for every fact whose document holds at least one term."""
        found: dict[str, str] = {}
        long_terms = [t for t in terms if len(t) >= 3] if self.is_sqlite else []
        if long_terms:
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
            for row in conn.execute(
                text(f"SELECT fact_id, body FROM {_FTS_TABLE} WHERE {_FTS_TABLE} MATCH :match "
                     f"AND lang = :lang ORDER BY bm25({_FTS_TABLE})"),
                {"match": match, "lang": lang},
            ):
                found[row.fact_id] = row.body
        like_terms = [t for t in terms if t not in long_terms]
        if like_terms:
            body = documents_table.c.body
            condition = body.like("%" + _escape_like(like_terms[0]) + "%", escape="\\")
            for term in like_terms[1:]:
                condition = condition | body.like("%" + _escape_like(term) + "%", escape="\\")
            for row in conn.execute(select(documents_table.c.fact_id, body)
                                    .where(documents_table.c.lang == lang).where(condition)):
                found[row.fact_id] = row.body
        return found

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A pooled connection for one read. A store that was never built has no tables, so the
        read fails; only then is the meta table looked up, to report :class:`StoreNotBuiltError`
        instead of the database's error. (A health query before every read cost a second query
        per read, ~10 % of the action server's time per fact turn under py-spy.)"""
        with self.engine.connect() as conn:
            try:
                yield conn
            except SQLAlchemyError as error:
                if inspect(self.engine).has_table(meta_table.name):
                    raise
                raise StoreNotBuiltError(
                    f"the facts store at {self.url} is not built; run `python -m bot.facts build`"
                ) from error


def search_terms(query: str, lang: str) -> list[str]:
    """The query's content terms, normalised like the documents (NFKC, case-folded)."""
    normalised = normalise(query)[:1000]
    words = content_words(normalised, lang)
    terms: list[str] = []
    for word in words:
        # Short Latin words and kana-only words (particles, verb stems) match inside unrelated
        # words and sentences; they are not evidence of a topic.
        if is_stopword(word) or (len(word) < 3 and not is_cjk(word)) or _is_kana_only(word):
            continue
        if word not in terms:
            terms.append(word)
    return terms[:32]


def term_forms(term: str) -> tuple[str, ...]:
    """The term, and for a longer word ending in "s" its English singular ("crabs": "crab"), so
    a plural question word is found in a text that uses the singular."""
    if len(term) > 3 and term.endswith("s"):
        return term, term[:-1]
    return (term,)


def fact_vocabulary(fact: Fact) -> str:
    """Everything a fact says or is asked by, in every language, normalised: what an inclusion
    question's items are looked up in (``bot.answering.unlisted``)."""
    return "\n".join(_document(fact, lang) for lang in LANGUAGES)


def normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


def _is_kana_only(word: str) -> bool:
    return bool(re.fullmatch(r"[\u3040-\u309f]+", word))


def is_cjk(word: str) -> bool:
    """True for a word with kana or kanji: Japanese terms are matched inside text, not as words."""
    return bool(re.search(r"[\u3040-\u30ff\u3400-\u9fff]", word))


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_forms(entities: list[Entity]) -> dict[str, list[str]]:
    """Each entity's normalised name and aliases, by its case-folded name."""
    return {entity.name.casefold(): list(dict.fromkeys(map(normalise, entity.forms())))
            for entity in entities}


@lru_cache(maxsize=1024)
def _alias_regex(form: str) -> re.Pattern[str]:
    """``form`` as the NLU's entity extractor finds it (``alias_pattern``: Latin forms stand as
    words). Only compiled for a form found as a substring: compiling and trying every alias on
    every document made a build five times slower."""
    return re.compile(alias_pattern(form))


def _document(fact: Fact, lang: str) -> str:
    parts = [fact.statement[lang], fact.question[lang], " ".join(fact.keywords[lang]),
             " ".join(fact.examples[lang]), " ".join(fact.entities)]
    if fact.name:
        parts.append(fact.name[lang])
    return normalise("\n".join(parts))


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///"):].split("?", 1)[0])
    return None


def _shown_url(url: str) -> str:
    """The store as an operator knows it: a SQLite file relative to the project, else the URL
    without its password."""
    path = _sqlite_path(url)
    if path is None:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    """One pooled engine per URL and process, so every action reuses warm connections."""
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=4,
                               connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001 - DBAPI callback
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)
