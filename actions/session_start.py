"""``action_session_start``: Rasa's session start, plus the conversation's first language.

Rasa hands the first message's metadata to this action (slot ``session_started_metadata``). When
a channel sends a language hint there (Telegram's ``language_code``, the browser language), the
session starts in that language; a clear signal in the message itself still overrides it, because
the NLU's ``language`` entity is applied after this action.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import LANGUAGE_SLOT, SESSION_METADATA_SLOT, conversation_language


class ActionSessionStart(Action):
    """Starts a session, carries slots over (as Rasa's default does) and sets the language."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        carry_over = domain.get("session_config", {}).get("carry_over_slots_to_new_session", True)
        if carry_over:
            events.extend(SlotSet(name, value) for name, value in tracker.current_slot_values().items()
                          if value is not None and name not in (LANGUAGE_SLOT, SESSION_METADATA_SLOT))
        events.append(SlotSet(LANGUAGE_SLOT, conversation_language(tracker)))
        events.append(ActionExecuted("action_listen"))
        return events
