"""``action_show_menu``: the topics the bot knows, as quick replies in the user's language."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import conversation_language, menu_buttons, store
from bot.facts import StoreNotBuiltError


class ActionShowMenu(Action):
    """Sends ``utter_topics_menu`` with one button per menu entry of the facts store."""

    def name(self) -> str:
        return "action_show_menu"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        show_menu(dispatcher, conversation_language(tracker))
        return []


def show_menu(dispatcher: CollectingDispatcher, lang: str) -> None:
    """Used by every action that offers the topics (menu, "I don't know")."""
    try:
        entries = store().menu()
    except (StoreNotBuiltError, SQLAlchemyError):
        dispatcher.utter_message(response="utter_facts_unavailable")
        return
    dispatcher.utter_message(response="utter_topics_menu", buttons=menu_buttons(entries, lang))
