"""Reviewing what people asked that the bot could not answer (the operators' side of the bot).

- ``store``: the unanswered-questions store (SQL, ``REVIEW_DB_URL``): text, language, channel,
  time, nearest fact and score; never who asked; purged after ``REVIEW_RETENTION_DAYS``;
- ``recorder``: how the action server records a question without delaying the reply;
- ``grouping``: questions grouped by similar wording, in any of the three languages;
- ``attach``: a question added to a fact as an example question, in its facts file;
- ``cli``: ``make review`` (``python -m bot.review``), over the same store.

What is recorded, and when, is decided by the actions (``actions/outcome.py``).
"""

from bot.review.recorder import recorder
from bot.review.store import (
    FALLBACK,
    LOW_CONFIDENCE,
    SOURCES_DONT_SAY,
    Question,
    ReviewStore,
    ReviewStoreError,
)

__all__ = ["FALLBACK", "LOW_CONFIDENCE", "SOURCES_DONT_SAY", "Question", "ReviewStore",
           "ReviewStoreError", "recorder"]
