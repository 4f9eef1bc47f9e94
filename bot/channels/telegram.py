"""Telegram channel: Rasa's TelegramInput/TelegramOutput, made safe and usable for delegations.

What Rasa 3.6's own channel does and this one changes:

- It calls ``setWebhook`` while the server starts, so the whole server fails to start offline or
  with a bad token. Here the webhook is registered by an explicit command
  (``python -m bot.channels.telegram_webhook set``) and the server starts without the network.
- It trusts any POST to its webhook and calls ``getMe`` on every update to compare a username.
  Here every update must carry the ``X-Telegram-Bot-Api-Secret-Token`` header set at
  registration (403 otherwise), and ``getMe`` is called at most once per process, only when the
  bot's username is not configured.
- It answers every message in a group. Here a group message is answered only when it mentions
  the bot, replies to one of its messages or is a command; each member keeps their own
  conversation (and language) in the group.
- Telegram's ``language_code`` of the sender goes into the message metadata as the language hint
  of the first message; ``/start`` and ``/help`` become the greet and help intents.
- Follow-ups are inline keyboards (one button per row, readable on phones); pressing one answers
  the callback query and asks for that fact. Replies over 4096 characters are split.
- The Bot API base URL comes from ``TELEGRAM_API_BASE_URL``, so tests and air-gapped deployments
  can point it at another server.

With no ``TELEGRAM_TOKEN`` the channel is off: its webhook answers 404 and nothing is sent.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.language.hints import with_language_hint

logger = logging.getLogger(__name__)

#: Telegram's limit on the text of one message.
MAX_MESSAGE_LENGTH = 4096
#: Telegram's limit on a button's callback data, in bytes.
MAX_CALLBACK_DATA_BYTES = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_API_BASE_URL = "https://api.telegram.org"
#: What setWebhook's secret_token accepts.
SECRET_TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Telegram commands and the intent payloads they stand for.
COMMAND_INTENTS = {"start": "/greet", "help": "/help"}
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)")
GROUP_CHAT_TYPES = ("group", "supergroup")


@dataclass(frozen=True)
class Incoming:
    """One update the bot should answer, reduced to what Rasa needs."""

    chat_id: int
    sender_id: str            # the conversation (tracker) id
    text: str
    language_code: str | None
    callback_query_id: str | None = None


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a newline or space if possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def chat_id_of(recipient_id: str) -> str:
    """The chat a conversation id belongs to: group conversations are ``<chat>:<member>``."""
    return str(recipient_id).split(":", 1)[0]


def _conversation_id(chat: dict[str, Any], user: dict[str, Any] | None) -> str:
    if chat.get("type") in GROUP_CHAT_TYPES and user and "id" in user:
        return f"{chat['id']}:{user['id']}"
    return str(chat["id"])


def _command_text(text: str, bot_username: str | None) -> tuple[str, bool] | None:
    """For a command addressed to this bot: (text for Rasa, True). None when not a command.

    A command for another bot (``/help@other_bot``) returns ("", False).
    """
    match = _COMMAND.match(text)
    if not match:
        return None
    command, addressee = match.group(1).lower(), match.group(2)
    if addressee and (not bot_username or addressee.lower() != bot_username.lower()):
        return "", False
    rest = text[match.end():].strip()
    if command in COMMAND_INTENTS:
        return COMMAND_INTENTS[command], True
    # Any other command is read as a question: "/smrj" asks about SMRJ, never an unknown intent.
    return (f"{command} {rest}".strip(), True)


def _mentions(message: dict[str, Any], text: str, bot_username: str | None) -> bool:
    if not bot_username:
        return False
    handle = f"@{bot_username}".lower()
    for entity in message.get("entities") or message.get("caption_entities") or []:
        if entity.get("type") == "mention":
            start, length = entity.get("offset", 0), entity.get("length", 0)
            if text[start:start + length].lower() == handle:
                return True
    return handle in text.lower()


def _replies_to_bot(message: dict[str, Any], bot_username: str | None) -> bool:
    author = (message.get("reply_to_message") or {}).get("from") or {}
    return bool(bot_username and author.get("is_bot")
                and str(author.get("username", "")).lower() == bot_username.lower())


def _strip_mention(text: str, bot_username: str | None) -> str:
    if not bot_username:
        return text.strip()
    return re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE).strip()


def incoming_from_update(update: dict[str, Any], bot_username: str | None) -> Incoming | None:
    """What to tell Rasa about a Telegram update, or None for updates the bot leaves alone.

    Answered: private messages (a sticker or photo without caption becomes an empty message, which
    gets the polite "please type a question" in the user's language), group messages that mention
    the bot, reply to it or are commands, and presses of its buttons. Ignored: other group chatter,
    edited messages, channel posts, membership changes.
    """
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        message, user = callback.get("message"), callback.get("from") or {}
        data = callback.get("data")
        if not isinstance(message, dict) or not isinstance(data, str) or "chat" not in message:
            return None
        return Incoming(message["chat"]["id"], _conversation_id(message["chat"], user), data,
                        user.get("language_code"), callback_query_id=str(callback.get("id", "")))
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None
    chat, user = message["chat"], message.get("from") or {}
    if user.get("is_bot"):
        return None
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        return None
    in_group = chat.get("type") in GROUP_CHAT_TYPES
    if chat.get("type") != "private" and not in_group:
        return None
    command = _command_text(text, bot_username)
    if command is not None:
        text, addressed = command
        if not addressed:
            return None
    elif in_group:
        if not (_mentions(message, text, bot_username) or _replies_to_bot(message, bot_username)):
            return None
        text = _strip_mention(text, bot_username)
    return Incoming(chat["id"], _conversation_id(chat, user), text.strip(), user.get("language_code"))


class TelegramReplies(TelegramOutput):
    """Sends the bot's replies through the Bot API at a configurable base URL."""

    def __init__(self, access_token: str, api_base_url: str = DEFAULT_API_BASE_URL) -> None:
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_base_url))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for piece in split_message(text):
            await self.send_message(chat_id_of(recipient_id), piece)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        """Text with an inline keyboard, one button per row; the keyboard goes on the last piece."""
        keyboard = InlineKeyboardMarkup()
        for button in buttons:
            payload = str(button.get("payload", ""))
            if len(payload.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                logger.warning("Button %r dropped: payload over %d bytes", button.get("title"),
                               MAX_CALLBACK_DATA_BYTES)
                continue
            keyboard.row(InlineKeyboardButton(button["title"], callback_data=payload))
        pieces = split_message(text) or ["…"]
        for piece in pieces[:-1]:
            await self.send_message(chat_id_of(recipient_id), piece)
        await self.send_message(chat_id_of(recipient_id), pieces[-1], reply_markup=keyboard)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_photo(chat_id_of(recipient_id), image)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        await super().send_custom_json(chat_id_of(recipient_id), json_message, **kwargs)


class TelegramChannel(TelegramInput):
    """The Telegram input channel; see the module docstring for what it does differently."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramChannel:
        credentials = credentials or {}
        return cls(
            access_token=credentials.get("access_token") or None,
            verify=credentials.get("verify") or None,
            webhook_url=credentials.get("webhook_url") or None,
            secret_token=credentials.get("secret_token") or None,
            api_base_url=credentials.get("api_base_url") or DEFAULT_API_BASE_URL,
        )

    def __init__(self, access_token: str | None, verify: str | None, webhook_url: str | None,
                 secret_token: str | None = None, api_base_url: str = DEFAULT_API_BASE_URL,
                 debug_mode: bool = False) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=debug_mode)
        if access_token and not (secret_token and SECRET_TOKEN_FORMAT.fullmatch(secret_token)):
            raise RasaException(
                "TELEGRAM_SECRET_TOKEN must be set when TELEGRAM_TOKEN is: 1-256 characters of "
                "A-Z a-z 0-9 _ - (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'). "
                "Telegram sends it with every update, so nobody else can post to the webhook.")
        self.secret_token = secret_token
        self.api_base_url = api_base_url
        self._bot_username = verify.lstrip("@") if verify else None
        self._output: TelegramReplies | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.access_token)

    def get_output_channel(self) -> TelegramReplies:
        """The reply sender; unlike Rasa's, creating it makes no network call."""
        if self._output is None:
            self._output = TelegramReplies(self.access_token or "", self.api_base_url)
        return self._output

    async def bot_username(self) -> str | None:
        """The bot's @username: from configuration, else one ``getMe`` per process."""
        if self._bot_username is None:
            try:
                me = await self.get_output_channel().get_me()
                self._bot_username = me.username
            except TelegramAPIError as error:
                logger.error("getMe failed (%s); group mentions cannot be recognised yet", error)
        return self._bot_username

    def _secret_ok(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return bool(self.secret_token) and hmac.compare_digest(given.encode(), self.secret_token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("briefing_telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "off"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "the Telegram channel is off (TELEGRAM_TOKEN is not set)"},
                                     status=404)
            if not self._secret_ok(request):
                return response.json({"error": f"missing or wrong {SECRET_HEADER} header"}, status=403)
            try:
                update = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return response.json({"error": "the body is not JSON"}, status=400)
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                return response.json({"error": "not a Telegram update (no integer update_id)"},
                                     status=400)
            incoming = incoming_from_update(update, await self.bot_username())
            if incoming is None:
                return response.json({"status": "ignored"})
            output = self.get_output_channel()
            if incoming.callback_query_id:
                try:
                    await output.answer_callback_query(incoming.callback_query_id)
                except TelegramAPIError as error:
                    logger.warning("answerCallbackQuery failed: %s", error)
            metadata = with_language_hint(
                {"language_code": incoming.language_code, "chat_id": incoming.chat_id}, incoming.text)
            try:
                await on_new_message(UserMessage(incoming.text, output, incoming.sender_id,
                                                 input_channel=self.name(), metadata=metadata))
            except Exception:  # noqa: BLE001 - Telegram would retry the update forever
                logger.exception("Handling Telegram update %s failed", update.get("update_id"))
            return response.json({"status": "ok"})

        return telegram_webhook
