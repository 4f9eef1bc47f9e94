"""The language hint a message carries in its metadata, and the hint for a message without one.

Channels put the user's interface language into message metadata (the browser language,
Telegram's ``language_code``). A client that sends none (REST) gets the most likely language of
the message's own text as its hint instead, so a first message such as "hai" or "rumput laut" is
answered in Indonesian: the session starts in the language of its first message's metadata, and
within a conversation hints never override the conversation's language (``resolve_language``).
"""

from __future__ import annotations

from typing import Any

from bot.language.resolution import language_from_hint, resolve_language

#: Keys a channel may use in message metadata for the user's interface language.
HINT_KEYS = ("language", "language_code", "locale")
#: Where the hint came from when the channel gave none: the message text.
SOURCE_KEY = "language_source"


def language_hint(metadata: Any) -> str | None:
    """The channel's language hint from message or session metadata, if any."""
    if isinstance(metadata, dict):
        for key in HINT_KEYS:
            if isinstance(metadata.get(key), str):
                return metadata[key]
    return None


def with_language_hint(metadata: Any, text: str) -> dict[str, Any]:
    """``metadata`` with a usable language hint: the channel's, or else the text's likely language."""
    result = dict(metadata) if isinstance(metadata, dict) else {}
    if language_from_hint(language_hint(result)):
        return result
    resolution = resolve_language(text or "")
    if resolution.reason != "default":
        result["language"] = resolution.language
        result[SOURCE_KEY] = "message"
    return result
