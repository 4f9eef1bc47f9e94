"""A reply a channel sends on its own, outside the NLU and the dialogue policy: "you are sending too
fast" to a sender over the rate limit, "I read typed questions only" for a Telegram voice note.

These are not things a user says, so they are not intents: an intent used only by rules still
becomes a class of the intent classifier (Rasa adds the intents of rules to its training labels),
and two such classes measurably moved the held-out Japanese NLU figures. Instead the channel has
Rasa run the response's utter action in the conversation, as Rasa's own
``POST /conversations/<id>/execute`` does: under the conversation's lock, with the domain's
response in the conversation's language (a new conversation is started first, with the channel's
metadata, so its language hint applies), and the bot's reply is kept in the tracker.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import OutputChannel

logger = logging.getLogger(__name__)


async def send_response(app: Any, sender_id: str, response: str, output_channel: OutputChannel,
                        metadata: dict[str, Any] | None = None) -> None:
    """Utter the domain ``response`` to ``sender_id`` through ``output_channel``.

    ``app`` is the Rasa server's Sanic app (``app.ctx.agent`` is the loaded agent).
    """
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None or agent.processor is None:
        logger.error("No model loaded; cannot send %s to %s", response, sender_id)
        return
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.processor.fetch_tracker_and_update_session(
            sender_id, output_channel, metadata)
        await agent.processor.save_tracker(tracker)
        await agent.execute_action(sender_id, response, output_channel, policy=None, confidence=None)
