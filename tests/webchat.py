"""A web-chat client for the tests: what the widget does over socket.io (polling transport:
python-socketio's WebSocket transport does not work with the aiohttp version Rasa 3.6 pins)."""

from __future__ import annotations

import asyncio
import time

import socketio


class WebChatClient:
    """What the widget does: connect, ask for a session, send user_uttered, collect bot_uttered."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.sio.on("bot_uttered", self.replies.put)
        self.sio.on("session_confirm", self.confirmed.put)

    async def connect(self, base_url: str, wait_timeout: float = 10) -> None:
        await self.sio.connect(base_url, socketio_path="/socket.io", transports=["polling"],
                               wait_timeout=wait_timeout)

    async def session(self, requested: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": requested})
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, session_id: str, message, metadata: dict | None = None) -> None:
        await self.sio.emit("user_uttered", {"session_id": session_id, "message": message,
                                             "customData": metadata or {}})

    async def replies_within(self, seconds: float) -> list[str]:
        out = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                reply = await asyncio.wait_for(self.replies.get(), left)
            except asyncio.TimeoutError:
                break
            out.append(reply.get("text", ""))
            deadline = min(deadline, time.monotonic() + 1.0)  # the rest of one turn comes quickly
        return out

    async def close(self) -> None:
        """Disconnect without waiting for the pending long-poll to come back (up to 25 s)."""
        if self.sio.eio.state == "connected":
            await self.sio.eio.disconnect(abort=True)
