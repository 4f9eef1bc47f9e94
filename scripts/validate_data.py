"""Run ``rasa data validate`` and fail on any warning it prints, with documented exceptions.

Rasa's validator warns that a response "is not used in any story or rule" when only code utters
it (it cannot see inside actions). Those warnings are accepted only for responses that code really
names: an action in ``actions/`` (``response="utter_..."``), a channel's own reply in
``bot/channels/`` (bot/channels/notices.py: the rate-limit notice, "typed questions only"), the
action-server fallback in ``bot/rasa_patches.py``; and for ``utter_ask_fact``, the retrieval action Rasa
adds for the ``ask_fact`` retrieval intent (our rule sends that intent to ``action_answer_fact``).
Rasa also adds a retrieval intent found in the training data to the domain it validates, and then
reports the domain's own listing of it as a "duplicated intent"; the stories check needs that
listing, so exactly that warning for ``ask_fact`` is accepted too. ``ask_entity`` (a message that
is only names) is set by the NameOnlyMessage component, not learned, so it has no training
examples; the warning that says so is accepted. Any other warning fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule")
_WARNING = re.compile(r"UserWarning: (.*)")
#: Intents that components or channels set, never learned from examples.
_UNTRAINED_INTENTS = ("ask_entity",)
_UNTRAINED = tuple(f"The intent '{intent}' is listed in the domain file, but is not found in the NLU "
                   "training data." for intent in _UNTRAINED_INTENTS)
_RETRIEVAL_DUPLICATE = ("The following duplicated intents have been found across multiple domain "
                        "files: ask_fact")


def main() -> int:
    rasa = str(Path(sys.executable).with_name("rasa"))
    result = subprocess.run([rasa, "data", "validate"], cwd=ROOT, capture_output=True, text=True)
    output = result.stdout + result.stderr
    uttered_by_actions = {"utter_ask_fact"}
    code = [*(ROOT / "actions").glob("*.py"), *(ROOT / "bot" / "channels").glob("*.py"),
            ROOT / "bot" / "rasa_patches.py"]
    for path in code:
        uttered_by_actions |= set(re.findall(r'"(utter_\w+)"', path.read_text(encoding="utf-8")))
    problems = []
    for warning in _WARNING.findall(output):
        if warning.strip() == _RETRIEVAL_DUPLICATE or warning.strip() in _UNTRAINED:
            continue
        unused = _UNUSED.search(warning)
        if unused and unused.group(1) in uttered_by_actions:
            continue
        problems.append(warning.strip())
    if result.returncode != 0:
        problems.append(f"rasa data validate exited with {result.returncode}")
    for problem in problems:
        print(f"validate: {problem}", file=sys.stderr)
    if problems:
        print(output[-3000:], file=sys.stderr)
        return 1
    print("rasa data validate: clean (responses uttered only by custom actions: "
          f"{', '.join(sorted(uttered_by_actions))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
