"""`make bench`: measure our bot against a stock `rasa init` bot in one run, write bench/results.md.

Order matters on a 2-core machine: the in-process language timing first, then the two trainings
(nothing else running), then both bots' cold starts one after the other, then the load rounds,
where bot and stock take turns at each concurrency so a busy spell on the machine hits both.

    python -m bench.run                      # full: 3 rounds, trainings included (~7 min)
    python -m bench.run --quick --skip-train # smoke: tiny sizes, 1 round
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import rasa

from bench import report
from bench.load import TURNS_PER_SENDER, LoadResult, parse_round, rest_round
from bench.processes import RssSampler, answers
from bench.workloads import STOCK_MESSAGES, fact_questions, language_timings
from bot.runtime.processes import (
    MODEL,
    RASA,
    ROOT,
    Managed,
    ProcessRegistry,
    free_port,
    http_ok,
    project_env,
    start_bot,
    wait_until,
)

DEFAULT_OUT = ROOT / "bench" / "results.md"
#: Where time went and what was changed, before -> after; appended to every results file.
OPTIMISATION_LOG = ROOT / "bench" / "optimisations.md"
START_TIMEOUT = 240  # seconds for a server to answer its first message (cold start target is 25 s)


@dataclass
class Sizes:
    rounds: int
    messages: int  # REST turns per concurrency level, per bot, per round
    parses: int  # /model/parse calls per bot per round
    language_messages: int
    warmup: int
    time_limit: float  # seconds for all load rounds together


@dataclass
class Endpoint:
    """A running bot: where to send turns and parses."""

    label: str
    base_url: str
    messages: Sequence[str]

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/webhooks/rest/webhook"

    @property
    def parse_url(self) -> str:
        return f"{self.base_url}/model/parse"


#: Epochs per trained component of the stock bot in the smoke test (``--quick``).
QUICK_STOCK_EPOCHS = 20
#: Rasa's default config: what `rasa init` and a config without a pipeline train with.
RASA_DEFAULT_CONFIG = (Path(rasa.__file__).parent / "engine" / "recipes" / "config_files"
                       / "default_config.yml")


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Sizes]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes for the smoke test (1 round)")
    parser.add_argument("--skip-train", action="store_true", help="do not time `rasa train` of our project")
    parser.add_argument("--rounds", type=int, help="rounds to take the median over (default 3, quick 1)")
    parser.add_argument("--messages", type=int,
                        help="turns per concurrency level per bot per round (default 120, quick 32)")
    parser.add_argument("--time-limit", type=float,
                        help="seconds for all load rounds (default 900, quick 180)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default {DEFAULT_OUT})")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (server logs)")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = Sizes(rounds=args.rounds or (1 if quick else 3), messages=args.messages or (32 if quick else 120),
                  parses=12 if quick else 60, language_messages=60 if quick else 300,
                  warmup=3 if quick else 12, time_limit=args.time_limit or (180 if quick else 900))
    if sizes.rounds < 1 or sizes.messages < 1:
        parser.error("--rounds and --messages must be at least 1")
    return args, sizes


def build_stock(registry: ProcessRegistry, work: Path, env: dict[str, str],
                quick: bool = False) -> tuple[Path, Path, float]:
    """`rasa init --no-prompt` in a fresh folder (it trains the mood bot); folder, model, seconds.

    ``quick`` (the smoke test, which make test runs beside other work on two cores): the same
    scaffold (Rasa's own ``initial_project``) trained with Rasa's default config cut to
    ``QUICK_STOCK_EPOCHS`` epochs per trained component, a fixed seed and one TensorFlow thread:
    about a third of the CPU-seconds. The smoke checks the harness, never a figure; the stock
    bot's training time and answers are then not the benchmark's."""
    folder = work / "stock"
    if quick:
        shutil.copytree(Path(rasa.__file__).parent / "cli" / "initial_project", folder)
        (folder / "config.yml").write_text(quick_stock_config(), encoding="utf-8")
        print("stock (quick): Rasa's scaffold, default config at "
              f"{QUICK_STOCK_EPOCHS} epochs ...", flush=True)
        command = [RASA, "train", "--out", str(folder / "models")]
        threads = {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}
        seconds = registry.run("rasa train (stock, quick)", command, cwd=folder,
                               env={**env, **threads}, log=work / "stock-init.log", timeout=900)
    else:
        folder.mkdir()
        print("stock: rasa init --no-prompt (scaffold + training) ...", flush=True)
        seconds = registry.run("rasa init", [RASA, "init", "--no-prompt", "--init-dir", str(folder)],
                               cwd=folder, env=env, log=work / "stock-init.log", timeout=900)
    models = sorted((folder / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"the stock bot's training finished without a model in {folder / 'models'}")
    print(f"stock: trained in {seconds:.1f} s", flush=True)
    return folder, models[-1], seconds


def quick_stock_config() -> str:
    """Rasa's default config (what `rasa init` trains with), every ``epochs`` set to a few.

    A fixed seed as well: at few epochs an unseeded training sometimes leaves the mood bot silent
    on "hi" (the smoke then waits for a first answer that never comes)."""
    return seeded_default_config(QUICK_STOCK_EPOCHS)


def seeded_default_config(epochs: int | None = None) -> str:
    """Rasa's default config with ``random_seed: 42`` beside each of its four ``epochs`` (a
    repeatable training), and those set to ``epochs`` when given. Also used by
    scripts/compare_default_pipeline.py."""
    text = RASA_DEFAULT_CONFIG.read_text(encoding="utf-8")
    seeded, count = re.subn(r"(?m)^(\s+)epochs:\s*(\d+)\s*$",
                            lambda m: f"{m[1]}epochs: {epochs or m[2]}\n{m[1]}random_seed: 42", text)
    if count < 4:
        raise RuntimeError(f"{RASA_DEFAULT_CONFIG} no longer has the four trained components "
                           "this expects")
    return seeded


def train_ours(registry: ProcessRegistry, work: Path, env: dict[str, str]) -> float:
    """Full `rasa train --force` of our project into the temp folder: models/ and .rasa/ stay untouched."""
    print("bot: rasa train --force (into a temporary folder) ...", flush=True)
    seconds = registry.run(
        "rasa train", [RASA, "train", "--force", "--out", str(work / "train"), "--fixed-model-name", "bench"],
        cwd=ROOT, env={**env, "RASA_CACHE_DIRECTORY": str(work / "rasa-cache")}, log=work / "train.log",
        timeout=1200)
    print(f"bot: trained in {seconds:.1f} s", flush=True)
    return seconds


def start_ours(registry: ProcessRegistry, sampler: RssSampler, work: Path, env: dict[str, str],
               question: str) -> tuple[Endpoint, float]:
    """Action server + Rasa server as `make run` starts them, with their own facts and tracker stores."""
    folder = work / "bot"
    folder.mkdir()
    print("bot: starting the action server and the Rasa server ...", flush=True)
    servers = start_bot(registry, folder, env, rasa_args=["--cors", "*", "--enable-api"])
    sampler.watch("bot:actions", servers.actions.process.pid)
    sampler.watch("bot:rasa", servers.rasa.process.pid)
    target = Endpoint("bot", servers.base_url, fact_questions())
    cold = wait_until(lambda: http_ok(servers.action_health_url)
                      and answers(target.rest_url, "bench-cold-start", question),
                      [servers.actions, servers.rasa], START_TIMEOUT, "answer from our bot")
    print(f"bot: first answer after {cold:.1f} s", flush=True)
    return target, cold


def start_stock(registry: ProcessRegistry, sampler: RssSampler, folder: Path, model: Path,
                work: Path, env: dict[str, str]) -> tuple[Endpoint, float]:
    """The mood bot's Rasa server, as `rasa init` left it (in-memory tracker, no action server)."""
    port = free_port()
    print("stock: starting the Rasa server ...", flush=True)
    rasa: Managed = registry.start("stock Rasa server", [
        RASA, "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port),
        "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", "--cors", "*", "--enable-api"],
        cwd=folder, env=env, log=work / "stock-rasa.log")
    sampler.watch("stock:rasa", rasa.process.pid)
    target = Endpoint("stock", f"http://127.0.0.1:{port}", STOCK_MESSAGES)
    cold = wait_until(lambda: answers(target.rest_url, "bench-cold-start", "hi"), [rasa], START_TIMEOUT,
                      "answer from the stock bot")
    print(f"stock: first answer after {cold:.1f} s", flush=True)
    return target, cold


def warm_up(target: Endpoint, sizes: Sizes, deadline: float) -> None:
    """Untimed traffic first: lazy imports, caches and SQLite pages are then warm for both bots."""
    rest_round(target.rest_url, target.messages, 1, sizes.warmup, deadline, f"bench-warm-{target.label}")
    rest_round(target.rest_url, target.messages, 8, 16, deadline, f"bench-warm8-{target.label}")
    parse_round(target.parse_url, target.messages, sizes.warmup, deadline)


def _line(label: str, result: LoadResult) -> str:
    return (f"  {label:<22} p50 {result.percentile_ms(50):8.1f} ms  p95 {result.percentile_ms(95):8.1f} ms  "
            f"{result.throughput:6.1f}/s  {result.errors} errors"
            + (f" {dict(result.error_kinds)}" if result.errors else "")
            + ("  (time limit hit)" if result.timed_out else ""))


def measure(targets: dict[str, Endpoint], sides: dict[str, report.Side], sizes: Sizes) -> list[str]:
    """The load rounds; returns warnings (time limit hit). Bot and stock alternate at every step."""
    deadline = time.monotonic() + sizes.time_limit
    warnings: list[str] = []
    for target in targets.values():
        warm_up(target, sizes, deadline)
    for r in range(sizes.rounds):
        print(f"round {r + 1}/{sizes.rounds}", flush=True)
        for c in report.CONCURRENCY_LEVELS:
            for name, target in targets.items():
                result = rest_round(target.rest_url, target.messages, c, sizes.messages, deadline,
                                    f"bench-r{r}-c{c}-{name}")
                sides[name].turns.setdefault(c, []).append(result)
                print(_line(f"{name} turns c={c}", result), flush=True)
        for name, target in targets.items():
            result = parse_round(target.parse_url, target.messages, sizes.parses, deadline)
            sides[name].parses.append(result)
            print(_line(f"{name} /model/parse", result), flush=True)
        if time.monotonic() >= deadline:
            warnings.append(f"the time limit ({sizes.time_limit:.0f} s) stopped the load after round "
                            f"{r + 1}; figures come from fewer messages than asked")
            break
    return warnings


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args, sizes = parse_args(argv)
    if not MODEL.exists():
        print(f"error: {MODEL} is missing: run `make train` first", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started = time.monotonic()
    machine = report.machine_facts()
    work = Path(tempfile.mkdtemp(prefix="briefing-bench-"))
    registry = ProcessRegistry()
    sampler = RssSampler()
    sides = {"bot": report.Side(), "stock": report.Side()}
    try:
        sampler.start()
        print(f"language resolution over {sizes.language_messages} messages ...", flush=True)
        language = language_timings(sizes.language_messages)
        # The benchmark measures serving, so the per-sender rate limit (20 messages a minute by
        # default, which each of its senders passes in seconds) is off for our bot.
        env = project_env({"BOT_RATE_LIMIT_PER_MINUTE": "0"})
        stock_dir, stock_model, sides["stock"].train_s = build_stock(registry, work, env, quick=args.quick)
        if not args.skip_train:
            sides["bot"].train_s = train_ours(registry, work, env)
        questions = fact_questions()
        bot, sides["bot"].cold_start_s = start_ours(registry, sampler, work, env, questions[0])
        stock, sides["stock"].cold_start_s = start_stock(registry, sampler, stock_dir, stock_model, work, env)
        warnings = measure({"bot": bot, "stock": stock}, sides, sizes)
        registry.stop_all()
        sampler.stop()
        for key, peak in sampler.peaks.items():
            side, process = key.split(":")
            sides[side].rss[process] = peak
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything this run started", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        registry.stop_all()  # first: servers must not outlive the run, whatever else fails here
        sampler.stop()
        if args.keep_temp:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    for label, side in sides.items():
        warnings += report.spread_warnings(label, side) + report.error_notes(label, side)
    table = report.rows(sides["bot"], sides["stock"], language)
    goals = report.targets(table, sides["bot"])
    params = {"rounds": str(sizes.rounds),
              "turns per concurrency level per bot per round": str(sizes.messages),
              "parses per bot per round": str(sizes.parses),
              "senders": f"distinct per worker, new sender every {TURNS_PER_SENDER} turns",
              "fact questions": f"{len(questions)} (tests/nlu ask_* intents, id/ja/en)",
              "language-resolution messages": str(int(language["messages"])),
              "training measured": "no (--skip-train)" if args.skip_train else "yes",
              "quick": "yes" if args.quick else "no",
              "harness wall time": f"{time.monotonic() - started:.0f} s"}
    text = report.render(machine, params, table, goals, warnings)
    if OPTIMISATION_LOG.exists():  # the hand-kept before/after log travels with every result
        text += "\n" + OPTIMISATION_LOG.read_text(encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text[text.index("## Results"):])
    for w in warnings:
        print(f"WARNING: {w}", file=sys.stderr)
    failed = [g.name for g in goals if g.ok is False]
    print(f"wrote {args.out}; {len(goals) - len(failed)}/{len(goals)} targets not failed"
          + (f"; FAIL: {', '.join(failed)}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
