"""The one language-resolution function: which language the bot answers this message in.

Priority, highest first:
1. an explicit request ("English please", "pakai bahasa Indonesia", "日本語でお願いします");
2. the message's own clear signal (``detect_language``);
3. the conversation's language so far (stickiness: "ok", "IFC?" and emoji change nothing);
4. the channel's hint for a first message (Telegram's ``language_code``, the browser language);
5. a first message's most likely language (reason ``"guessed"``, ``most_likely_language``): only
   when there is no conversation language and no usable hint, so "hai", "pagi kak" or
   "makasih banyak" as a first message is answered in Indonesian although it gives no clear signal;
   names, acronyms, emoji and coin-flip guesses give none ("SMRJ", "IFC?", "ok");
6. the configured default (English).
The NLU component calls it per message (without a conversation, so only 1–2 can fire there) and
the session-start action calls it with the channel hint; both therefore follow the same rules.
A guess is weaker evidence than a clear signal: ``"guessed"`` is not one of ``MESSAGE_REASONS``,
so it never changes a conversation's language (the NLU component adds no ``language`` entity for
it); within a conversation a short ambiguous message keeps the conversation's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.language import lexicon
from bot.language.detection import detect_language, guess_language
from bot.settings import LANGUAGES, settings

SWITCH_INTENT = "switch_language"
#: Reasons that come from the message itself; only these change a conversation's language.
MESSAGE_REASONS = frozenset({"requested", "detected"})


@dataclass(frozen=True)
class Resolution:
    language: str
    reason: str  # "requested", "detected", "conversation", "hint", "guessed" or "default"


def resolve_language(
    text: str,
    *,
    intent: str | None = None,
    current: str | None = None,
    hint: str | None = None,
    guess: bool = True,
) -> Resolution:
    """Decide the reply language for ``text`` given what else is known about the conversation.

    ``guess=False`` skips step 5: the NLU component acts only on reasons from the message itself,
    so it need not run the short-text detector on every message only to discard its guess.
    """
    if intent == SWITCH_INTENT:
        requested = requested_language(text)
        if requested:
            return Resolution(requested, "requested")
    detected = detect_language(text).language
    if detected:
        return Resolution(detected, "detected")
    if current in LANGUAGES:
        return Resolution(current, "conversation")
    hinted = language_from_hint(hint)
    if hinted:
        return Resolution(hinted, "hint")
    guessed = guess_language(text).language if guess else None
    if guessed in LANGUAGES:
        return Resolution(guessed, "guessed")
    return Resolution(settings().bot_default_language, "default")


def requested_language(text: str) -> str | None:
    """The language a switch request names; the earliest mention wins ("Japanese, not English")."""
    sample = unicodedata.normalize("NFKC", text or "").casefold()
    best: tuple[int, str] | None = None
    for lang, forms in lexicon.language_names().items():
        for form in forms:
            match = re.search(_boundary(form), sample)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), lang)
    return best[1] if best else None


def language_from_hint(hint: object) -> str | None:
    """Map a channel hint such as "ja-JP", "id", "in" (old Java code for Indonesian) or "en_US"."""
    if not isinstance(hint, str) or not hint.strip():
        return None
    primary = re.split(r"[-_]", hint.strip().lower(), maxsplit=1)[0]
    primary = {"in": "id"}.get(primary, primary)
    return primary if primary in LANGUAGES else None


def _boundary(form: str) -> str:
    escaped = re.escape(form)
    if form.isascii():
        return rf"(?<![a-z]){escaped}(?![a-z])"
    return escaped
