"""A local stand-in for Telegram's Bot API: records every call and answers like Telegram does.

Runs an aiohttp server on a free loopback port in a background thread, so the Rasa server (or
the webhook command) can be pointed at it with ``TELEGRAM_API_BASE_URL``. No internet involved.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers import free_port


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]


@dataclass
class FakeBotAPI:
    bot_username: str = "briefing_test_bot"
    calls: list[Call] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method.lower() == method.lower()]

    def clear(self) -> None:
        self.calls.clear()

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        self.calls.append(Call(token, method, params))
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
