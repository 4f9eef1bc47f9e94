"""Prometheus metrics on the action server (bot/metrics.py): rasa-sdk's own Sanic app, built and
extended as `python -m rasa_sdk --actions actions` does, driven in memory over ASGI with the tracker
payloads the Rasa server sends, in id, ja and en; then /metrics is read back and parsed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sanic import Sanic

from actions.answer_fact import ActionAnswerFact
from bot.review import ReviewStore, recorder
from tests.conftest import make_tracker

# Sanic warns that rasa-sdk's before_server_start listener runs at ASGI startup: that is intended here.
pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning")

#: (text, intent, language, ResponseSelector ranking, channel, action, outcome)
CONVERSATION = [
    ("credit ratio?", "ask_fact", "en", [("credit_ratio_30", 0.93)], "rest", "action_answer_fact",
     "answered"),
    ("SMRJはいくら出資しますか？", "ask_fact", "ja", [("org_smrj", 0.8)], "telegram", "action_answer_fact",
     "sources_dont_say"),
    ("Siapa presiden Indonesia sekarang?", "out_of_scope", "id", [], "socketio", "action_dont_know",
     "fallback"),
    ("概要を教えて", "brief", "ja", [], "socketio", "action_answer_fact", "answered"),
]


async def _asgi(app: Sanic, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to ``app`` through its ASGI interface (what an ASGI server would send)."""
    raw_headers = [(b"host", b"actions.test"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": raw_headers, "client": ("127.0.0.1", 40000),
             "server": ("actions.test", 5055)}
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers_out = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers_out, b"".join(m.get("body", b"") for m in sent
                                                   if m["type"] == "http.response.body")


@pytest.fixture()
async def action_server(store, tmp_path, monkeypatch):
    """rasa-sdk's app with our actions and its plugin hook applied, as `python -m rasa_sdk` builds
    it; started through ASGI lifespan."""
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.plugin import plugin_manager

    monkeypatch.setenv("REVIEW_DB_URL", f"sqlite:///{tmp_path / 'review.db'}")
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps named "rasa_sdk" in one session
    monkeypatch.setattr(Sanic, "_app_registry", {})
    app = create_app("actions")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    started = asyncio.Event()
    stopped = asyncio.Event()
    lifespan = [{"type": "lifespan.startup"}]

    async def receive() -> dict[str, str]:
        if lifespan:
            return lifespan.pop(0)
        await stopped.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await asyncio.wait_for(started.wait(), 10)
    yield app
    stopped.set()
    # Sanic 21.12 runs the shutdown listeners, then handles the lifespan scope as if it were a
    # request and fails on the missing request: that failure is not the app's.
    with contextlib.suppress(AttributeError):
        await asyncio.wait_for(task, 10)


def _action_call(action: str, text: str, intent: str, language: str, ranking, channel: str) -> dict:
    """The body the Rasa server POSTs to /webhook."""
    tracker = make_tracker(text, intent=intent, language=language, facts=ranking)
    state = tracker.current_state()
    state["events"].append({"event": "user", "text": text, "input_channel": channel,
                            "parse_data": state["latest_message"]})
    return {"next_action": action, "sender_id": "visitor-1", "tracker": state, "domain": {},
            "version": "3.6.21"}


def _samples(exposition: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(exposition) for sample in family.samples}


def _turns(samples, language: str, channel: str, outcome: str) -> float:
    key = ("briefing_turns_total", (("channel", channel), ("language", language), ("outcome", outcome)))
    return samples.get(key, 0.0)


async def test_metrics_count_turns_by_language_channel_and_outcome_after_a_conversation(
        action_server, store):
    status, _, body = await _asgi(action_server, "GET", "/metrics")
    assert status == 200
    before = _samples(body.decode())
    for text, intent, lang, ranking, channel, action, _ in CONVERSATION:
        call = json.dumps(_action_call(action, text, intent, lang, ranking, channel)).encode()
        status, _, reply = await _asgi(action_server, "POST", "/webhook", call,
                                       {"Content-Type": "application/json"})
        assert status == 200 and json.loads(reply)["responses"], reply
    # Rasa may compress its action calls (Content-Encoding: deflate): still timed by action name.
    text, intent, lang, ranking, channel, action, _ = CONVERSATION[0]
    call = zlib.compress(json.dumps(_action_call(action, text, intent, lang, ranking, channel)).encode())
    status, _, _ = await _asgi(action_server, "POST", "/webhook", call, {"Content-Encoding": "deflate"})
    assert status == 200
    status, headers, body = await _asgi(action_server, "GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    after = _samples(body.decode())

    for _, _, lang, _, channel, _, outcome in CONVERSATION:
        extra = 1 if (lang, channel) == ("en", "rest") else 0  # the compressed repeat
        assert _turns(after, lang, channel, outcome) - _turns(before, lang, channel, outcome) == 1 + extra
    for outcome in ("sources_dont_say", "fallback", "error"):
        assert _turns(after, "en", "rest", outcome) == _turns(before, "en", "rest", outcome)

    def calls(action: str, samples) -> float:
        return samples.get(("briefing_action_duration_seconds_count", (("action", action),)), 0.0)

    # Two fact questions, the compressed repeat and the briefing.
    assert calls("action_answer_fact", after) - calls("action_answer_fact", before) == 4
    assert calls("action_dont_know", after) - calls("action_dont_know", before) == 1
    info = store.info()
    assert after[("briefing_facts_store_facts", ())] == int(info["fact_count"]) == len(store.all())
    assert after[("briefing_facts_store_built_timestamp_seconds", ())] > 1.7e9
    assert 0 < after[("briefing_facts_store_build_seconds", ())] == float(info["build_seconds"]) < 60
    # The two unanswered questions went to the review store, through the same action server.
    assert recorder.flush(10)
    assert [(q.text, q.language, q.channel) for q in ReviewStore().questions()] == [
        (text, lang, channel) for text, _, lang, _, channel, _, outcome in CONVERSATION
        if outcome != "answered"]


async def test_an_unknown_action_is_not_a_label_and_openmetrics_is_negotiated(action_server):
    call = json.dumps({"next_action": "action_made_up", "tracker": make_tracker("x").current_state(),
                       "domain": {}, "version": "3.6.21"}).encode()
    status, _, _ = await _asgi(action_server, "POST", "/webhook", call)
    assert status == 404
    status, headers, body = await _asgi(action_server, "GET", "/metrics",
                                        headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert status == 200 and headers["content-type"].startswith("application/openmetrics-text")
    assert b"action_made_up" not in body and body.endswith(b"# EOF\n")


@pytest.mark.parametrize("lang", ["id", "ja", "en"])
async def test_a_facts_store_that_cannot_be_read_counts_as_an_error(store, dispatcher, domain,
                                                                   tmp_path, monkeypatch, lang):
    from actions import conversation

    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    monkeypatch.setenv("FACTS_DB_URL", f"sqlite:///{empty}")
    conversation.store.cache_clear()
    labels = {"language": lang, "channel": "unknown", "outcome": "error"}
    before = REGISTRY.get_sample_value("briefing_turns_total", labels) or 0.0
    tracker = make_tracker("credit ratio?", intent="ask_fact", language=lang,
                           facts=[("credit_ratio_30", 0.93)])
    await ActionAnswerFact().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_facts_unavailable"]
    assert REGISTRY.get_sample_value("briefing_turns_total", labels) == before + 1
