"""The language hint a message carries in its metadata, and the hint for a message without one.

One contract for every channel: the user's interface language goes into message metadata under
``language`` (:data:`HINT_KEY`): the browser language (web chat), Telegram's ``language_code``,
a REST client's ``metadata.language``. Actions and NLU read that key alone. A client that sends
none (REST) gets the most likely language of the message's own text as its hint instead, so a
first message such as "hai" or "pagi kak" is answered in Indonesian: the session starts in the
language of its first message's metadata, and within a conversation hints never override the
conversation's language (``resolve_language``).
"""

from __future__ import annotations

from typing import Any

from bot.language.resolution import language_from_hint, resolve_language

#: The metadata key every channel puts the user's interface language under.
HINT_KEY = "language"
#: Where the hint came from when the channel gave none: the message text.
SOURCE_KEY = "language_source"


def language_hint(metadata: Any) -> str | None:
    """The channel's language hint from message or session metadata, if any."""
    if isinstance(metadata, dict) and isinstance(metadata.get(HINT_KEY), str):
        return metadata[HINT_KEY]
    return None


def with_language_hint(metadata: Any, text: str) -> dict[str, Any]:
    """``metadata`` with a usable language hint: the channel's, or else the text's likely language."""
    result = dict(metadata) if isinstance(metadata, dict) else {}
    if language_from_hint(language_hint(result)):
        return result
    resolution = resolve_language(text or "")
    if resolution.reason != "default":
        result[HINT_KEY] = resolution.language
        result[SOURCE_KEY] = "message"
    return result
