"""The public channels' limits without servers: the per-sender rate limit, the per-address cap on
open connections and the message cut (tests/test_hostile_input.py checks them over the channels)."""

from __future__ import annotations

import pytest

from bot.channels.limits import ConnectionCounter, SenderRateLimiter, Verdict, clip_message


def test_a_sender_over_the_limit_is_told_once_then_dropped_until_the_window_has_room():
    limiter = SenderRateLimiter(per_minute=3)
    verdicts = [limiter.check("a", now=t) for t in (0, 1, 2, 3, 4, 5)]
    assert verdicts == [Verdict.ADMIT] * 3 + [Verdict.NOTIFY, Verdict.DROP, Verdict.DROP]
    assert limiter.retry_after("a", now=5) == 55
    assert limiter.check("b", now=5) is Verdict.ADMIT          # others are not affected
    assert limiter.check("a", now=60.5) is Verdict.ADMIT       # the first message left the window
    assert limiter.check("a", now=60.6) is Verdict.NOTIFY      # ... and a new burst is told again


def test_dropped_messages_do_not_extend_the_wait():
    limiter = SenderRateLimiter(per_minute=2)
    for t in range(0, 100):
        limiter.check("a", now=t * 0.5)
    assert limiter.check("a", now=100.0) is Verdict.ADMIT


def test_zero_turns_the_limit_off_and_memory_is_bounded():
    assert all(SenderRateLimiter(per_minute=0).check("a") is Verdict.ADMIT for _ in range(100))
    limiter = SenderRateLimiter(per_minute=1, max_senders=10)
    for n in range(100):
        limiter.check(f"sender-{n}", now=0)
    assert len(limiter._seen) == 10


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_MINUTE", "7")
    monkeypatch.setenv("BOT_MAX_CONNECTIONS_PER_IP", "2")
    assert SenderRateLimiter().per_minute == 7 and ConnectionCounter().limit == 2


def test_open_connections_per_address_are_capped_and_closing_frees_a_place():
    counter = ConnectionCounter(limit=2)
    assert counter.open("s1", "10.0.0.1") and counter.open("s2", "10.0.0.1")
    assert not counter.open("s3", "10.0.0.1")
    assert counter.open("s4", "10.0.0.2")
    counter.close("s1")
    counter.close("s1")  # twice, or an unknown socket: nothing happens
    counter.close("unknown")
    assert counter.open("s5", "10.0.0.1") and not counter.open("s6", "10.0.0.1")


@pytest.mark.parametrize(("limit", "text", "expected"), [
    ("5", "abcdefgh", "abcde"), ("5", "abc", "abc"), ("3", "協同組合です", "協同組")])
def test_messages_are_cut_to_the_configured_length(monkeypatch, limit, text, expected):
    monkeypatch.setenv("BOT_MAX_MESSAGE_CHARS", limit)
    assert clip_message(text) == expected
