"""The web chat: its page, served by the Rasa server itself, and the socket.io channel it talks to.

``WebPageInput`` serves ``web/`` (the page, its script and styles, its UI strings and the vendored
socket.io client) under ``/webhooks/web/``, so the page and the bot share one origin and the page
can send a strict Content-Security-Policy: scripts and styles from this origin only, no inline code.

``PersistentSocketIOInput`` is Rasa's socket.io channel with ``session_persistence`` working.
Rasa 3.6 calls ``AsyncServer.enter_room`` without ``await`` (RasaHQ/rasa#13027); since
python-socketio 5.10 that is a coroutine, so the socket never joins its session's room and every
reply, which Rasa emits to that room, is lost. Persistence is what lets a reloaded page carry on the
same conversation (same sender id, same language).

Session ids are issued by this server and signed (HMAC-SHA256 with ``WEB_SESSION_SECRET``): a
browser resumes only a session id it was given, and a socket writes only into the session it
joined, whatever ``session_id`` a message claims. So nobody can write into (or read the replies of)
another user's conversation by guessing or copying a sender id, including another channel's (sender
ids are shared across channels in the tracker store). The public channels' limits apply
(``bot.channels.limits``): message length, messages per session per minute, socket.io payload size
and open connections per client address.

Its output (``WebPageOutput``) sends each bot response as one message: the text as written (the
page shows it as text, line breaks kept, never as HTML or Markdown) and its buttons as ``buttons``,
which stay under the message, where Rasa's output cuts a text at every blank line into several
messages and sends buttons as ``quick_replies`` (which chat widgets drop once the next message comes).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
import os
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import (
    ConnectionCounter,
    Verdict,
    cap_request_size,
    clip_message,
    sender_rate_limiter,
)
from bot.channels.notices import send_response
from bot.language.hints import with_language_hint
from bot.settings import settings

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
#: The vendored socket.io client (scripts/web_assets.sh); without it the page cannot work.
SOCKET_CLIENT = Path("vendor") / "socket.io.min.js"
INDEX = "index.html"
#: Only these kinds of file are served, each with its content type.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
#: Everything from this origin only: no inline script or style (the page has none; its icon is
#: inline SVG markup), no data: URLs. ws:/wss: because socket.io upgrades to a WebSocket on this host.
CSP = ("default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; "
       "style-src 'self'; img-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
#: One path segment: no "..", no hidden files, no separators or odd characters.
SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")
#: The session ids ``session_request`` hands out: uuid4().hex, then 32 hex digits of its signature.
SESSION_ID = re.compile(r"([0-9a-f]{32})([0-9a-f]{32})")
#: Where the signing key is kept when WEB_SESSION_SECRET is not set.
SESSION_KEY_FILE = ROOT / "var" / "web_session.key"


def _headers() -> dict[str, str]:
    """A fresh copy for each response: Sanic adds to the dict it is given (e.g. Location)."""
    return dict(SECURITY_HEADERS)


def resolve_web_file(web_dir: Path, relative: str) -> Path | None:
    """The file under ``web_dir`` that ``relative`` names, or None if it is not one we serve.

    Checked segment by segment before touching the file system, then once more after resolving
    symlinks, so neither ``..`` nor an encoded or linked escape can leave ``web_dir``.
    """
    parts = relative.split("/")
    if not relative or len(parts) > 4 or not all(SEGMENT.fullmatch(part) for part in parts):
        return None
    candidate = web_dir.joinpath(*parts)
    if candidate.suffix.lower() not in CONTENT_TYPES:
        return None
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    base = web_dir.resolve()
    if base not in resolved.parents or not resolved.is_file():
        return None
    return resolved


class WebPageInput(InputChannel):
    """Serves the web chat page at ``/webhooks/web/``; messages go over the socket.io channel."""

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """An entry without settings (``bot.channels.web_page.WebPageInput:``) gives None here."""
        credentials = credentials or {}
        return cls(Path(credentials["web_dir"]) if credentials.get("web_dir") else WEB_DIR)

    def __init__(self, web_dir: Path = WEB_DIR) -> None:
        self.web_dir = web_dir

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The page and its files; the page answers 503 (with what to run) without the client."""
        web_page = Blueprint("web_page", __name__)

        @web_page.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            # Relative asset URLs need the trailing slash: /webhooks/web -> /webhooks/web/
            if not request.path.endswith("/"):
                return response.redirect(request.path + "/", headers=_headers())
            if resolve_web_file(self.web_dir, SOCKET_CLIENT.as_posix()) is None:
                logger.error("web chat: %s is missing; run scripts/web_assets.sh",
                             self.web_dir / SOCKET_CLIENT)
                return response.text(
                    "The web chat is not installed on this server: its socket.io client "
                    f"web/{SOCKET_CLIENT.as_posix()} is missing. Operator: run scripts/web_assets.sh "
                    "(make run does this), then reload this page.\n",
                    status=503, headers=_headers())
            return await self._file(INDEX)

        @web_page.route("/<relative:path>", methods=["GET"])
        async def static(request: Request, relative: str) -> HTTPResponse:
            if not relative:  # Sanic routes "/webhooks/web/" here, with an empty path
                return await page(request)
            return await self._file(relative)

        return web_page

    async def _file(self, relative: str) -> HTTPResponse:
        path = resolve_web_file(self.web_dir, relative)
        if path is None:
            return response.text("Not found\n", status=404, headers=_headers())
        return await response.file(path, mime_type=CONTENT_TYPES[path.suffix.lower()],
                                   headers=_headers())


class WebPageOutput(SocketIOOutput):
    """Rasa's socket.io output, one message per bot response, its buttons kept as ``buttons``.

    An answer card (the statement, a blank line, the source line; then a "source quote" button and
    follow-ups) thus reaches the page as one message with its buttons under it. The text is sent as
    written: the page renders it as text.
    """

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip()})

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {
            "text": text.strip(),
            "buttons": [{"title": button["title"], "payload": button.get("payload", button["title"])}
                        for button in buttons],
        })


class PersistentSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same name, settings and events) with session persistence fixed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate_limiter = sender_rate_limiter()
        self.connections = ConnectionCounter()

    def get_output_channel(self) -> OutputChannel | None:
        """For messages the bot sends on its own (e.g. reminders), sent like the replies."""
        return WebPageOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with the two session handlers replaced when persistence is on."""
        socketio_webhook = super().blueprint(on_new_message)
        cap_request_size(socketio_webhook)
        sio = self.sio
        if sio is None:
            return socketio_webhook
        # One socket.io message (WebSocket frame or polling POST) is no bigger than a request.
        sio.eio.max_http_buffer_size = settings().bot_max_request_bytes
        if not self.session_persistence:
            return socketio_webhook
        key = session_key()
        app_holder: dict[str, Any] = {}

        @socketio_webhook.listener("before_server_start")
        async def keep_app(app: Any, _loop: Any) -> None:
            app_holder["app"] = app

        # Which session each socket joined: its messages go there, whatever they claim.
        joined_session: dict[str, str] = {}

        # Registering a handler for an event replaces the one Rasa registered for it.
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            address = client_address(environ)
            if not self.connections.open(sid, address):
                logger.warning("web chat: refused a connection from %s (over %d open connections)",
                               address, self.connections.limit)
                return False
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_reason: Any) -> None:
            self.connections.close(sid)
            joined_session.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if verify_session_id(requested, key) else new_session_id(key)
            joined = sio.enter_room(sid, session_id, namespace=self.namespace)
            if inspect.isawaitable(joined):  # a coroutine since python-socketio 5.10
                await joined
            joined_session[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            session_id = joined_session.get(sid)
            if session_id is None or not isinstance(data, dict) or data.get("session_id") != session_id:
                logger.warning("web chat: message for a session this socket did not join; ignored")
                return
            verdict = self.rate_limiter.check(session_id)
            if verdict is Verdict.DROP:
                return
            text = data.get("message", "")
            text = clip_message(text) if isinstance(text, str) else ""
            metadata = with_language_hint(_metadata(data.get(self.metadata_key)), text)
            output = WebPageOutput(sio, self.bot_message_evt)
            if verdict is Verdict.NOTIFY:
                await send_response(app_holder.get("app"), session_id, response="utter_rate_limited",
                                    output_channel=output, metadata=metadata)
                return
            await on_new_message(UserMessage(text, output, session_id, input_channel=self.name(),
                                             metadata=metadata))

        return socketio_webhook


def client_address(environ: dict[str, Any]) -> str:
    """The client's address: engine.io's Sanic driver puts a fixed 127.0.0.1 in REMOTE_ADDR, so
    ask the Sanic request (``remote_addr`` honours forwarded headers only where the operator
    configured a trusted proxy, Sanic's PROXIES_COUNT / REAL_IP_HEADER)."""
    request = environ.get("sanic.request")
    if request is not None:
        return str(request.remote_addr or request.ip)
    return str(environ.get("REMOTE_ADDR", ""))


def session_key() -> bytes:
    """The key that signs session ids: WEB_SESSION_SECRET, or one made once and kept in var/."""
    secret = settings().web_session_secret
    if secret:
        return secret.encode()
    try:
        return SESSION_KEY_FILE.read_bytes()
    except FileNotFoundError:
        SESSION_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        made = secrets.token_hex(32).encode()
        try:  # O_EXCL: when two processes race, both end up with the file's key
            fd = os.open(SESSION_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return SESSION_KEY_FILE.read_bytes()
        with os.fdopen(fd, "wb") as file:
            file.write(made)
        return made


def _signature(random_part: str, key: bytes) -> str:
    return hmac.new(key, random_part.encode(), hashlib.sha256).hexdigest()[:32]


def new_session_id(key: bytes) -> str:
    """A fresh session id: 32 random hex digits and their signature."""
    random_part = uuid.uuid4().hex
    return random_part + _signature(random_part, key)


def verify_session_id(value: Any, key: bytes) -> bool:
    """Whether ``value`` is a session id this server (or a replica with the same key) issued."""
    match = SESSION_ID.fullmatch(value) if isinstance(value, str) else None
    return match is not None and hmac.compare_digest(match.group(2), _signature(match.group(1), key))


def _metadata(raw: Any) -> dict[str, Any]:
    """The page's ``customData`` (an object, or JSON text from other clients); anything else: {}."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}
