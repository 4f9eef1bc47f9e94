"""Soak: concurrent conversations over REST and socket.io with the action server restarted mid-run.

``python -m bench.soak`` (``make soak``) starts both servers on loopback (as `make run` does, with
their own stores in a temporary folder), warms them up, then runs ``--conversations`` concurrent
conversations (half REST, half socket.io, languages id/ja/en in turn: a greeting, then questions
from tests/nlu/*.yml, now and then a thank-you) for ``--duration`` seconds. Each conversation
sends one message, waits for its reply, and sends the next no sooner than ``--interval`` seconds
after the previous one (default 4 s: 15 a minute, under the per-sender rate limit of 20, which
stays on). At ``--restart-at`` of the run the action server's process group is killed (SIGKILL:
a crash), left down for ``--down`` seconds and started again with the same command, port and
environment.

**Restart window**: from the moment the stop signal is sent until the action server's health
check (GET /health) answers again, plus one action timeout (``ACTION_TIMEOUT_SECONDS``: Rasa may
still be waiting on a call it made just before). A turn is *inside* the window when the interval
from sending it to its first reply (or to the turn timeout, for a turn with no reply) overlaps
the window.

Criteria (each must hold; the exit status is 1 otherwise):

- no lost turns (a turn without any reply within the turn timeout), inside or outside the window;
- every turn inside the window is answered normally or with the apology (``utter_facts_unavailable``);
- no apology outside the window;
- no other errors (HTTP errors, connection failures, rate-limited replies);
- RSS of the Rasa server and of the action server grew by less than 10 % from start (after the
  warm-up) to end (after the run; for the action server that is the restarted process);
- the restart was exercised: the action server went down and came back, and at least one turn
  inside the window got the apology.

The results go to ``bench/soak_results.md`` (``--out``) and stdout. tests/test_soak.py runs a short
version of the same code in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
import socketio
import yaml

from bench.processes import rss
from bot.facts.schema import NOT_ANSWERED_INTENT
from bot.facts.training_data import block_examples
from bot.runtime.processes import (
    MODEL,
    ROOT,
    BotServers,
    ProcessRegistry,
    http_ok,
    project_env,
    signal_group,
    start_bot,
    wait_until,
)

LANGUAGES = ("id", "ja", "en")
#: A turn without any reply within this many seconds is lost (a normal turn takes well under 1 s,
#: one whose action call hangs at most ACTION_TIMEOUT_SECONDS more).
TURN_TIMEOUT = 30.0
#: After the first bot_uttered of a turn, further ones within this gap belong to the same turn.
SOCKET_QUIET = 0.5
RSS_GROWTH_LIMIT = 0.10
DEFAULT_OUT = ROOT / "bench" / "soak_results.md"
MB = 2**20


# --- what the conversations say ----------------------------------------------------------------------

@dataclass(frozen=True)
class Phrases:
    greetings: dict[str, list[str]]
    thanks: dict[str, list[str]]
    questions: dict[str, list[str]]


def load_phrases() -> Phrases:
    """Greetings, thanks and fact questions per language from the held-out NLU examples."""
    greetings, thanks, questions = {}, {}, {}
    for lang in LANGUAGES:
        data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
        by_intent: dict[str, list[str]] = {}
        for block in data["nlu"]:
            by_intent.setdefault(block["intent"], []).extend(
                text for text, _ in block_examples(block))
        greetings[lang] = by_intent["greet"]
        thanks[lang] = by_intent["thanks"]
        questions[lang] = [q for intent, qs in by_intent.items() if intent.startswith("ask_fact/")
                           and intent != NOT_ANSWERED_INTENT for q in qs]
    return Phrases(greetings, thanks, questions)


def script(phrases: Phrases, lang: str, rng: random.Random):
    """A conversation's messages, endlessly: a greeting, then questions, a thank-you now and then."""
    yield rng.choice(phrases.greetings[lang])
    while True:
        yield rng.choice(phrases.thanks[lang]) if rng.random() < 0.1 else rng.choice(phrases.questions[lang])


def domain_texts(response: str) -> set[str]:
    """Every language's text of a domain response (the apology, the rate-limit notice)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {variant["text"].strip() for variant in domain["responses"][response]}


# --- turns -------------------------------------------------------------------------------------------

@dataclass
class Turn:
    conversation: str
    channel: str          # "rest" or "socketio"
    lang: str
    message: str
    sent: float           # time.monotonic()
    answered: float | None = None  # first reply
    replies: list[str] = field(default_factory=list)
    error: str | None = None       # HTTP status, exception: an "other error"

    @property
    def end(self) -> float:
        return self.answered if self.answered is not None else self.sent + TURN_TIMEOUT

    @property
    def latency(self) -> float | None:
        return None if self.answered is None else self.answered - self.sent


class Classifier:
    """What a turn came to: normal, apology, lost (no reply) or error (incl. a rate-limit notice)."""

    def __init__(self) -> None:
        self.apologies = domain_texts("utter_facts_unavailable")
        self.rate_limited = domain_texts("utter_rate_limited")

    def __call__(self, turn: Turn) -> str:
        if turn.error is not None:
            return "error"
        texts = [t.strip() for t in turn.replies]
        if not any(texts):
            return "lost"
        if any(t in self.rate_limited for t in texts):
            return "error"
        if any(t in self.apologies for t in texts):
            return "apology"
        return "normal"


def _pace(previous: float | None, interval: float) -> float:
    """Seconds to wait before the next message: at least ``interval`` since the previous one was
    sent, never catching up after a slow turn (so no sender ever goes over the rate limit)."""
    return 0.0 if previous is None else max(0.0, previous + interval - time.monotonic())


class Clock:
    """When to stop sending; the restart may push it back so the run ends after its window."""

    def __init__(self, duration: float) -> None:
        self.start = time.monotonic()
        self.deadline = self.start + duration
        self.restarting = False  # keep sending until the restart is over, however short the run

    def over(self) -> bool:
        return time.monotonic() >= self.deadline and not self.restarting


async def rest_conversation(session: aiohttp.ClientSession, url: str, name: str, lang: str,
                            messages, clock: Clock, interval: float, turns: list[Turn]) -> None:
    sender = f"soak-{name}-{time.monotonic_ns()}"
    previous = None
    while True:
        await asyncio.sleep(_pace(previous, interval))
        if clock.over():
            return
        turn = Turn(name, "rest", lang, next(messages), time.monotonic())
        previous = turn.sent
        turns.append(turn)
        try:
            async with session.post(url, json={"sender": sender, "message": turn.message}) as response:
                body = await response.json(content_type=None) if response.status == 200 else None
                if response.status != 200:
                    turn.error = f"HTTP {response.status}"
                    continue
                turn.answered = time.monotonic()
                turn.replies = [r.get("text", "") or "" for r in body or [] if isinstance(r, dict)]
        except asyncio.TimeoutError:
            pass  # no reply within TURN_TIMEOUT: lost
        except (aiohttp.ClientError, ValueError) as exc:
            turn.error = type(exc).__name__


async def socket_conversation(base_url: str, name: str, lang: str, messages, clock: Clock,
                              interval: float, turns: list[Turn]) -> None:
    """The web chat: connect (polling; the websocket transport fails with this aiohttp), ask for a
    session, then user_uttered with the page's language in customData; bot_uttered are the replies."""
    sio = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    sio.on("bot_uttered", replies.put)
    sio.on("session_confirm", confirmed.put)
    try:
        try:
            await sio.connect(base_url, socketio_path="/socket.io", transports=["polling"], wait_timeout=10)
            await sio.emit("session_request", {"session_id": None})
            session_id = await asyncio.wait_for(confirmed.get(), 10)
        except (socketio.exceptions.ConnectionError, asyncio.TimeoutError) as exc:
            turns.append(Turn(name, "socketio", lang, "(connect)", time.monotonic(),
                              error=f"connect: {type(exc).__name__}"))
            return
        previous: Turn | None = None
        while True:
            await asyncio.sleep(_pace(previous.sent if previous else None, interval))
            while not replies.empty():  # late replies belong to the previous turn
                late = replies.get_nowait()
                if previous is not None:
                    previous.replies.append(late.get("text", "") or "")
            if clock.over():
                return
            turn = Turn(name, "socketio", lang, next(messages), time.monotonic())
            previous = turn
            turns.append(turn)
            try:
                await sio.emit("user_uttered", {"session_id": session_id, "message": turn.message,
                                                "customData": {"language": lang}})
            except socketio.exceptions.SocketIOError as exc:
                turn.error = f"emit: {type(exc).__name__}"
                return
            try:
                first = await asyncio.wait_for(replies.get(), TURN_TIMEOUT)
            except asyncio.TimeoutError:
                continue  # lost
            turn.answered = time.monotonic()
            turn.replies.append(first.get("text", "") or "")
            while True:
                try:
                    more = await asyncio.wait_for(replies.get(), SOCKET_QUIET)
                except asyncio.TimeoutError:
                    break
                turn.replies.append(more.get("text", "") or "")
    finally:
        if sio.eio.state == "connected":
            await sio.eio.disconnect(abort=True)  # do not wait for the pending long-poll


# --- the restart ---------------------------------------------------------------------------------------

@dataclass
class Restart:
    stopped: float | None = None      # the stop signal was sent
    started: float | None = None      # the new process was started
    healthy: float | None = None      # its health check answered
    window_end: float | None = None   # healthy + one action timeout
    old_rss: int = 0                  # the first action server's RSS just before the stop
    error: str | None = None

    def contains(self, turn: Turn) -> bool:
        if self.stopped is None:
            return False
        end = self.window_end if self.window_end is not None else float("inf")
        return turn.sent <= end and turn.end >= self.stopped


async def restart_actions(servers: BotServers, registry: ProcessRegistry, clock: Clock, at: float,
                          down: float, action_timeout: float, sig: signal.Signals, tail: float,
                          restart: Restart) -> None:
    """Stop the action server's process group at ``clock.start + at``, start it again after ``down``
    seconds (same command, port and environment), record when its health check answers again."""
    await asyncio.sleep(max(0.0, clock.start + at - time.monotonic()))
    old = servers.actions
    restart.old_rss = rss(old.process.pid)
    clock.restarting = True
    try:
        await _stop_and_start(servers, registry, clock, down, action_timeout, sig, tail, restart)
    finally:
        clock.restarting = False


async def _stop_and_start(servers: BotServers, registry: ProcessRegistry, clock: Clock, down: float,
                          action_timeout: float, sig: signal.Signals, tail: float, restart: Restart) -> None:
    old = servers.actions
    restart.stopped = time.monotonic()
    signal_group(old.process.pid, sig)
    await asyncio.to_thread(registry.stop, old, 10)  # reaps it (SIGKILL after 10 s if TERM hangs)
    await asyncio.sleep(max(0.0, restart.stopped + down - time.monotonic()))
    servers.restart_actions(registry)
    restart.started = time.monotonic()
    try:
        await asyncio.to_thread(wait_until, lambda: http_ok(servers.action_health_url), [servers.actions],
                                120, "action server up again", 0.1)
    except RuntimeError as exc:
        restart.error = str(exc)[:2000]
        return
    restart.healthy = time.monotonic()
    restart.window_end = restart.healthy + action_timeout
    clock.deadline = max(clock.deadline, restart.window_end + tail)


# --- a run ---------------------------------------------------------------------------------------------

@dataclass
class SoakResult:
    params: dict[str, object]
    turns: list[Turn]
    restart: Restart
    kinds_inside: Counter[str]
    kinds_outside: Counter[str]
    error_kinds: Counter[str]
    rss_start: dict[str, int]
    rss_end: dict[str, int]
    wall: float
    replies: int

    @property
    def sent(self) -> int:
        return sum(1 for t in self.turns if t.message != "(connect)")

    def latency_ms(self, q: float, channel: str | None = None) -> float:
        values = [t.latency for t in self.turns if t.latency is not None and channel in (None, t.channel)]
        return float(np.percentile(values, q) * 1000) if values else float("nan")

    def growth(self, name: str) -> float:
        start, end = self.rss_start.get(name, 0), self.rss_end.get(name, 0)
        return (end - start) / start if start else float("inf")

    def criteria(self, check_rss: bool = True) -> list[tuple[str, str, bool]]:
        """(criterion, measured, passed) for every criterion."""
        inside, outside = self.kinds_inside, self.kinds_outside
        errors = inside["error"] + outside["error"]
        answered_inside = inside["normal"] + inside["apology"]
        out = [
            ("lost turns = 0 (outside the restart window)", str(outside["lost"]), outside["lost"] == 0),
            ("lost turns = 0 (inside the restart window)", str(inside["lost"]), inside["lost"] == 0),
            ("every turn inside the window answered normally or with the apology",
             f"{answered_inside} of {sum(inside.values())} ({inside['apology']} apologies)",
             answered_inside == sum(inside.values())),
            ("apologies outside the window = 0", str(outside["apology"]), outside["apology"] == 0),
            ("other errors = 0", f"{errors} {dict(self.error_kinds) or ''}".strip(), errors == 0),
            ("restart exercised (down, back, ≥ 1 apology in the window)",
             "yes" if self.restart.window_end is not None and inside["apology"] > 0
             else f"no ({self.restart.error or 'no apology inside the window'})",
             self.restart.window_end is not None and inside["apology"] > 0),
        ]
        if check_rss:
            for name in ("rasa", "actions"):
                growth = self.growth(name)
                out.append((f"RSS growth {name} < {RSS_GROWTH_LIMIT:.0%}", f"{growth:+.1%}",
                            growth < RSS_GROWTH_LIMIT))
        return out

    def passed(self, check_rss: bool = True) -> bool:
        return all(ok for _, _, ok in self.criteria(check_rss))


async def _warm_up(base_url: str, phrases: Phrases, concurrency: int) -> None:
    """Every kind of turn, concurrently, on both channels, before the start RSS is taken."""
    url = f"{base_url}/webhooks/rest/webhook"
    rng = random.Random(1)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as session:
        async def one(i: int) -> None:
            lang = LANGUAGES[i % 3]
            for message in (rng.choice(phrases.greetings[lang]), rng.choice(phrases.questions[lang]),
                            rng.choice(phrases.questions[lang])):
                async with session.post(url, json={"sender": f"warmup-{i}-{time.monotonic_ns()}",
                                                   "message": message}) as response:
                    await response.read()
        await asyncio.gather(*(one(i) for i in range(concurrency)))
    clock = Clock(3 * 1.0)
    turns: list[Turn] = []
    await asyncio.gather(*(socket_conversation(base_url, f"warmup-ws-{lang}", lang,
                                               script(phrases, lang, rng), clock, 1.0, turns)
                           for lang in LANGUAGES))


async def soak(servers: BotServers, registry: ProcessRegistry, conversations: int, duration: float,
               interval: float, restart_at: float, down: float, action_timeout: float,
               sig: signal.Signals = signal.SIGKILL, tail: float = 5.0, seed: int = 7,
               warm_up: bool = True) -> SoakResult:
    """Run the soak against running servers (both healthy); restarts the action server once."""
    phrases = load_phrases()
    if warm_up:
        await _warm_up(servers.base_url, phrases, conversations)
    rss_start = {"rasa": rss(servers.rasa.process.pid), "actions": rss(servers.actions.process.pid)}
    rng = random.Random(seed)
    turns: list[Turn] = []
    restart = Restart()
    clock = Clock(duration)
    url = f"{servers.base_url}/webhooks/rest/webhook"
    sockets = conversations // 2
    connector = aiohttp.TCPConnector(limit=max(1, conversations - sockets))
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as session:
        async def staggered(index: int):
            await asyncio.sleep(interval * index / conversations)  # spread the load over an interval
            lang = LANGUAGES[index % len(LANGUAGES)]
            messages = script(phrases, lang, random.Random(rng.random()))
            if index % 2:
                await socket_conversation(servers.base_url, f"socketio-{index}", lang, messages, clock,
                                          interval, turns)
            else:
                await rest_conversation(session, url, f"rest-{index}", lang, messages, clock, interval, turns)

        restarter = asyncio.create_task(restart_actions(servers, registry, clock, duration * restart_at, down,
                                                        action_timeout, sig, tail, restart))
        await asyncio.gather(*(staggered(i) for i in range(conversations)))
        if not restarter.done():  # the conversations ended first (a very short run)
            await restarter
    wall = time.monotonic() - clock.start
    await asyncio.sleep(1.0)  # let the servers settle before the end RSS
    rss_end = {"rasa": rss(servers.rasa.process.pid), "actions": rss(servers.actions.process.pid)}

    classify = Classifier()
    inside, outside, error_kinds = Counter(), Counter(), Counter()
    for turn in turns:
        kind = classify(turn)
        (inside if restart.contains(turn) else outside)[kind] += 1
        if kind == "error":
            error_kinds[turn.error or "rate limited"] += 1
    params = {"conversations": conversations, "REST": conversations - sockets, "socket.io": sockets,
              "duration (s)": duration, "interval per conversation (s)": interval,
              "stop at (s)": round(duration * restart_at, 1), "down (s)": down,
              "signal": sig.name, "action timeout (s)": action_timeout, "turn timeout (s)": TURN_TIMEOUT,
              "warm-up": "yes" if warm_up else "no",
              "rate limit per sender per minute": servers.env.get("BOT_RATE_LIMIT_PER_MINUTE",
                                                                  "20 (default)")}
    return SoakResult(params, turns, restart, inside, outside, error_kinds, rss_start, rss_end, wall,
                      sum(len([r for r in t.replies if r.strip()]) for t in turns))


# --- report ----------------------------------------------------------------------------------------------

WINDOW_DEFINITION = (
    "**Restart window**: from the moment the stop signal is sent to the action server's process group "
    "until its health check (`GET /health`) answers again, plus one action timeout "
    "(`ACTION_TIMEOUT_SECONDS`, the longest Rasa waits on a call it made just before the stop). "
    "A turn is *inside* the window when the interval from sending it to its first reply (to the turn "
    "timeout, for a turn with no reply) overlaps the window; every other turn is *outside*. "
    "A turn is *lost* when it gets no reply within the turn timeout; the *apology* is the domain "
    "response `utter_facts_unavailable` (any language).")


def report(result: SoakResult, check_rss: bool = True) -> str:
    r, start = result.restart, result.turns[0].sent if result.turns else 0.0

    def rel(t: float | None) -> str:
        return "—" if t is None else f"{t - start:+.1f} s"

    mb = {k: v / MB for k, v in result.rss_start.items()}
    mb_end = {k: v / MB for k, v in result.rss_end.items()}
    inside, outside = result.kinds_inside, result.kinds_outside
    classify = Classifier()
    apologised = [t.sent for t in result.turns if classify(t) == "apology"]
    lines = ["# Soak: concurrent conversations with an action-server restart", "",
             "Generated by `make soak` (`python -m bench.soak`); loopback only. "
             "Each conversation sends a message, waits for its reply, and sends the next no sooner than "
             "the interval after the previous one (a greeting first, then fact questions from "
             "tests/nlu/*.yml, now and then a thank-you; languages id/ja/en in turn). "
             + ("Servers are warmed up (every conversation's kind of turn, concurrently, on both channels) "
                "before the start RSS is taken." if result.params.get("warm-up") == "yes" else
                "No warm-up: the start RSS is taken before the first turn, so its growth is not a leak "
                "measure (not checked)."), "",
             "## Machine and parameters", "",
             f"- date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
             f"- cores: {os.cpu_count()}; load average at end: "
             f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
             f"- Python {platform.python_version()}, {platform.platform()}"]
    lines += [f"- {k}: {v}" for k, v in result.params.items()]
    lines += ["", "## Restart window", "", WINDOW_DEFINITION, "",
              f"Times relative to the first message: stop signal {rel(r.stopped)}, new process started "
              f"{rel(r.started)}, health check answered {rel(r.healthy)}, window end {rel(r.window_end)}. "
              f"Apologised turns were sent between {rel(min(apologised, default=None))} and "
              f"{rel(max(apologised, default=None))}. The run (until the last reply) took "
              f"{result.wall:.1f} s (sending goes on until at least a few seconds after the window).", "",
              "## Figures", "",
              "| figure | value |", "|---|---|",
              f"| messages sent | {result.sent} ({result.sent / result.wall:.1f} msg/s offered) |",
              f"| replies received (non-empty texts) | {result.replies} |",
              f"| turns answered | {sum(1 for t in result.turns if t.answered is not None)} |",
              f"| lost turns (total / inside window / outside) | {inside['lost'] + outside['lost']} / "
              f"{inside['lost']} / {outside['lost']} |",
              f"| turns inside the window | {sum(inside.values())} |",
              f"| … answered normally / with the apology | {inside['normal']} / {inside['apology']} |",
              f"| turns outside the window (normal) | {sum(outside.values())} ({outside['normal']}) |",
              f"| apologies outside the window | {outside['apology']} |",
              f"| other errors | {inside['error'] + outside['error']} {dict(result.error_kinds) or ''} |",
              f"| latency p50 / p95 all turns (ms) | {result.latency_ms(50):.0f} / "
              f"{result.latency_ms(95):.0f} |",
              f"| latency p50 / p95 REST (ms) | {result.latency_ms(50, 'rest'):.0f} / "
              f"{result.latency_ms(95, 'rest'):.0f} |",
              f"| latency p50 / p95 socket.io, first reply (ms) | {result.latency_ms(50, 'socketio'):.0f} / "
              f"{result.latency_ms(95, 'socketio'):.0f} |",
              f"| RSS Rasa server start → end (MB) | {mb.get('rasa', 0):.0f} → {mb_end.get('rasa', 0):.0f} "
              f"({result.growth('rasa'):+.1%}) |",
              f"| RSS action server start → end (MB) | {mb.get('actions', 0):.0f} → "
              f"{mb_end.get('actions', 0):.0f} ({result.growth('actions'):+.1%}); the first process was "
              f"{r.old_rss / MB:.0f} MB just before the stop, the end figure is the restarted one's |",
              "", "## Criteria", "", "| criterion | measured | verdict |", "|---|---|---|"]
    lines += [f"| {name} | {measured} | {'PASS' if ok else 'FAIL'} |"
              for name, measured, ok in result.criteria(check_rss)]
    lines += ["", f"Overall: **{'PASS' if result.passed(check_rss) else 'FAIL'}**", ""]
    return "\n".join(lines)


def run(folder: Path, conversations: int, duration: float, interval: float, restart_at: float,
        down: float, sig: signal.Signals = signal.SIGKILL, extra_env: dict[str, str] | None = None,
        warm_up: bool = True) -> SoakResult:
    """Start both servers in ``folder``, soak them, stop them; the result."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    env = project_env({"TELEGRAM_TOKEN": "", **(extra_env or {})})
    sockets = conversations // 2
    if sockets + 4 > int(env.get("BOT_MAX_CONNECTIONS_PER_IP", "20") or 0) > 0:
        env["BOT_MAX_CONNECTIONS_PER_IP"] = str(sockets + 4)  # every socket comes from 127.0.0.1
    action_timeout = float(env.get("ACTION_TIMEOUT_SECONDS", "5") or 5)
    registry = ProcessRegistry()
    try:
        servers = start_bot(registry, folder, env)
        servers.wait_healthy(180)
        return asyncio.run(soak(servers, registry, conversations, duration, interval, restart_at, down,
                                action_timeout, sig, warm_up=warm_up))
    finally:
        registry.stop_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sending")
    parser.add_argument("--interval", type=float, default=4.0,
                        help="seconds between a conversation's messages (4 s: 15/min, under the limit of 20)")
    parser.add_argument("--restart-at", type=float, default=0.4, help="fraction of the duration")
    parser.add_argument("--down", type=float, default=3.0, help="seconds the action server stays down")
    parser.add_argument("--signal", choices=("KILL", "TERM"), default="KILL")
    parser.add_argument("--no-rate-limit", action="store_true", help="BOT_RATE_LIMIT_PER_MINUTE=0")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=Path, default=ROOT / "logs" / "soak", help="stores and server logs")
    args = parser.parse_args(argv)
    extra = {"BOT_RATE_LIMIT_PER_MINUTE": "0"} if args.no_rate_limit else {}
    # The servers' stores and logs (rasa.log, actions.log, actions-*.log after the restart), kept
    # for a look after the run; the next run starts afresh.
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    result = run(args.work, args.conversations, args.duration, args.interval, args.restart_at,
                 args.down, getattr(signal, f"SIG{args.signal}"), extra)
    text = report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written: {args.out}")
    return 0 if result.passed() else 1


if __name__ == "__main__":
    sys.exit(main())
