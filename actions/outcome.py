"""What an answering action reports once its reply is decided: the turn's outcome for the metrics
(``bot.metrics``), and, when the question went unanswered, the question for review (``bot.review``).

Recorded for review: "my sources don't say" (decision ``not_in_sources``), the fallback / unknown
reply, and answers whose fact-selector confidence is below ``REVIEW_LOW_CONFIDENCE``. Stored are the
text, the language, the channel, the time, the nearest fact and its score; never the sender id.

Reporting never changes or delays the reply: the counters are in memory, the question is written
by a background thread (``bot.review.recorder``), and any failure here is logged, not raised.
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker

from actions.conversation import conversation_language
from bot import review
from bot.answering import Decision
from bot.answering.decision import fact_ranking
from bot.language.segmentation import has_word
from bot.metrics import ANSWERED, ERROR, FALLBACK, SOURCES_DONT_SAY, count_turn
from bot.settings import settings

logger = logging.getLogger(__name__)

__all__ = ["ANSWERED", "ERROR", "FALLBACK", "SOURCES_DONT_SAY", "report_turn"]

def report_turn(tracker: Tracker, result: Decision | str) -> None:
    """Count the turn and record it for review when unanswered. ``result`` is the decision that
    was rendered, or an outcome when there was none (``ERROR``: the facts store was unavailable;
    ``FALLBACK``: a message with no question in it)."""
    try:
        outcome = result if isinstance(result, str) else _outcome(result)
        language = conversation_language(tracker)
        channel = (tracker.get_latest_input_channel() or "unknown")[:64]
        count_turn(language, channel, outcome)
        reason = None if isinstance(result, str) else _review_reason(result, outcome)
        text = ((tracker.latest_message or {}).get("text") or "").strip()
        # A message without a letter or digit is no question an operator could attach to a fact:
        # it is counted, not recorded.
        if reason and has_word(text):
            fact_id, score = _nearest(result, tracker)
            review.recorder.submit(review.Question(text=text, language=language, channel=channel,
                                                   reason=reason, fact_id=fact_id, score=score))
    except Exception:  # reporting must never break a reply that was already decided
        logger.exception("could not report the outcome of a turn")


def _outcome(result: Decision) -> str:
    return {"not_in_sources": SOURCES_DONT_SAY, "unknown": FALLBACK}.get(result.kind, ANSWERED)


def _review_reason(result: Decision, outcome: str) -> str | None:
    if outcome == SOURCES_DONT_SAY:
        return review.SOURCES_DONT_SAY
    if outcome == FALLBACK:
        return review.FALLBACK
    if result.kind == "answer" and result.confidence < settings().review_low_confidence:
        return review.LOW_CONFIDENCE
    return None


def _nearest(result: Decision, tracker: Tracker) -> tuple[str | None, float | None]:
    """The fact or group the bot found closest, and the fact selector's confidence in it."""
    ranking = dict(fact_ranking(tracker.latest_message or {}))
    if result.label:
        return result.label, result.confidence
    if result.offers:
        return result.offers[0].id, ranking.get(result.offers[0].id)
    if ranking:
        best = max(ranking, key=ranking.__getitem__)
        return best, ranking[best]
    return None, None
