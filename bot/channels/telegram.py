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
  the bot (a ``mention`` entity of exactly its username, so ``@ourbot_old`` is not ``@ourbot``),
  replies to one of its messages or is a command; each member keeps their own conversation (and
  language) in the group. Anonymous group admins and members posting as a channel are people too.
- It sends each reply as soon as Rasa utters it, one message per paragraph, and lets a Bot API
  error escape. Here the replies of one turn are collected, merged into as few messages as
  Telegram allows (flood control allows about 20 messages a minute in a group) and sent *after*
  the webhook has answered, so a slow or rate-limited Bot API never makes Telegram think the
  update was lost and deliver it again (see :meth:`TelegramChannel.handle_update`).
- Sending retries: a 429 waits the ``retry_after`` Telegram asks for, a 5xx or network error backs
  off exponentially, both within a bounded number of attempts and seconds per answer
  (``TELEGRAM_SEND_*``); whatever is finally not sent is logged with the chat and count.
- An update delivered twice (Telegram redelivers when unsure) is answered once: update ids are
  claimed in a store replicas can share (bot/channels/telegram_updates.py).
- In groups, answers are replies to the question (``reply_to_message_id`` with
  ``allow_sending_without_reply``, so a deleted question does not lose the answer) and stay in the
  question's forum topic (``message_thread_id``).
- Telegram's ``language_code`` of the sender goes into the message metadata as the language hint
  (``metadata["language"]``, the key every channel uses)
  of the first message; ``/start`` and ``/help`` become the greet and help intents; a voice note,
  sticker, location, photo without caption ... becomes the ``non_text_message`` intent, answered
  with "I read typed questions only" in the conversation's language.
- Follow-ups are inline keyboards (one button per row, readable on phones); pressing one answers
  the callback query and asks for that fact. Replies over 4096 characters are split.
- The Bot API base URL comes from ``TELEGRAM_API_BASE_URL``, so tests and air-gapped deployments
  can point it at another server.

With no ``TELEGRAM_TOKEN`` the channel is off: its webhook answers 404 and nothing is sent.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.utils.exceptions import (
    BadRequest,
    ConflictError,
    MigrateToChat,
    NotFound,
    RetryAfter,
    TelegramAPIError,
    Unauthorized,
)
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.exceptions import RasaException
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
from bot.channels.telegram_updates import UpdateStore, UpdateStoreError, update_store
from bot.language.hints import HINT_KEY, with_language_hint
from bot.settings import settings

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
COMMAND_INTENTS = {"start": "/greet", "help": "/help", "brief": "/brief"}
#: How an answer card's source line starts in each language (domain.yml, utter_fact_answer).
SOURCE_LABELS = ("Sumber:", "出典：", "Source:", "— ")
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)")
GROUP_CHAT_TYPES = ("group", "supergroup")
#: Message content with nothing typed to read (unless it has a caption).
NON_TEXT_CONTENT = ("animation", "audio", "contact", "dice", "document", "game", "location",
                    "paid_media", "photo", "poll", "sticker", "story", "venue", "video",
                    "video_note", "voice")
#: What such a message becomes: not a user intent but a marker, answered with this response
#: (bot.channels.notices).
NON_TEXT_PAYLOAD = "/non_text_message"
NON_TEXT_RESPONSE = "utter_typed_questions_only"
RATE_LIMITED_RESPONSE = "utter_rate_limited"
#: Seconds one Bot API request may take before it counts as failed (and is retried).
REQUEST_TIMEOUT_SECONDS = 10
#: Longest single wait between two tries after a 5xx or network error.
MAX_BACKOFF_SECONDS = 30


@dataclass(frozen=True)
class Incoming:
    """One update the bot should answer, reduced to what Rasa needs and where the answer goes."""

    chat_id: int
    sender_id: str            # the conversation (tracker) id
    text: str
    language_code: str | None
    callback_query_id: str | None = None
    reply_to_message_id: int | None = None   # groups only: the answer replies to this message
    message_thread_id: int | None = None     # forum topic the answer must stay in


@dataclass(frozen=True)
class ReplyTarget:
    """Where one answer goes: the chat, its forum topic, and the message it replies to."""

    chat_id: int | str
    message_thread_id: int | None = None
    reply_to_message_id: int | None = None


@dataclass
class Reply:
    """One response of a turn, as Rasa handed it to the channel."""

    text: str = ""
    buttons: list[dict[str, Any]] | None = None
    image: str | None = None
    custom: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call that sends part of an answer (``custom`` goes through Rasa's mapping)."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try sending: attempts per message, seconds per answer, first backoff."""

    max_attempts: int = 5
    max_wait: float = 60.0
    backoff: float = 1.0

    @classmethod
    def from_config(cls) -> RetryPolicy:
        current = settings()
        return cls(current.telegram_send_max_attempts, current.telegram_send_max_wait_seconds,
                   current.telegram_send_backoff_seconds)

    def backoff_delay(self, attempt: int) -> float:
        """Wait after failed attempt number ``attempt`` (1, 2, ...): backoff, 2×, 4× ... capped."""
        return min(MAX_BACKOFF_SECONDS, self.backoff * 2 ** (attempt - 1))


class Outcome(enum.Enum):
    SENT = "sent"
    FAILED = "failed"    # this message cannot be sent (e.g. 400); the next ones may
    STOP = "stop"        # nothing more can be sent now (blocked, unreachable, out of time)


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


def as_html(text: str) -> str:
    """Bot text for Telegram's HTML parse mode: everything escaped, so a fact or a user's words
    can never become markup; a paragraph that names sources (it starts with a source label) is set
    in italics, so on a phone the statement reads first and the source line as a footnote."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        escaped = html.escape(paragraph, quote=False)
        paragraphs.append(f"<i>{escaped}</i>" if paragraph.startswith(SOURCE_LABELS) else escaped)
    return "\n\n".join(paragraphs)


def inline_keyboard(buttons: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Rasa buttons as an inline keyboard, one per row; payloads Telegram would refuse are dropped."""
    rows = []
    for button in buttons:
        payload = str(button.get("payload", ""))
        if len(payload.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            logger.warning("Button %r dropped: payload over %d bytes", button.get("title"),
                           MAX_CALLBACK_DATA_BYTES)
            continue
        rows.append([{"text": str(button.get("title", payload)), "callback_data": payload}])
    return {"inline_keyboard": rows} if rows else None


def plan_messages(replies: list[Reply], limit: int = MAX_MESSAGE_LENGTH) -> list[Outgoing]:
    """The Bot API calls that send one turn's replies in as few messages as possible.

    Each message costs flood-control budget (about 20 a minute in a group), and a fact answer is
    two or three replies (the fact, its source, the follow-up buttons). So consecutive texts are
    joined with a blank line and cut only where they exceed Telegram's limit (preferably at a line
    break); a keyboard goes on the last piece of the text it came with and ends that message,
    since Telegram shows it under the message.
    """
    planned: list[Outgoing] = []
    pending: list[str] = []

    def close(keyboard: dict[str, Any] | None = None) -> None:
        pieces = split_message("\n\n".join(pending), limit)
        if keyboard and not pieces:
            pieces = ["…"]
        for index, text in enumerate(pieces):
            params: dict[str, Any] = {"text": as_html(text), "parse_mode": "HTML"}
            if keyboard and index == len(pieces) - 1:
                params["reply_markup"] = keyboard
            planned.append(Outgoing("sendMessage", params))
        pending.clear()

    for reply in replies:
        if reply.text and reply.text.strip():
            pending.append(reply.text.strip())
        if reply.buttons:
            close(inline_keyboard(reply.buttons))
        if reply.image:
            close()
            planned.append(Outgoing("sendPhoto", {"photo": reply.image}))
        if reply.custom:
            close()
            planned.append(Outgoing("custom", dict(reply.custom)))
    close()
    return planned


def chat_id_of(recipient_id: str) -> str:
    """The chat a conversation id belongs to: group conversations are ``<chat>:<member>``."""
    return str(recipient_id).split(":", 1)[0]


def _conversation_id(chat: dict[str, Any], person_id: Any) -> str:
    if chat.get("type") in GROUP_CHAT_TYPES and person_id is not None:
        return f"{chat['id']}:{person_id}"
    return str(chat["id"])


def _person_id(message: dict[str, Any]) -> tuple[bool, Any]:
    """(written by a person, id of their conversation in a group) for a message.

    An anonymous group admin's message comes ``from`` the bot account GroupAnonymousBot with the
    group itself as ``sender_chat``; a member posting as one of their channels comes from
    Channel_Bot with that channel as ``sender_chat``. Both are people asking, so they are answered;
    their conversation is keyed by the ``sender_chat`` id, the only identity Telegram gives them
    (all anonymous admins of a group therefore share one conversation). A channel post Telegram
    copies into its discussion group (``is_automatic_forward``) is nobody asking.
    """
    sender_chat = message.get("sender_chat")
    if isinstance(sender_chat, dict) and "id" in sender_chat:
        return not message.get("is_automatic_forward"), sender_chat["id"]
    user = message.get("from") or {}
    return not user.get("is_bot"), user.get("id")


def _thread_of(message: dict[str, Any]) -> int | None:
    """The forum topic a message is in, for answers to stay in it.

    Only for forum supergroups: outside a forum, ``message_thread_id`` names a reply thread, and
    sending it back would fail ("message thread not found").
    """
    thread = message.get("message_thread_id")
    chat = message.get("chat") or {}
    if isinstance(thread, int) and (message.get("is_topic_message") or chat.get("is_forum")):
        return thread
    return None


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


def _entity_text(text: str, entity: dict[str, Any]) -> str:
    """The part of ``text`` an entity covers: Telegram counts offsets in UTF-16 code units, so an
    emoji before a mention shifts Python's character offsets."""
    try:
        start, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
    except (TypeError, ValueError):
        return ""
    units = text.encode("utf-16-le")
    return units[2 * start:2 * (start + length)].decode("utf-16-le", errors="ignore")


def _handle_pattern(bot_username: str) -> re.Pattern[str]:
    """``@username`` as a whole username: ``@ourbot`` does not match inside ``@ourbot_old``."""
    return re.compile(rf"(?<![A-Za-z0-9_@])@{re.escape(bot_username)}(?![A-Za-z0-9_])", re.IGNORECASE)


def _mentions(message: dict[str, Any], text: str, bot_username: str | None,
              bot_id: str | None = None) -> bool:
    """Whether the message addresses the bot by name, judged from Telegram's entities.

    ``mention`` entities must be exactly ``@<our username>`` (case-insensitive), a ``text_mention``
    must be our account, a ``bot_command`` with an ``@`` suffix must name us. Only a message with
    no entity list at all (not what Telegram sends for a mention) falls back to the whole-word
    pattern of :func:`_handle_pattern`.
    """
    key = "entities" if "text" in message else "caption_entities"
    entities = message.get(key)
    handle = (bot_username or "").lower()
    if not isinstance(entities, list):
        return bool(bot_username) and bool(_handle_pattern(bot_username).search(text))
    for entity in entities:
        if not isinstance(entity, dict):
            continue
        kind = entity.get("type")
        if kind == "mention" and handle and _entity_text(text, entity).lower() == f"@{handle}":
            return True
        if kind == "text_mention":
            user = entity.get("user") or {}
            if (handle and str(user.get("username", "")).lower() == handle) or \
                    (bot_id and str(user.get("id")) == bot_id):
                return True
        if kind == "bot_command" and handle:
            _, at, addressee = _entity_text(text, entity).partition("@")
            if at and addressee.lower() == handle:
                return True
    return False


def _replies_to_bot(message: dict[str, Any], bot_username: str | None) -> bool:
    replied = message.get("reply_to_message") or {}
    if "forum_topic_created" in replied:
        return False  # every message in a forum topic "replies" to the topic's first message
    author = replied.get("from") or {}
    return bool(bot_username and author.get("is_bot")
                and str(author.get("username", "")).lower() == bot_username.lower())


def _strip_mention(text: str, bot_username: str | None) -> str:
    if not bot_username:
        return text.strip()
    return re.sub(r"[ \t]{2,}", " ", _handle_pattern(bot_username).sub(" ", text)).strip()


def _as_rasa_text(text: str, bot_username: str | None) -> str | None:
    """What Rasa gets for typed ``text``: commands become intents or questions, and nothing a
    user types can become an intent payload (Rasa reads any text starting with ``/`` as one).
    None for a command addressed to another bot."""
    text = text.strip()
    command = _command_text(text, bot_username)
    if command is not None:
        mapped, addressed = command
        return mapped if addressed else None
    return text.lstrip("/").strip() if text.startswith("/") else text


def incoming_from_update(update: dict[str, Any], bot_username: str | None,
                         bot_id: str | None = None) -> Incoming | None:
    """What to tell Rasa about a Telegram update, or None for updates the bot leaves alone.

    Answered: private messages (a voice note, sticker, location, photo without caption ... becomes
    the ``non_text_message`` intent, answered "I read typed questions only" in the user's
    language), group messages from people (including anonymous admins) that mention the bot, reply
    to it or are commands, and presses of its buttons. Ignored: other group chatter, messages from
    bots, edited messages, channel posts, membership changes and other service messages.
    ``bot_id`` (the number before the token's colon) recognises a ``text_mention`` of the bot.
    """
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        message, user = callback.get("message"), callback.get("from") or {}
        data = callback.get("data")
        if not isinstance(message, dict) or not isinstance(data, str) \
                or not isinstance(message.get("chat"), dict):
            return None
        chat = message["chat"]
        in_group = chat.get("type") in GROUP_CHAT_TYPES
        return Incoming(chat["id"], _conversation_id(chat, user.get("id")), data,
                        user.get("language_code"), callback_query_id=str(callback.get("id", "")),
                        reply_to_message_id=message.get("message_id") if in_group else None,
                        message_thread_id=_thread_of(message))
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None
    chat, user = message["chat"], message.get("from") or {}
    is_person, person_id = _person_id(message)
    if not is_person:
        return None
    in_group = chat.get("type") in GROUP_CHAT_TYPES
    if chat.get("type") != "private" and not in_group:
        return None
    typed = message.get("text") if "text" in message else message.get("caption")
    if typed is None:
        if not any(key in message for key in NON_TEXT_CONTENT):
            return None  # a service message: someone joined, a pin, a topic was created ...
        if in_group and not _replies_to_bot(message, bot_username):
            return None
        text: str | None = NON_TEXT_PAYLOAD
    elif not isinstance(typed, str):
        return None
    elif in_group and _command_text(typed.strip(), bot_username) is None:
        if not (_mentions(message, typed, bot_username, bot_id) or _replies_to_bot(message, bot_username)):
            return None
        text = _as_rasa_text(_strip_mention(typed, bot_username), bot_username)
    else:
        text = _as_rasa_text(typed, bot_username)
    if text is None:
        return None
    return Incoming(chat["id"], _conversation_id(chat, person_id), text, user.get("language_code"),
                    reply_to_message_id=message.get("message_id") if in_group else None,
                    message_thread_id=_thread_of(message))


def _form_value(value: Any) -> str:
    """A Bot API parameter as a form field: objects as JSON, booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _reply_target_gone(error: BadRequest) -> bool:
    text = str(error).lower()
    return "replied not found" in text or "reply message not found" in text


def _status_of(error: TelegramAPIError) -> int | None:
    """The HTTP status aiogram appends to errors it has no class for ("... [429]"); 5xx errors
    carry none, so None means "server error" for a plain TelegramAPIError."""
    match = re.search(r"\[(\d{3})\]\s*$", str(error))
    return int(match.group(1)) if match else None


class TelegramReplies(TelegramOutput):
    """Sends the bot's replies through the Bot API at a configurable base URL, with retries.

    The webhook hands each turn's replies to :meth:`deliver`. The ``send_*`` methods Rasa calls on
    an output channel directly (e.g. ``/conversations/<id>/trigger_intent`` with
    ``output_channel=telegram``) send at once through the same retrying path.
    """

    def __init__(self, access_token: str, api_base_url: str = DEFAULT_API_BASE_URL,
                 policy: RetryPolicy | None = None) -> None:
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_base_url),
                     timeout=REQUEST_TIMEOUT_SECONDS)
        self.policy = policy or RetryPolicy.from_config()

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.deliver(ReplyTarget(chat_id_of(recipient_id)), plan_messages([Reply(text=text)]))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        """Text with an inline keyboard, one button per row; the keyboard goes on the last piece."""
        await self.deliver(ReplyTarget(chat_id_of(recipient_id)),
                           plan_messages([Reply(text=text, buttons=list(buttons))]))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.deliver(ReplyTarget(chat_id_of(recipient_id)), plan_messages([Reply(image=image)]))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        await self.deliver(ReplyTarget(chat_id_of(recipient_id)),
                           plan_messages([Reply(custom=json_message)]))

    async def deliver(self, target: ReplyTarget, messages: list[Outgoing]) -> int:
        """Send ``messages`` in order to ``target``; how many were sent. Never raises.

        The first message replies to ``target.reply_to_message_id`` (if any); every message stays
        in the target's forum topic. All retries of one answer share ``policy.max_wait`` seconds;
        what could not be sent in the end is logged as an error with the chat and the count.
        """
        deadline = time.monotonic() + self.policy.max_wait
        chat_id: int | str = target.chat_id
        sent, last_problem = 0, ""
        for index, message in enumerate(messages):
            params: dict[str, Any] = {"chat_id": chat_id, **message.params}
            if message.method != "custom":
                if target.message_thread_id is not None:
                    params["message_thread_id"] = target.message_thread_id
                if index == 0 and target.reply_to_message_id is not None:
                    params["reply_to_message_id"] = target.reply_to_message_id
                    params["allow_sending_without_reply"] = True
            outcome, problem = await self._send_with_retries(message.method, params, deadline)
            chat_id = params["chat_id"]  # a group that became a supergroup has a new id
            if outcome is Outcome.SENT:
                sent += 1
                continue
            last_problem = problem
            if outcome is Outcome.STOP:
                break
        lost = len(messages) - sent
        if lost:
            logger.error("Telegram: %d of %d message(s) of an answer to chat %s were not sent: %s",
                         lost, len(messages), target.chat_id, last_problem)
        return sent

    async def _send_with_retries(self, method: str, params: dict[str, Any],
                                 deadline: float) -> tuple[Outcome, str]:
        """One message, tried until sent, refused for good, out of attempts or out of time."""
        problem = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                await self._call(method, params)
                return Outcome.SENT, ""
            except RetryAfter as error:
                # Flood control: Telegram says how long; retrying sooner only extends the ban.
                delay, problem = float(error.timeout), f"429 flood control, retry_after {error.timeout} s"
            except MigrateToChat as error:
                logger.warning("Telegram chat %s is now supergroup %s; sending there",
                               params["chat_id"], error.migrate_to_chat_id)
                params["chat_id"] = error.migrate_to_chat_id
                problem = f"chat migrated to {error.migrate_to_chat_id}"
                continue
            except BadRequest as error:
                if _reply_target_gone(error) and "reply_to_message_id" in params:
                    # Only servers that ignore allow_sending_without_reply get here.
                    params.pop("reply_to_message_id")
                    params.pop("allow_sending_without_reply", None)
                    problem = f"400 {error}"
                    continue
                logger.error("Telegram refused %s to chat %s: %s", method, params["chat_id"], error)
                return Outcome.FAILED, f"400 {error}"
            except (Unauthorized, NotFound, ConflictError) as error:
                # Bot blocked or removed, wrong token: no later message can go either.
                return Outcome.STOP, str(error)
            except TelegramAPIError as error:
                status = _status_of(error)
                if status is not None and 400 <= status < 500 and status != 429:
                    return Outcome.FAILED, str(error)
                delay, problem = self.policy.backoff_delay(attempt), str(error)
            except (asyncio.TimeoutError, aiohttp.ClientError, OSError) as error:
                delay = self.policy.backoff_delay(attempt)
                problem = f"{type(error).__name__}: {error}".rstrip(": ")
            if attempt == self.policy.max_attempts:
                return Outcome.STOP, f"{problem} (after {attempt} attempts)"
            if time.monotonic() + delay > deadline:
                return Outcome.STOP, (f"{problem}; waiting {delay:g} s more would exceed "
                                      f"TELEGRAM_SEND_MAX_WAIT_SECONDS={self.policy.max_wait:g}")
            logger.warning("Telegram %s to chat %s failed (%s); attempt %d of %d, next in %.1f s",
                           method, params["chat_id"], problem, attempt, self.policy.max_attempts, delay)
            await asyncio.sleep(delay)
        return Outcome.STOP, problem

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "custom":
            custom = dict(params)
            chat_id = custom.pop("chat_id")
            return await TelegramOutput.send_custom_json(self, chat_id, custom)
        return await self.request(method, {key: _form_value(value) for key, value in params.items()
                                           if value is not None})


class TurnReplies(OutputChannel):
    """Collects the replies Rasa utters in one webhook turn, to be merged and sent afterwards."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.replies.append(Reply(text=text))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        self.replies.append(Reply(text=text, buttons=list(buttons)))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self.replies.append(Reply(image=image))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        self.replies.append(Reply(custom=json_message))


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
                 debug_mode: bool = False, updates: UpdateStore | None = None) -> None:
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
        self._updates = updates
        #: Deliveries under way; each chat's newest one, which the chat's next answer waits for.
        self._deliveries: set[asyncio.Task[Any]] = set()
        self.rate_limiter = sender_rate_limiter()
        self._app: Any = None  # the Rasa server's app, for replies outside a user turn
        self._chat_tails: dict[str, asyncio.Task[Any]] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.access_token)

    @property
    def bot_id(self) -> str | None:
        """The bot's user id: the public number before the colon of its token."""
        return self.access_token.split(":", 1)[0] if self.access_token else None

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
            except (TelegramAPIError, asyncio.TimeoutError, aiohttp.ClientError) as error:
                logger.error("getMe failed (%s); group mentions cannot be recognised yet", error)
        return self._bot_username

    def claim(self, update_id: int) -> bool:
        """True the first time ``update_id`` is seen by any replica sharing the update store.

        If the store itself fails, the update is answered: a rare double answer beats silence.
        """
        try:
            if self._updates is None:
                self._updates = update_store()
            return self._updates.claim(self.bot_id or "", update_id)
        except UpdateStoreError:
            logger.exception("Telegram update store failed; handling update %s without the "
                             "duplicate check", update_id)
            return True

    def _secret_ok(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return bool(self.secret_token) and hmac.compare_digest(given.encode(), self.secret_token.encode())

    def _in_background(self, chat_key: str | None, work: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        """Run ``work`` after the webhook has answered; with a ``chat_key``, after that chat's
        previous delivery, so answers arrive in order and share the chat's flood-control wait."""
        previous = self._chat_tails.get(chat_key) if chat_key is not None else None

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await work()
            except Exception:  # noqa: BLE001 - a background task has nobody to raise to
                logger.exception("Telegram delivery to chat %s failed", chat_key)

        task = asyncio.get_running_loop().create_task(run())
        self._deliveries.add(task)
        if chat_key is not None:
            self._chat_tails[chat_key] = task

        def done(finished: asyncio.Task[Any]) -> None:
            self._deliveries.discard(finished)
            if chat_key is not None and self._chat_tails.get(chat_key) is finished:
                del self._chat_tails[chat_key]

        task.add_done_callback(done)
        return task

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for the deliveries under way (tests; server shutdown); True if none is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._deliveries:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            await asyncio.wait(set(self._deliveries), timeout=left)
        return not self._deliveries

    async def handle_update(self, update: dict[str, Any],
                            on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> str:
        """Handle one update: "ignored", "duplicate", "rate_limited" or "ok" (answered, or being answered).

        The Rasa turn runs before the webhook answers (so the conversation has the message, in
        order, when Telegram gets its 200; a turn is bounded by ACTION_TIMEOUT_SECONDS). Sending
        the answer happens after: Telegram waits for the webhook's answer and redelivers the
        update when it is slow, while sending may wait tens of seconds for flood control or a
        Bot API that is down. The update id is claimed first, so a redelivery, even to another
        replica, is not answered again.
        """
        incoming = incoming_from_update(update, await self.bot_username(), bot_id=self.bot_id)
        if incoming is None:
            return "ignored"
        if not self.claim(update["update_id"]):
            logger.info("Telegram update %s delivered again; already handled", update["update_id"])
            return "duplicate"
        verdict = self.rate_limiter.check(incoming.sender_id)
        if verdict is Verdict.DROP:
            logger.info("Telegram: %s is over the rate limit; update %s dropped", incoming.sender_id,
                        update["update_id"])
            return "rate_limited"
        notice = (RATE_LIMITED_RESPONSE if verdict is Verdict.NOTIFY
                  else NON_TEXT_RESPONSE if incoming.text == NON_TEXT_PAYLOAD else None)
        text = clip_message(incoming.text)
        output = self.get_output_channel()
        if incoming.callback_query_id:
            self._in_background(None, lambda: self._answer_callback(incoming.callback_query_id or ""))
        turn = TurnReplies()
        metadata = with_language_hint(
            {HINT_KEY: incoming.language_code, "chat_id": incoming.chat_id},
            "" if text.startswith("/") else text)
        try:
            if notice:
                await send_response(self._app, incoming.sender_id, response=notice, output_channel=turn,
                                    metadata=metadata)
            else:
                await on_new_message(UserMessage(text, turn, incoming.sender_id,
                                                 input_channel=self.name(), metadata=metadata))
        except Exception:  # noqa: BLE001 - Telegram would retry the update forever
            logger.exception("Handling Telegram update %s failed", update.get("update_id"))
        messages = plan_messages(turn.replies)
        if messages:
            target = ReplyTarget(incoming.chat_id, incoming.message_thread_id,
                                 incoming.reply_to_message_id)
            self._in_background(str(incoming.chat_id), lambda: output.deliver(target, messages))
        return "ok"

    async def _answer_callback(self, callback_query_id: str) -> None:
        """Stop the button's spinner; one try, as it only matters for a few seconds."""
        try:
            await self.get_output_channel().answer_callback_query(callback_query_id)
        except (TelegramAPIError, asyncio.TimeoutError, aiohttp.ClientError) as error:
            logger.warning("answerCallbackQuery failed: %s", error)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("briefing_telegram_webhook", __name__)
        cap_request_size(telegram_webhook)

        @telegram_webhook.listener("before_server_start")
        async def keep_app(app: Any, _loop: Any) -> None:
            self._app = app

        @telegram_webhook.listener("before_server_stop")
        async def finish_deliveries(_app: Any, _loop: Any) -> None:
            if self._deliveries and not await self.drain(timeout=5):
                logger.error("Telegram: %d answer(s) still unsent at shutdown", len(self._deliveries))

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
            return response.json({"status": await self.handle_update(update, on_new_message)})

        return telegram_webhook
