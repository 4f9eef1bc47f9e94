"""Deciding what to answer: which facts answer a question, and whether they answer what was asked.

``decide`` turns the NLU result of one message into a ``Decision`` (answer with facts, show entity
cards, or say the sources do not say, offering the closest facts as buttons). The actions render
it; ``scripts/evaluate_answers.py`` measures it on held-out questions with the same code.
"""

from bot.answering.decision import Decision, decide
from bot.answering.question_types import asked_types

__all__ = ["Decision", "asked_types", "decide"]
