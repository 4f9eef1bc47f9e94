"""What the facts files hold: typed models every file is validated into (pydantic 1.10).

Facts are content, so they live in YAML under ``data/facts/``; these classes only describe them.
pydantic does the per-field checks (types, required fields, unknown fields, the languages of every
localised text), so a bad edit is reported with its file, item id and field path without
hand-written checks. Only checks across items (ids, references, quotes against the source text)
live in ``bot.facts.loader``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Extra, Field, validator

from bot.settings import LANGUAGES

#: Kinds of fact the product distinguishes.
TOPICS: tuple[str, ...] = ("program", "policy", "organisation", "person", "event", "related_news")
#: Kinds of information a statement can give and a question can ask for (docs/facts.md).
ANSWER_TYPES: tuple[str, ...] = (
    "definition", "person", "organisation", "place", "date", "amount", "percentage", "count",
    "ranking", "list", "reason", "plan", "contact", "procedure", "rate", "day", "name", "outcome",
    "biography", "companions", "quantity", "source", "schedule",
)
ENTITY_TYPES: tuple[str, ...] = ("organisation", "person", "commodity")
#: Entity that names one fact or group in a follow-up payload.
FACT_ENTITY = "fact"
#: The retrieval intent whose sub-labels are fact and group ids (``ask_fact/credit_ratio_30``).
FACT_INTENT = "ask_fact"
#: The selector label of near-domain questions that no fact answers (``ask_fact/not_answered``).
#: It is trained from the facts' ``unanswered`` questions and the near-domain examples in
#: data/nlu, so "what the sources do not say" is learned next to what they say; the bot replies
#: "my sources don't say" and offers the closest facts. No fact or group may take this id.
NOT_ANSWERED = "not_answered"
#: That label as the full retrieval intent, as training data and held-out sets write it.
NOT_ANSWERED_INTENT = f"{FACT_INTENT}/{NOT_ANSWERED}"
#: The intent that asks for the one-message briefing (``/brief``).
BRIEF_INTENT = "brief"
#: The intent that asks for the verbatim source quote of an answer (``/show_quote{"fact":"id"}``).
QUOTE_INTENT = "show_quote"
#: The intent of a message that is only one or more names.
ENTITY_INTENT = "ask_entity"
#: The intent of off-topic questions (weather, sport, recipes), trained in data/nlu. Near-domain
#: questions the sources cannot answer are ``ask_fact/not_answered`` instead.
OUT_OF_SCOPE_INTENT = "out_of_scope"
#: Telegram's limit for callback data; every payload must fit on every channel.
MAX_PAYLOAD_BYTES = 64
#: How many bullets the briefing has: enough to cover the cooperation, few enough for one
#: Telegram message with one button per bullet.
BRIEFING_POINTS = (6, 8)
#: A bullet's length, so the briefing stays short on a phone.
MAX_BRIEFING_POINT = 160
#: Example questions each fact and group needs per language.
MIN_EXAMPLES = 5

_ID = r"^[a-z0-9_]{3,40}$"


class _Model(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False
        anystr_strip_whitespace = True


def _check_languages(value: dict, what: str) -> dict:
    missing = [lang for lang in LANGUAGES if lang not in value]
    extra = [lang for lang in value if lang not in LANGUAGES]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing language(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unsupported language(s) {', '.join(extra)}")
        raise ValueError(f"{what}: {'; '.join(parts)} (need exactly {', '.join(LANGUAGES)})")
    return value


class Localised(_Model):
    """One text per language, none empty."""

    id: str = Field(..., min_length=1)
    ja: str = Field(..., min_length=1)
    en: str = Field(..., min_length=1)

    def __getitem__(self, lang: str) -> str:
        return getattr(self, lang)

    def values(self) -> list[str]:
        return [self[lang] for lang in LANGUAGES]


class LocalisedList(_Model):
    """A list of texts per language (keywords, example questions)."""

    id: list[str]
    ja: list[str]
    en: list[str]

    @validator("id", "ja", "en", each_item=True, pre=True)
    def _text(cls, value: object) -> str:  # noqa: N805 - pydantic validator
        if not isinstance(value, (str, int)) or not str(value).strip():
            raise ValueError("each entry must be a non-empty text")
        return str(value).strip()

    def __getitem__(self, lang: str) -> list[str]:
        return getattr(self, lang)

    def items(self) -> list[tuple[str, list[str]]]:
        return [(lang, self[lang]) for lang in LANGUAGES]

    def texts(self) -> list[str]:
        """Every text, language by language (training data, cue matching, number checks)."""
        return [text for lang in LANGUAGES for text in self[lang]]


class Citation(_Model):
    """The passages of one source a statement rests on."""

    source: str = Field(..., regex=_ID)
    quotes: list[str] = Field(..., min_items=1)


class Fact(_Model):
    """One statement the bot may make, in every language, with its sources and example questions."""

    id: str = Field(..., regex=_ID)
    topic: str
    answers: list[str] = Field(..., min_items=1)
    statement: Localised
    question: Localised
    examples: LocalisedList
    #: Questions about this fact's subject that neither it nor any other fact answers (an amount,
    #: a date, a contact ... it does not give); trained as ``ask_fact/not_answered``.
    unanswered: LocalisedList | None = None
    keywords: LocalisedList
    sources: list[Citation] = Field(..., min_items=1)
    entities: list[str] = []
    related: list[str] = []
    requires_entity: bool = False
    name: Localised | None = None
    website: str | None = Field(None, regex=r"^https://\S+$")

    @validator("id")
    def _fact_id(cls, value: str) -> str:  # noqa: N805
        return _not_reserved(value)

    @validator("topic")
    def _topic(cls, value: str) -> str:  # noqa: N805
        return _one_of(value, TOPICS, "topic")

    @validator("answers", each_item=True)
    def _answer_type(cls, value: str) -> str:  # noqa: N805
        return _one_of(value, ANSWER_TYPES, "answer type")

    @validator("examples")
    def _enough_examples(cls, value: LocalisedList) -> LocalisedList:  # noqa: N805
        return _enough(value)

    @validator("requires_entity")
    def _profile_has_subject(cls, value: bool, values: dict) -> bool:  # noqa: N805
        if value and not values.get("entities"):
            raise ValueError("requires_entity is set but 'entities' is empty")
        return value

    def payload(self) -> str:
        return answer_payload(self.id)


class Group(_Model):
    """Facts that answer a general question together ("What is the import-substitution policy?")."""

    id: str = Field(..., regex=_ID)
    facts: list[str] = Field(..., min_items=2)
    question: Localised
    examples: LocalisedList

    @validator("id")
    def _group_id(cls, value: str) -> str:  # noqa: N805
        return _not_reserved(value)

    @validator("examples")
    def _enough_examples(cls, value: LocalisedList) -> LocalisedList:  # noqa: N805
        return _enough(value)

    def payload(self) -> str:
        return answer_payload(self.id)


class Aliases(_Model):
    """How an entity is written: ``any`` for forms shared by every language."""

    any: list[str] = []
    id: list[str] = []
    ja: list[str] = []
    en: list[str] = []

    def all(self) -> list[str]:
        seen: list[str] = []
        for form in [*self.any, *self.id, *self.ja, *self.en]:
            if form not in seen:
                seen.append(form)
        return seen


class Office(_Model):
    """An office the sources give a person ("Minister of Cooperatives and SMEs"), what a question
    that asks who holds an office is checked against (``bot.answering.offices``): "Who is the METI
    minister?" is not answered with the card of a minister of another ministry."""

    #: An ``office_titles`` id of ``bot/language/lexicon.yml`` (minister, vice_minister ...).
    title: str = Field(..., regex=_ID)
    #: The office leads ``of`` (or its country): "who heads …" questions are answered by it.
    heads: bool = False
    #: The organisation entity the office belongs to; its aliases also describe the office.
    of: str | None = None
    #: How the office, its field and its country are written, per language.
    words: Aliases = Aliases()


class Entity(_Model):
    """A named organisation, person or commodity, and every alias people use for it."""

    name: str = Field(..., min_length=1)
    type: str
    aliases: Aliases = Aliases()
    offices: list[Office] = []

    @validator("type")
    def _type(cls, value: str) -> str:  # noqa: N805
        return _one_of(value, ENTITY_TYPES, "entity type")

    @validator("offices")
    def _offices(cls, value: list[Office], values: dict) -> list[Office]:  # noqa: N805
        if value and values.get("type") != "person":
            raise ValueError("only a person holds offices")
        return value

    def forms(self) -> list[str]:
        """The canonical name and every alias, without repeats."""
        return [self.name, *[a for a in self.aliases.all() if a != self.name]]


class SourceDocument(_Model):
    """A document facts rest on; its full text is kept in ``data/source/<file>``."""

    id: str = Field(..., regex=_ID)
    publisher: str = Field(..., min_length=1)
    title: str | None = None
    date: str | None = None
    url: str | None = Field(None, regex=r"^https?://\S+$")
    file: str = Field(..., min_length=1)


class QuestionType(_Model):
    """A kind of information a question can ask for, the words that ask for it, and how to say
    that the sources do not give it."""

    id: str = Field(..., regex=_ID)
    cues: LocalisedList
    #: Phrases in which a cue does not ask for this type ("where does Indonesia *rank*" asks for a
    #: rank, not a place): text they cover is not searched for the cues.
    exceptions: LocalisedList | None = None
    missing: Localised
    #: Answer types that give what this question asks (default: the answer type of the same id).
    satisfied_by: list[str] = []

    @validator("satisfied_by", always=True)
    def _default(cls, value: list[str], values: dict) -> list[str]:  # noqa: N805
        if not value and values.get("id") not in ANSWER_TYPES:
            raise ValueError(f"'{values.get('id')}' is not an answer type, so satisfied_by must list "
                             f"the answer types that give it (allowed: {', '.join(ANSWER_TYPES)})")
        return value

    @validator("satisfied_by", each_item=True)
    def _known_answer(cls, value: str) -> str:  # noqa: N805
        return _one_of(value, ANSWER_TYPES, "answer type")

    def satisfied(self, answers: set[str]) -> bool:
        """Whether facts giving ``answers`` give what this question asks for."""
        return bool(answers & ({self.id} | set(self.satisfied_by)))


class MenuEntry(_Model):
    """A topic the bot offers when greeting, helping or admitting its sources do not say."""

    id: str = Field(..., regex=_ID)
    answer: str = Field(..., regex=_ID)
    title: Localised

    @property
    def payload(self) -> str:
        return answer_payload(self.answer)


class BriefingPoint(_Model):
    """One bullet of the one-message briefing: a short form of a fact, per language.

    Which facts the briefing has, their order and their short forms are data
    (``data/facts/briefing.yml``), so editors change the briefing without code.
    """

    fact: str = Field(..., regex=_ID)
    short: Localised

    @validator("short")
    def _short_enough(cls, value: Localised) -> Localised:  # noqa: N805
        long = [lang for lang in LANGUAGES if len(value[lang]) > MAX_BRIEFING_POINT]
        if long:
            raise ValueError(f"a briefing point is at most {MAX_BRIEFING_POINT} characters; "
                             f"too long in {', '.join(long)}")
        return value


class Catalogue(_Model):
    """Everything a facts folder holds, validated and ready to be stored."""

    facts: tuple[Fact, ...] = ()
    groups: tuple[Group, ...] = ()
    entities: tuple[Entity, ...] = ()
    sources: tuple[SourceDocument, ...] = ()
    question_types: tuple[QuestionType, ...] = ()
    menu: tuple[MenuEntry, ...] = ()
    briefing: tuple[BriefingPoint, ...] = ()

    def by_id(self) -> dict[str, Fact]:
        return {fact.id: fact for fact in self.facts}

    def answer_ids(self) -> list[str]:
        """Every label the fact classifier can predict: fact ids, then group ids."""
        return [f.id for f in self.facts] + [g.id for g in self.groups]


def quote_payload(fact_id: str) -> str:
    """The payload of an answer card's "source quote" button (fits Telegram's 64 bytes too)."""
    return f'/{QUOTE_INTENT}{{"{FACT_ENTITY}":"{fact_id}"}}'


def answer_payload(answer_id: str) -> str:
    """The Rasa payload that asks for exactly one fact or group (buttons, menu).

    Plain ``/intent{"fact":"id"}`` text works on every channel; Telegram caps it at 64 bytes.
    """
    return f'/{FACT_INTENT}{{"{FACT_ENTITY}":"{answer_id}"}}'


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} '{value}' (allowed: {', '.join(allowed)})")
    return value


def _not_reserved(value: str) -> str:
    if value == NOT_ANSWERED:
        raise ValueError(f"'{NOT_ANSWERED}' is reserved for questions no fact answers")
    return value


def _enough(value: LocalisedList) -> LocalisedList:
    short = [lang for lang, texts in value.items() if len(texts) < MIN_EXAMPLES]
    if short:
        raise ValueError(f"needs at least {MIN_EXAMPLES} example questions per language; "
                         f"too few in {', '.join(short)}")
    return value


_SPACE = re.compile(r"\s+")


def normalise_space(text: str) -> str:
    """Collapse runs of white space (quotes are compared with the source text this way)."""
    return _SPACE.sub(" ", text).strip()
