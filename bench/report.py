"""Turn the measurements into the bot/stock table, the targets' PASS/FAIL and bench/results.md.

Each figure is the median over rounds, because on a shared machine one round can be slowed by
unrelated work; a wide spread between rounds is reported as a warning rather than hidden.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata

import psutil

from bench.load import LoadResult

CONCURRENCY_LEVELS = (1, 8, 32)
SPREAD_WARNING = 1.5  # max/min of a p50 across rounds above this: the machine was busy
MB = 1_000_000


@dataclass
class Side:
    """Everything measured for one bot (ours or the stock one)."""

    turns: dict[int, list[LoadResult]] = field(default_factory=dict)  # concurrency -> rounds
    parses: list[LoadResult] = field(default_factory=list)
    cold_start_s: float = math.nan
    train_s: float = math.nan
    rss: dict[str, int] = field(default_factory=dict)  # process name -> peak bytes


@dataclass
class Row:
    """One line of the table; ``None`` where a figure does not apply (the stock bot's action server)."""

    name: str
    bot: float | None
    stock: float | None
    digits: int = 1

    @property
    def ratio(self) -> float | None:
        if self.bot is None or self.stock is None or not self.stock or math.isnan(self.stock):
            return None
        return self.bot / self.stock


@dataclass
class Target:
    name: str
    measured: str
    ok: bool | None  # None: not measured in this run (e.g. --skip-train)

    @property
    def verdict(self) -> str:
        return "SKIP" if self.ok is None else ("PASS" if self.ok else "FAIL")


def _median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def turn_figure(side: Side, concurrency: int, what: str) -> float:
    """Median over rounds of p50/p95/p99 (ms) or throughput (msg/s) at one concurrency."""
    rounds = side.turns.get(concurrency, [])
    if what == "throughput":
        return _median([r.throughput for r in rounds])
    return _median([r.percentile_ms(float(what[1:])) for r in rounds])


def errors(rounds: list[LoadResult]) -> int:
    return sum(r.errors for r in rounds)


def spread_warnings(label: str, side: Side) -> list[str]:
    """Series whose p50 moved more than SPREAD_WARNING× between rounds."""
    series = {f"{label} turns c={c}": rounds for c, rounds in side.turns.items()}
    series[f"{label} /model/parse"] = side.parses
    out = []
    for name, rounds in series.items():
        p50s = [r.percentile_ms(50) for r in rounds if r.latencies]
        if len(p50s) > 1 and min(p50s) > 0 and max(p50s) / min(p50s) > SPREAD_WARNING:
            out.append(f"wide spread between rounds for {name}: p50 {min(p50s):.1f}–{max(p50s):.1f} ms "
                       f"(max/min {max(p50s) / min(p50s):.2f} > {SPREAD_WARNING}); the machine was busy, "
                       "re-run before trusting these figures")
    return out


def error_notes(label: str, side: Side) -> list[str]:
    """What the errors were (status, empty reply, timeout), so an error count is actionable."""
    kinds: Counter[str] = Counter()
    for result in [r for rounds in side.turns.values() for r in rounds] + side.parses:
        kinds.update(result.error_kinds)
    return [f"{label}: {sum(kinds.values())} failed requests: {dict(kinds)}"] if kinds else []


def rows(bot: Side, stock: Side, language: dict[str, float]) -> list[Row]:
    out: list[Row] = []
    for c in CONCURRENCY_LEVELS:
        for q in ("p50", "p95", "p99"):
            out.append(Row(f"turn c={c} {q} (ms)", turn_figure(bot, c, q), turn_figure(stock, c, q)))
    c_max = CONCURRENCY_LEVELS[-1]
    out.append(Row(f"throughput c={c_max} (msg/s)", turn_figure(bot, c_max, "throughput"),
                   turn_figure(stock, c_max, "throughput")))
    out.append(Row(f"errors c={c_max}", errors(bot.turns.get(c_max, [])),
                   errors(stock.turns.get(c_max, [])), 0))
    out.append(Row("errors all turns", sum(errors(r) for r in bot.turns.values()),
                   sum(errors(r) for r in stock.turns.values()), 0))
    for q in ("p50", "p95"):
        out.append(Row(f"/model/parse {q} (ms)", _median([r.percentile_ms(float(q[1:])) for r in bot.parses]),
                       _median([r.percentile_ms(float(q[1:])) for r in stock.parses])))
    out.append(Row("parse errors", errors(bot.parses), errors(stock.parses), 0))
    out.append(Row("cold start (s)", bot.cold_start_s, stock.cold_start_s))
    out.append(Row("training (s)", bot.train_s, stock.train_s))
    out.append(Row("peak RSS Rasa server (MB)", bot.rss.get("rasa", 0) / MB, stock.rss.get("rasa", 0) / MB))
    out.append(Row("peak RSS action server (MB)", bot.rss.get("actions", 0) / MB, None))
    out.append(Row("resolve_language median (µs)", language.get("resolve_language"), None, 2))
    out.append(Row("langdetect.detect median (µs)", language.get("langdetect.detect"), None, 2))
    return out


def targets(table: list[Row], bot: Side) -> list[Target]:
    """The issue's targets; each says what was measured so a FAIL is actionable."""
    by_name = {row.name: row for row in table}

    def ratio_target(name: str, row: str, limit: float) -> Target:
        ratio = by_name[row].ratio
        return Target(f"{name} ≤ {limit}× stock", _fmt(ratio, 2) + "×",
                      None if ratio is None or math.isnan(ratio) else ratio <= limit)

    def at_most(name: str, value: float | None, limit: float, unit: str, digits: int = 1) -> Target:
        missing = value is None or math.isnan(value)
        return Target(f"{name} ≤ {limit:g} {unit}", f"{_fmt(value, digits)} {unit}",
                      None if missing else value <= limit)

    c_max = CONCURRENCY_LEVELS[-1]
    resolve_us = by_name["resolve_language median (µs)"].bot
    throughput = by_name[f"throughput c={c_max} (msg/s)"].bot
    errs = errors(bot.turns.get(c_max, []))
    return [
        # Issue 8 tightened this from 1.3x: deciding at the level of facts must cost nothing.
        ratio_target("fact turn c=1 p50", "turn c=1 p50 (ms)", 1.0),
        ratio_target("fact turn c=1 p95", "turn c=1 p95 (ms)", 1.5),
        ratio_target("/model/parse p50", "/model/parse p50 (ms)", 1.5),
        Target(f"≥ 40 msg/s at {c_max} concurrent senders with 0 errors",
               f"{_fmt(throughput)} msg/s, {errs} errors",
               None if throughput is None or math.isnan(throughput) else throughput >= 40 and errs == 0),
        at_most("Rasa server peak RSS", by_name["peak RSS Rasa server (MB)"].bot, 1300, "MB"),
        at_most("action server peak RSS", by_name["peak RSS action server (MB)"].bot, 150, "MB"),
        at_most("cold start", bot.cold_start_s, 25, "s"),
        at_most("full rasa train", bot.train_s, 180, "s"),
        at_most("language resolution median", math.nan if resolve_us is None else resolve_us / 1000, 1, "ms",
                3),
    ]


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def machine_facts() -> dict[str, str]:
    """What the figures depend on, so two results files can be compared honestly."""
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                         model)
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": f"{os.cpu_count()} logical ({psutil.cpu_count(logical=False)} physical)",
        "CPU": model,
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "load average at start": load,
        "Python": platform.python_version(),
        "Rasa": metadata.version("rasa"),
        "OS": platform.platform(),
    }


def render(machine: dict[str, str], params: dict[str, str], table: list[Row], goals: list[Target],
           warnings: list[str]) -> str:
    """Markdown: machine facts, parameters, the ratio table, the targets, warnings."""
    lines = ["# Benchmark: briefing bot vs stock `rasa init` bot", "",
             "Generated by `make bench` (`python -m bench.run`); medians over rounds. Re-run on a quiet "
             "machine before treating figures as final.", "", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in machine.items()]
    lines += ["", "## Parameters", ""] + [f"- {k}: {v}" for k, v in params.items()]
    lines += ["", "## Results", "", "| metric | bot | stock | bot/stock |", "|---|---|---|---|"]
    for row in table:
        lines.append(f"| {row.name} | {_fmt(row.bot, row.digits)} | {_fmt(row.stock, row.digits)} "
                     f"| {_fmt(row.ratio, 2)} |")
    lines += ["", "## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {t.verdict} |" for t in goals]
    lines += ["", "## Warnings", ""] + ([f"- {w}" for w in warnings] or ["- none"])
    return "\n".join(lines) + "\n"
