"""What a fact is: the typed shape every facts file is validated into.

Facts are content, so they live in YAML under ``data/facts/``; these classes only describe them.
Each localised field holds exactly the languages in ``bot.config.LANGUAGES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Kinds of fact the product distinguishes (the issue's taxonomy).
TOPICS: tuple[str, ...] = ("program", "policy", "organisation", "person", "event", "related_news")

Localised = dict[str, str]
#: Entity that names one fact in a follow-up payload.
FACT_ENTITY = "fact"
#: Telegram's limit for callback data; every payload must fit on every channel.
MAX_PAYLOAD_BYTES = 64


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: publisher and the original (Indonesian) sentence it rests on."""

    publisher: str
    quote: str


@dataclass(frozen=True)
class Fact:
    """One statement the bot may make, in every language, with its source."""

    id: str
    topic: str
    intents: tuple[str, ...]
    statement: Localised
    question: Localised
    keywords: dict[str, tuple[str, ...]]
    source: Source
    entities: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    requires_entity: bool = False
    name: Localised | None = None
    website: str | None = None
    file: str = field(default="", compare=False)

    def text(self, lang: str) -> str:
        return self.statement[lang]

    def payload(self) -> str:
        """The Rasa intent payload that asks for exactly this fact (follow-up buttons).

        Plain ``/intent{"fact":"id"}`` text works on every channel; Telegram caps it at 64 bytes.
        """
        return f'/{self.intents[0]}{{"{FACT_ENTITY}":"{self.id}"}}'


@dataclass(frozen=True)
class MenuEntry:
    """A topic the bot offers when greeting, helping or admitting it does not know."""

    id: str
    payload: str
    title: Localised


@dataclass(frozen=True)
class Catalogue:
    """Everything a facts folder holds, validated and ready to be stored."""

    facts: tuple[Fact, ...]
    menu: tuple[MenuEntry, ...]

    def by_id(self) -> dict[str, Fact]:
        return {fact.id: fact for fact in self.facts}
