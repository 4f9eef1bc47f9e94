"""Rasa's REST channel, with the language hint every channel gives (``bot.language.hints``) and the
public channels' limits (``bot.channels.limits``).

A REST client may send ``metadata.language`` (e.g. "ja-JP"); when it sends none, the message's
most likely language becomes the hint, as for any channel without an interface language.

Rasa's own handler reads ``request.json`` as it likes: a JSON array as body raised a 500, and a
``message`` that was null or a number got 200 with no reply. Here every request is checked before
Rasa's handler runs, and a bad one gets a 4xx with the reason as ``{"error": ...}``:
415 for a body that is not ``application/json``, 400 for malformed JSON, a body that is not an
object, a missing or non-string ``sender`` or ``message``, or ``metadata`` that is not an object;
429 (with ``Retry-After``) for a sender over the rate limit who has been told once already.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import (
    Verdict,
    cap_request_size,
    clip_message,
    sender_rate_limiter,
)
from bot.channels.notices import send_response
from bot.language.hints import with_language_hint

#: Longest sender id accepted; ids are keys in the tracker store, not text to store at any length.
MAX_SENDER_CHARS = 256


class BadRequest(Exception):
    """A request the channel refuses, with the HTTP status and the reason the client gets."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def checked_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or :class:`BadRequest` saying what is wrong with it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise BadRequest(415, "send the message as JSON with Content-Type: application/json")
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - Sanic raises its own error types for malformed JSON
        raise BadRequest(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(400, 'the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(400, f'"sender" must be a non-empty string of at most {MAX_SENDER_CHARS} characters')
    if not isinstance(body.get("message"), str):
        raise BadRequest(400, '"message" must be a string')
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise BadRequest(400, '"metadata" must be a JSON object')
    return body


class HintedRestInput(RestInput):
    """POST /webhooks/rest/webhook, as Rasa's ``rest`` channel."""

    def __init__(self) -> None:
        self.rate_limiter = sender_rate_limiter()

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Any) -> Blueprint:
        """Rasa's routes, behind the request checks and the rate limit."""
        webhook = super().blueprint(on_new_message)
        cap_request_size(webhook)

        @webhook.middleware("request")
        async def check(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            try:
                body = checked_body(request)
            except BadRequest as error:
                return response.json({"error": error.reason}, status=error.status)
            verdict = self.rate_limiter.check(body["sender"])
            if verdict is Verdict.DROP:
                wait = self.rate_limiter.retry_after(body["sender"])
                return response.json({"error": f"too many messages; try again in {wait} s"},
                                     status=429, headers={"Retry-After": str(wait)})
            if verdict is Verdict.NOTIFY:
                collector = CollectingOutputChannel()
                await send_response(request.app, body["sender"], response="utter_rate_limited",
                                    output_channel=collector, metadata=self.get_metadata(request))
                return response.json(collector.messages)
            return None

        return webhook

    async def _extract_sender(self, req: Request) -> str:
        return req.json["sender"]

    def _extract_message(self, req: Request) -> str:
        return clip_message(req.json["message"])

    def _extract_input_channel(self, req: Request) -> str:
        """Always this channel: a client must not pass its messages off as another channel's."""
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any]:
        body = request.json
        return with_language_hint(body.get("metadata"), clip_message(body["message"]))

