"""The Rasa runtime fixes: valid action responses pass and invalid ones fail as in Rasa; a custom
action that cannot run (server down, 5xx, hanging) gets the user an apology, never silence."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

import bot.components  # noqa: F401 - applies the fixes, as the Rasa server does
from bot import rasa_patches
from bot.runtime.processes import free_port  # a loopback port nothing listens on

VALID = {"events": [{"event": "slot", "name": "language", "value": "ja", "timestamp": None}],
         "responses": [{"text": "answer", "buttons": [{"title": "t", "payload": "/greet"}]}]}


@pytest.fixture()
def action() -> RemoteAction:
    return RemoteAction("action_answer_fact", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_patch_is_installed_by_importing_the_components():
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
    assert RemoteAction.run is rasa_patches._run_or_apologise
    from rasa.utils.tensorflow.models import RasaModel
    assert RasaModel.load.__func__ is rasa_patches._load_for_prediction
    from rasa.shared.core.events import Event
    assert Event.resolve_by_type is rasa_patches._resolve_by_type


def test_event_classes_resolve_as_rasa_resolves_them():
    """Every event type name gives Rasa's class, twice (the second time remembered); unknown names
    keep Rasa's default, its error and its ``topic`` exception; events read back are equal."""
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.utils.common import all_subclasses

    original = rasa_patches._original_resolve_by_type
    for cls in all_subclasses(Event):
        for _ in range(2):
            assert Event.resolve_by_type(cls.type_name) is original(cls.type_name)
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    assert "no_such_event" not in rasa_patches._event_classes
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    events = [ActionExecuted("action_listen"), SlotSet("language", "id"), BotUttered("hai"),
              SessionStarted()]
    assert [Event.from_parameters(e.as_dict()) for e in events] == events


@pytest.mark.servers
@pytest.mark.beside
def test_loading_without_the_training_step_gives_the_same_predictions(monkeypatch):
    """Our trained model, loaded by Rasa's loader and by ours: every intent and fact confidence of
    30 questions in three languages is the same, to the last bit."""
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    from bot.runtime.processes import MODEL

    if not MODEL.exists():
        pytest.skip("needs the trained model (make train)")
    questions = ["Apa itu SMRJ?", "Kapan Teten bertemu Nagamine?", "berapa dana yang dijanjikan?",
                 "中小機構とは何ですか", "会談はいつでしたか", "ヒリリサシについて教えて",
                 "What is the 30% credit ratio?", "Who is Nagamine?", "how much funding was pledged?",
                 "hai", "rumput laut", "ok"] * 2 + ["IFC?", "Teten", "蒲郡", "brief me", "ありがとう", "bye"]

    def predictions() -> list[tuple]:
        agent = Agent.load(str(MODEL))
        out = []
        for text in questions:
            parsed = asyncio.run(agent.parse_message(text))
            facts = parsed.get("response_selector", {}).get("ask_fact", {}).get("ranking", [])
            out.append((tuple((i["name"], i["confidence"]) for i in parsed["intent_ranking"]),
                        tuple((f["intent_response_key"], f["confidence"]) for f in facts)))
        return out

    ours = predictions()
    monkeypatch.setattr(RasaModel, "load", classmethod(rasa_patches._original_load))
    assert predictions() == ours


def test_valid_response_passes(action):
    assert action._validate_action_result(VALID) is True


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"events": [{"event": "slot", "timestamp": "soon"}]},
                                 {"events": [{"no_event_key": 1}]}])
def test_invalid_response_fails_with_rasas_message(action, bad):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(bad)


def test_schema_is_checked_once_not_per_call(action, monkeypatch):
    action._validate_action_result(VALID)  # builds the validator (and checks the schema) once
    calls = []
    validator_class = type(rasa_patches._action_response_validator())
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, s: calls.append(s)))
    for _ in range(20):
        action._validate_action_result(VALID)
    assert calls == []


# --- a failing action server gets the user an apology, never silence ------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


def _tracker(language: str | None, domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker("someone", domain.slots)
    tracker.update(SlotSet("language", language))
    return tracker


async def _serve(handler) -> tuple[asyncio.AbstractServer, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/webhook"


async def _hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


async def _error_500(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()
    writer.close()


async def _run(action_name: str, url: str, language: str | None, domain: Domain) -> list:
    action = RemoteAction(action_name, EndpointConfig(url))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    return await action.run(CollectingOutputChannel(), nlg, _tracker(language, domain), domain)


def _apology(domain: Domain, language: str) -> str:
    variations = domain.responses[rasa_patches.UNAVAILABLE_RESPONSE]
    conditional = {v["condition"][0]["value"]: v["text"] for v in variations if v.get("condition")}
    return conditional.get(language) or next(v["text"] for v in variations if not v.get("condition"))


@pytest.mark.parametrize("language", ["id", "ja", "en"])
async def test_action_server_down_gets_an_apology_in_the_conversations_language(domain, language):
    events = await _run("action_answer_fact", f"http://127.0.0.1:{free_port()}/webhook", language, domain)
    assert [type(e) for e in events] == [BotUttered]
    assert events[0].text == _apology(domain, language)


async def test_action_server_error_gets_an_apology(domain):
    server, url = await _serve(_error_500)
    async with server:
        events = await _run("action_answer_fact", url, "ja", domain)
    assert [e.text for e in events] == [_apology(domain, "ja")]


async def test_hanging_action_server_gets_an_apology_after_the_timeout(domain, monkeypatch):
    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", "0.5")
    server, url = await _serve(_hang)
    async with server:
        started = time.monotonic()
        events = await _run("action_show_menu", url, "id", domain)
        elapsed = time.monotonic() - started
    assert [e.text for e in events] == [_apology(domain, "id")]
    assert 0.4 < elapsed < 3


async def test_session_start_does_not_need_the_action_server(domain):
    events = await _run("action_session_start", f"http://127.0.0.1:{free_port()}/webhook", "ja", domain)
    assert isinstance(events[0], SessionStarted)
    assert isinstance(events[-1], ActionExecuted) and events[-1].action_name == "action_listen"
    assert not any(isinstance(e, BotUttered) for e in events)


async def test_an_action_rejecting_itself_keeps_rasas_handling(domain, monkeypatch):
    async def reject(*args, **kwargs):
        raise ActionExecutionRejection("action_answer_fact")
    monkeypatch.setattr(rasa_patches, "_original_run", reject)
    with pytest.raises(ActionExecutionRejection):
        await _run("action_answer_fact", "http://127.0.0.1:1/webhook", "en", domain)
