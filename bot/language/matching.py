"""Finding a name or a cue in text of any script: Latin-script forms must stand as words,
Japanese forms (written without spaces) match anywhere.

One rule for the NLU's lookup entity extractor, the question-type cues and the facts store's
mentions, so "METI" is never found inside "sometimes" nor "MenKopUKM" inside "KemenKopUKM", while
"SMRJとは" still names SMRJ.
"""

from __future__ import annotations

import re

#: Letters and digits of Latin script. A Latin form must not touch one of these, but may touch
#: kana or kanji.
LATIN = "0-9A-Za-z\u00c0-\u024f"


def bounded(body: str, literal: str) -> str:
    """``body``, a regex for ``literal``, with a word boundary on each side where ``literal``
    starts or ends with a Latin letter or digit."""
    before = f"(?<![{LATIN}])" if re.match(f"[{LATIN}]", literal) else ""
    after = f"(?![{LATIN}])" if re.search(f"[{LATIN}]$", literal) else ""
    return before + body + after


def alias_pattern(alias: str) -> str:
    """Regex for one alias, matched literally."""
    return bounded(re.escape(alias), alias)
