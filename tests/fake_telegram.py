"""A local stand-in for Telegram's Bot API: records every call and answers like Telegram does.

Runs an aiohttp server on a free loopback port in a background thread, so the Rasa server (or
the webhook command) can be pointed at it with ``TELEGRAM_API_BASE_URL``. No internet involved.

It can also misbehave the way Telegram does, for the next calls of a method: flood control (429
with ``parameters.retry_after``), server errors (5xx), a dropped connection (as when the API is
unreachable), and "message to be replied not found" for replies to messages marked deleted unless
``allow_sending_without_reply`` is true.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers import free_port

#: Parameters the channel sends as JSON text or numbers in form fields, decoded for assertions.
_JSON_PARAMS = ("reply_markup", "allowed_updates", "reply_parameters")
_INT_PARAMS = ("message_thread_id", "reply_to_message_id")


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = 0.0          # time.monotonic() when the call arrived


@dataclass
class FakeBotAPI:
    bot_username: str = "briefing_test_bot"
    calls: list[Call] = field(default_factory=list)
    port: int = 0
    #: Planned misbehaviour per method (lower case): each call pops the first entry.
    failures: dict[str, list[dict[str, Any] | str]] = field(default_factory=dict)
    #: Message ids a reply may point to that "no longer exist".
    deleted_messages: set[int] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of the calls of ``method`` that succeeded."""
        return [call.params for call in self.calls
                if call.method.lower() == method.lower() and call.status == 200]

    def attempts(self, method: str = "sendMessage") -> list[Call]:
        """Every call of ``method``, failed or not."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def clear(self) -> None:
        self.calls.clear()
        self.failures.clear()
        self.deleted_messages.clear()

    def flood(self, retry_after: int, times: int = 1, method: str = "sendMessage") -> None:
        """The next ``times`` calls get 429 Too Many Requests with ``retry_after`` seconds."""
        self._plan(method, times, {"status": 429, "body": {
            "ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after}}})

    def server_error(self, times: int = 1, status: int = 502, method: str = "sendMessage") -> None:
        """The next ``times`` calls get a 5xx, as when Telegram's servers are in trouble."""
        self._plan(method, times, {"status": status, "body": {
            "ok": False, "error_code": status, "description": "Bad Gateway"}})

    def disconnect(self, times: int = 1, method: str = "sendMessage") -> None:
        """The next ``times`` calls have their connection closed without an answer."""
        self._plan(method, times, "disconnect")

    def _plan(self, method: str, times: int, failure: dict[str, Any] | str) -> None:
        self.failures.setdefault(method.lower(), []).extend([failure] * times)

    def settle(self, at_least: int = 1, method: str = "sendMessage", quiet: float = 0.4,
               timeout: float = 30) -> list[dict[str, Any]]:
        """Wait until ``at_least`` ``method`` calls succeeded and no call came for ``quiet`` s.

        The channel sends answers after its webhook has answered, so tests wait for them here.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.calls[-1].at if self.calls else 0.0
            if len(self.sent(method)) >= at_least and time.monotonic() - last >= quiet:
                break
            time.sleep(0.05)
        return self.sent(method)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        for key in _JSON_PARAMS:
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        for key in _INT_PARAMS:
            if isinstance(params.get(key), str):
                params[key] = int(params[key])
        if isinstance(params.get("allow_sending_without_reply"), str):
            params["allow_sending_without_reply"] = params["allow_sending_without_reply"].lower() == "true"
        call = Call(token, method, params, at=time.monotonic())
        self.calls.append(call)
        planned = self.failures.get(method.lower())
        failure = planned.pop(0) if planned else None
        if failure == "disconnect":
            call.status = 0
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        if isinstance(failure, dict):
            call.status = failure["status"]
            return web.json_response(failure["body"], status=failure["status"])
        if (params.get("reply_to_message_id") in self.deleted_messages
                and not params.get("allow_sending_without_reply")):
            call.status = 400
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: message to be replied not found"},
                                     status=400)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        method = method.lower()
        if method == "getme":
            return {"id": 42, "is_bot": True, "first_name": "Briefing", "username": self.bot_username}
        if method in ("sendmessage", "sendphoto"):
            chat_id = int(params.get("chat_id", 0))
            return {"message_id": len(self.calls), "date": 0, "text": params.get("text", ""),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}}
        if method == "getwebhookinfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True

    def start(self) -> FakeBotAPI:
        """Serve in a background thread until the process ends (daemon thread)."""
        self.port = free_port()
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            app = web.Application()
            app.router.add_post("/bot{token}/{method}", self._handle)
            runner = web.AppRunner(app)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("fake Bot API did not start")
        return self
