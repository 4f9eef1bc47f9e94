"""Rasa's REST channel, with the language hint every channel gives (``bot.language.hints``).

A REST client may send ``metadata.language`` (e.g. "ja-JP"); when it sends none, the message's
most likely language becomes the hint, as for any channel without an interface language.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from bot.language.hints import with_language_hint


class HintedRestInput(RestInput):
    """POST /webhooks/rest/webhook, as Rasa's ``rest`` channel."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def get_metadata(self, request: Request) -> dict[str, Any]:
        body = request.json if isinstance(request.json, dict) else {}
        text = body.get("message")
        return with_language_hint(body.get("metadata"), text if isinstance(text, str) else "")
