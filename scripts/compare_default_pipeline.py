"""Our NLU pipeline against Rasa's default one, on the same training data and held-out examples.

Trains Rasa's own default config (``rasa/engine/recipes/config_files/default_config.yml``, what
``rasa init`` and an empty pipeline use) on ``data/nlu`` and ``data/generated`` into a temporary
folder, then scores it and our model with ``scripts/evaluate_nlu.py`` on ``tests/nlu`` (examples
never trained on) and prints both per language. Two changes to the default, both neutral for the
intent figures: a fixed ``random_seed`` (repeatable), and no ResponseSelector (it picks among facts
after the intent is known, so it does not change intent accuracy, and it doubled the training).

Slow: the default DIET (two transformer layers, 100 epochs) trains for ~23 minutes here with the
training data of 2026-12-07 (10-15 minutes with earlier, smaller data). Not
part of ``make test``; ``make compare-pipelines`` runs it, docs/evaluation.md has the figures.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import RASA_DEFAULT_CONFIG, seeded_default_config  # noqa: E402

ROW = re.compile(r"^\| (id|ja|en) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|", re.M)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models" / "briefing-bot.tar.gz"),
                        help="our trained model (make train)")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="default-pipeline-") as folder:
        work = Path(folder)
        (work / "config.yml").write_text(default_config(), encoding="utf-8")
        data = work / "nlu"
        data.mkdir()
        for path in [*sorted((ROOT / "data" / "nlu").glob("*.yml")),
                     *sorted((ROOT / "data" / "generated").glob("*.yml"))]:
            shutil.copy(path, data / f"{path.parent.name}_{path.name}")
        print("Training Rasa's default NLU pipeline on our data (10-15 minutes) ...", flush=True)
        subprocess.run([str(bin_dir / "rasa"), "train", "nlu", "--config", str(work / "config.yml"),
                        "--nlu", str(data), "--out", str(work), "--fixed-model-name", "default"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=3600)
        scores = {name: evaluate(Path(model), work / name) for name, model in
                  (("default", work / "default.tar.gz"), ("ours", args.model))}
    print("\nIntent classification on tests/nlu (held out), Rasa's default pipeline vs ours:\n")
    print("| language | examples | accuracy default | accuracy ours | difference | "
          "macro-F1 default | macro-F1 ours |")
    print("|---|---|---|---|---|---|---|")
    for lang, (count, accuracy, f1) in scores["ours"].items():
        _, base_accuracy, base_f1 = scores["default"][lang]
        print(f"| {lang} | {count} | {base_accuracy:.3f} | {accuracy:.3f} | "
              f"{(accuracy - base_accuracy) * 100:+.1f} points | {base_f1:.3f} | {f1:.3f} |")
    return 0


def default_config() -> str:
    """Rasa's default config with a fixed seed and without the ResponseSelector."""
    text = re.sub(r"(?m)^  - name: ResponseSelector\n(?:    .*\n)*", "", seeded_default_config())
    if "ResponseSelector" in text:
        raise SystemExit(f"{RASA_DEFAULT_CONFIG} changed shape; update {__file__}")
    return text


def evaluate(model: Path, out: Path) -> dict[str, tuple[int, float, float]]:
    """Examples, accuracy and macro-F1 per language (scripts/evaluate_nlu.py's table)."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate_nlu.py"), "--model",
                             str(model), "--out", str(out), "--min-f1", "0"],
                            cwd=ROOT, check=True, capture_output=True, text=True, timeout=1800)
    return {lang: (int(count), float(accuracy), float(f1))
            for lang, count, accuracy, f1 in ROW.findall(result.stdout)}


if __name__ == "__main__":
    sys.exit(main())
