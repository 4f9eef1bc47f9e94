"""`make bench-scale-out`: throughput and latency of the scale-out topology with 1 and with 2 replicas,
on this machine, and where the CPU goes; writes bench/scale_out_results.md.

Both runs use the same topology (bot/runtime/cluster.py: PostgreSQL tracker and facts stores, Redis
lock store, nginx in front), so the only difference is the number of Rasa servers and action
servers. Each load round sends fact questions from the held-out NLU sets (bench/workloads.py)
through nginx at 32 concurrent conversations. The CPU seconds each process used during the
measured rounds come from /proc (user + system time), which shows what saturates.

    python -m bench.scale_out [--messages 480] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from bench.load import rest_round
from bench.workloads import fact_questions
from bot.runtime.cluster import Cluster, start_cluster
from bot.runtime.processes import ROOT

OUT = ROOT / "bench" / "scale_out_results.md"
CONCURRENCY = 32


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, and of its children that have exited (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks


def _tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (by parent pid: PostgreSQL's backends start sessions of
    their own, so a process group would miss them)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _cpu_by_role(cluster: Cluster) -> dict[str, float]:
    """CPU seconds so far, per role (all replicas of a role together, each with its child processes;
    a backend that exited in between is counted in its parent's children time)."""
    roles = {"Rasa servers": [r.managed for r in cluster.rasa],
             "action servers": [a.managed for a in cluster.actions],
             "PostgreSQL": [cluster.services["postgresql"]], "Redis": [cluster.services["redis"]],
             "nginx": [cluster.services["nginx"]]}
    return {role: sum(_cpu_seconds(pid) for m in managed for pid in _tree_pids(m.process.pid))
            for role, managed in roles.items()}


def _tracker_bytes(cluster: Cluster) -> tuple[int, int]:
    """Size of the tracker database (bytes) and its number of user turns so far."""
    engine = sa.create_engine(cluster.tracker_store_url)
    try:
        with engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_database_size('tracker')")).scalar()
            turns = conn.execute(sa.text("SELECT count(*) FROM events WHERE type_name = 'user'")).scalar()
    finally:
        engine.dispose()
    return int(size), int(turns)


def measure(replicas: int, messages: int, rounds: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-scale-{replicas}-"))
    print(f"{replicas} replica(s): starting the topology ...", flush=True)
    cluster = start_cluster(folder, replicas, extra_env={"BOT_RATE_LIMIT_PER_MINUTE": "0"})
    try:
        questions = fact_questions()
        url = cluster.rest_url
        deadline = time.monotonic() + 900
        rest_round(url, questions, 8, 48, deadline, f"warm-{replicas}")  # lazy imports, caches
        size_before, turns_before = _tracker_bytes(cluster)
        before_cpu, before, load_cpu = _cpu_by_role(cluster), time.perf_counter(), time.process_time()
        results = [rest_round(url, questions, CONCURRENCY, messages, deadline, f"r{r}-{replicas}")
                   for r in range(rounds)]
        wall = time.perf_counter() - before
        after_cpu = _cpu_by_role(cluster)
        after_cpu["load generator"] = time.process_time() - load_cpu
        before_cpu["load generator"] = 0.0
        size, turns = _tracker_bytes(cluster)
        for r, result in enumerate(results):
            print(f"  round {r + 1}: {result.throughput:.1f} msg/s, p50 {result.percentile_ms(50):.0f} ms, "
                  f"p95 {result.percentile_ms(95):.0f} ms, {result.errors} errors", flush=True)
        return {
            "replicas": replicas,
            "throughput": statistics.median(r.throughput for r in results),
            "p50": statistics.median(r.percentile_ms(50) for r in results),
            "p95": statistics.median(r.percentile_ms(95) for r in results),
            "errors": sum(r.errors for r in results),
            "sent": sum(len(r.latencies) + r.errors for r in results),
            "cpu": {role: after_cpu[role] - before_cpu[role] for role in after_cpu},
            "wall": wall,
            # Growth over the measured rounds (an empty database already takes several MB).
            "bytes_per_turn": (size - size_before) / (turns - turns_before) if turns > turns_before
            else float("nan"),
            "turns": turns,
        }
    finally:
        cluster.stop()


def write(results: list[dict[str, object]], args: argparse.Namespace) -> str:
    lines = ["# Scale-out: 1 vs 2 replicas on this machine", "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `python -m bench.scale_out "
             f"--messages {args.messages} --rounds {args.rounds}` on {platform.machine()}, "
             f"{os.cpu_count()} cores. Both runs: PostgreSQL tracker and facts stores, Redis lock store, "
             f"nginx in front (bot/runtime/cluster.py); load through nginx, {CONCURRENCY} concurrent "
             "conversations of fact questions (held-out NLU sets), median of the rounds.", "",
             "| replicas (Rasa + action) | msg/s | p50 (ms) | p95 (ms) | errors / sent "
             "| tracker bytes per turn |",
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['replicas']} + {r['replicas']} | {r['throughput']:.1f} | {r['p50']:.0f} | "
                     f"{r['p95']:.0f} | {r['errors']} / {r['sent']} | {r['bytes_per_turn']:.0f} |")
    lines += ["", "CPU seconds used during the measured rounds, per role (all replicas together), and "
              "as a share of the machine's capacity over that time:", "",
              "| replicas | " + " | ".join(results[0]["cpu"]) + " | total | capacity used |",
              "|---|" + "---|" * (len(results[0]["cpu"]) + 2)]
    for r in results:
        cpu = r["cpu"]
        total = sum(cpu.values())
        lines.append(f"| {r['replicas']} | " + " | ".join(f"{v:.0f}" for v in cpu.values())
                     + f" | {total:.0f} | {100 * total / (r['wall'] * (os.cpu_count() or 1)):.0f} % |")
    lines.append("")
    text = "\n".join(lines)
    OUT.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=480, help="turns per round (480)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per setting (3; median reported)")
    args = parser.parse_args(argv)
    results = [measure(replicas, args.messages, args.rounds) for replicas in (1, 2)]
    print(write(results, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
