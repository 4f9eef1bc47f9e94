"""Smoke test of the benchmark harness (bench/): it runs end to end and writes a parseable table.

Runs ``python -m bench.run --quick --skip-train`` (tiny sizes; the stock bot is Rasa's scaffold
trained with Rasa's default config at a few epochs, so its figures mean nothing) into a temporary
file. It asserts the shape of the results and that the
figures are numbers, never that a target is met: timings on a shared machine are not a test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.servers, pytest.mark.trains]

#: Rows with a figure for both bots; the others have one for our bot only (or none when skipped).
BOTH = [f"turn c={c} {q} (ms)" for c in (1, 8, 32) for q in ("p50", "p95", "p99")] + [
    "throughput c=32 (msg/s)", "/model/parse p50 (ms)", "/model/parse p95 (ms)", "cold start (s)",
    "peak RSS Rasa server (MB)"]
BOT_ONLY = ["peak RSS action server (MB)", "resolve_language median (µs)", "langdetect.detect median (µs)"]
COUNTS = ["errors c=32", "errors all turns", "parse errors"]


def _table(text: str, heading: str) -> dict[str, list[str]]:
    """First column -> the other cells, for the markdown table under ``heading``."""
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows[1:]}


def test_quick_run_writes_a_parseable_table(tmp_path):
    out = tmp_path / "results.md"
    run = subprocess.run([sys.executable, "-m", "bench.run", "--quick", "--skip-train", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in ("## Machine", "## Parameters", "## Results", "## Targets"):
        assert heading in text
    results = _table(text, "## Results")
    for name in BOTH:
        bot, stock, ratio = results[name]
        assert float(bot) > 0 and float(stock) > 0 and float(ratio) > 0, (name, results[name])
    for name in BOT_ONLY:
        assert float(results[name][0]) > 0, (name, results[name])
    for name in COUNTS:
        assert int(results[name][0]) >= 0 and int(results[name][1]) >= 0, (name, results[name])
    assert results["training (s)"][0] == "—" and float(results["training (s)"][1]) > 0  # --skip-train
    targets = _table(text, "## Targets")
    assert len(targets) == 9
    assert all(cells[-1] in {"PASS", "FAIL", "SKIP"} for cells in targets.values())
    assert "| metric | bot | stock | bot/stock |" in run.stdout  # the table is printed too
