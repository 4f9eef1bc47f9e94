"""Prometheus metrics of the action server, served at ``/metrics`` on its own port (``ACTION_PORT``).

Where the route comes from: ``python -m rasa_sdk`` (what ``rasa run actions`` runs) builds
rasa-sdk's Sanic app itself, and rasa-sdk 3.6 offers one extension point for it, the pluggy hook
``attach_sanic_app_extensions(app)``, called after the app is built (which imports our ``actions``
package) and before it serves. The actions package calls :func:`register`, whose hook
implementation adds the route and a middleware that times every ``/webhook`` call. So the start
command is ``python -m rasa_sdk --actions actions`` in ``make run``, the scale-out, docker-compose
and Kubernetes, and no second port is opened.

Metrics (one Sanic worker per action server, as everywhere here; replicas are scraped one by one):

- ``briefing_turns_total{language,channel,outcome}``: questions the answering actions (facts,
  "I don't know", briefing, source quote) handled, by
  the conversation's language, the channel (Rasa's input channel name) and the outcome: answered,
  sources_dont_say, fallback or error (facts store unavailable);
- ``briefing_action_duration_seconds{action}``: time the action server took per action call;
- ``briefing_facts_store_facts``, ``briefing_facts_store_built_timestamp_seconds`` and
  ``briefing_facts_store_build_seconds``: how many facts the store holds, when it was last built
  and how long that build took (read from the store at each scrape);
- ``briefing_review_record_failures_total``: unanswered questions that could not be recorded
  for review (bot/review/recorder.py);
- the client library's ``process_*`` and ``python_*`` metrics.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Iterator
from datetime import datetime

import pluggy
from prometheus_client import REGISTRY, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

#: Outcomes of a turn, the values of the ``outcome`` label.
ANSWERED, SOURCES_DONT_SAY, FALLBACK, ERROR = "answered", "sources_dont_say", "fallback", "error"
OUTCOMES = (ANSWERED, SOURCES_DONT_SAY, FALLBACK, ERROR)
#: The route, on the action server's port.
METRICS_PATH = "/metrics"

# No `*_created` series beside every counter and histogram: they double the output and nothing here
# needs them (Prometheus sees resets by itself).
disable_created_metrics()

TURNS = Counter("briefing_turns_total", "Questions handled by the answering actions, by outcome.",
                ["language", "channel", "outcome"])
ACTION_SECONDS = Histogram("briefing_action_duration_seconds",
                           "Time the action server took to run one action call.", ["action"])

_hookimpl = pluggy.HookimplMarker("rasa_sdk")


def count_turn(language: str, channel: str, outcome: str) -> None:
    """One question handled, with its outcome (one of :data:`OUTCOMES`)."""
    TURNS.labels(language=language, channel=channel, outcome=outcome).inc()


class _SanicExtensions:
    """rasa-sdk's plugin: the implementation of its ``attach_sanic_app_extensions`` hook."""

    @_hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        attach(app)


_PLUGIN = _SanicExtensions()


def register() -> None:
    """Have rasa-sdk add /metrics to the action server it is starting (idempotent)."""
    from rasa_sdk.plugin import plugin_manager

    manager = plugin_manager()
    if not manager.is_registered(_PLUGIN):
        manager.register(_PLUGIN, name="briefing-metrics")


def attach(app: Sanic) -> None:
    """Add the /metrics route and the timing of /webhook calls to rasa-sdk's app."""
    app.add_route(_metrics, METRICS_PATH, methods=["GET"], name="briefing_metrics")
    app.register_middleware(_start_timer, "request")
    app.register_middleware(_observe_action, "response")


async def _metrics(request: Request) -> HTTPResponse:
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return response.raw(encoder(REGISTRY), content_type=content_type)


async def _start_timer(request: Request) -> None:
    request.ctx.briefing_started = time.perf_counter()


async def _observe_action(request: Request, reply: HTTPResponse) -> None:
    started = getattr(request.ctx, "briefing_started", None)
    # 404: no such action. Only names the action server knows become label values.
    if request.path != "/webhook" or started is None or reply.status == 404:
        return
    name = _action_name(request)
    if name:
        ACTION_SECONDS.labels(action=name).observe(time.perf_counter() - started)


def _action_name(request: Request) -> str | None:
    """The called action's name. A plain JSON body is parsed once: Sanic caches ``request.json``
    and rasa-sdk's webhook read it first (a second ``json.loads`` of the tracker cost ~8 % of the
    action server's time under py-spy). Rasa compresses the body only when asked to
    (``COMPRESS_ACTION_SERVER_REQUEST``); rasa-sdk then decompresses it without caching."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            payload = json.loads(zlib.decompress(request.body))
        else:
            payload = request.json
        name = payload.get("next_action")
    except (ValueError, TypeError, zlib.error, AttributeError):
        return None
    return name if isinstance(name, str) and len(name) <= 64 else None


class _StoreCollector:
    """Facts store size and build time, read from the store when Prometheus scrapes, plus the
    review recorder's failures. Nothing is reported for the store while it cannot be read."""

    def describe(self) -> list:
        # Without it the registry would call collect() on registration, reading the store at import.
        return []

    def collect(self) -> Iterator:
        from bot.review.recorder import recorder

        failures = CounterMetricFamily("briefing_review_record_failures",
                                       "Unanswered questions that could not be recorded for review.")
        failures.add_metric([], recorder.failures)
        yield failures
        try:
            from bot.facts.store import FactsStore

            info = FactsStore().info()
            facts = int(info["fact_count"])
            built = datetime.fromisoformat(info["built_at"]).timestamp()
            build_seconds = float(info.get("build_seconds", "nan"))
        except Exception as error:  # unbuilt, unreachable or corrupt: the turns count errors
            logger.debug("facts store metrics unavailable: %s", error)
            return
        yield GaugeMetricFamily("briefing_facts_store_facts", "Facts in the facts store.", value=facts)
        yield GaugeMetricFamily("briefing_facts_store_built_timestamp_seconds",
                                "When the facts store was last built (Unix time).", value=built)
        yield GaugeMetricFamily("briefing_facts_store_build_seconds",
                                "How long the last build of the facts store took.",
                                value=build_seconds)


REGISTRY.register(_StoreCollector())
