"""Start, watch and stop processes: the bot's servers, and anything else a test or the benchmark runs.

Every process is started in its own session (process group) and registered with a
:class:`ProcessRegistry`, so one ``stop_all()`` in a ``finally`` ends the servers and whatever
they spawned, also after Ctrl-C or an exception; waits are bounded everywhere.

The commands of the two servers are defined once (:func:`action_server_command`,
:func:`rasa_server_command`), and :func:`wait_until` with :func:`http_ok` is the one way anything
waits for a server to be healthy: `make run` (bot.runtime.supervise), `make shell`, the tests and
the benchmark.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests

from bot.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT
RASA = str(Path(sys.executable).with_name("rasa"))
MODEL = ROOT / "models" / "briefing-bot.tar.gz"


def free_port() -> int:
    """A free TCP port on loopback (the OS picks it, so parallel runs do not collide)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_env(overrides: dict[str, str], telemetry_off: bool = True) -> dict[str, str]:
    """The environment `make run` gives the servers (scripts/env.sh over this process's), plus
    ``overrides``.

    Sourcing scripts/env.sh (rather than copying its defaults) keeps every caller in step when a
    setting is added there, e.g. the TELEGRAM_* variables credentials.yml references.
    """
    out = subprocess.run(["bash", "-c", ". scripts/env.sh && env -0"], cwd=ROOT, capture_output=True,
                         check=True, timeout=30).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    if telemetry_off:
        # No phone-home from `rasa init`/`rasa train`/`rasa run` in tests and the benchmark.
        env["RASA_TELEMETRY_ENABLED"] = "false"
    env.update(overrides)
    return env


def action_server_command(port: int | str) -> list[str]:
    """The action server (rasa-sdk) with our actions package; it listens on ``SANIC_HOST``.

    ``python -m rasa_sdk`` rather than ``rasa run actions``: the same rasa-sdk entry point, but
    without importing Rasa itself, which is only needed to train and serve the model (peak RSS
    145 -> 68 MB at start, measured 2026-12-07)."""
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]


def rasa_server_command(port: int | str, interface: str = "127.0.0.1", model: Path | str | None = None,
                        extra: Sequence[str] = ()) -> list[str]:
    """The Rasa server with our endpoints (trackers, action server) and channels."""
    return [RASA, "run", "--model", str(model or MODEL), "--interface", interface, "--port", str(port),
            "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", *extra]


@dataclass
class Managed:
    """A started process, its log file and when it was started (for cold-start timing)."""

    name: str
    process: subprocess.Popen
    log: Path
    started: float

    def tail(self, chars: int = 3000) -> str:
        return tail(self.log, chars)


def tail(log: Path, chars: int = 3000) -> str:
    """The end of a log file ('' when there is none)."""
    try:
        with open(log, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - chars * 4))
            return handle.read().decode("utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def start_process(args: Sequence[str], cwd: Path, env: dict[str, str], log: Path,
                  append: bool = False) -> subprocess.Popen:
    """``args`` in a new session (its own process group), stdout and stderr into ``log``."""
    with open(log, "a" if append else "w") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(list(args), cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop_process(process: subprocess.Popen, grace: float = 20) -> int | None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds; the exit status."""
    if process.poll() is None:
        signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # Children left behind in the group (none expected) go too.
    signal_group(process.pid, signal.SIGKILL)
    return process.returncode


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the group start_process created with start_new_session: pgid == pid
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class ProcessRegistry:
    """Everything this run started; ``stop_all`` ends it all (process groups, bounded waits)."""

    managed: list[Managed] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> Managed:
        item = Managed(name, start_process(args, cwd, env, log), log, time.monotonic())
        self.managed.append(item)
        return item

    def run(self, name: str, args: Sequence[str], cwd: Path, env: dict[str, str], log: Path,
            timeout: float) -> float:
        """Run a command to completion; its wall time in seconds. Raises with the log's tail on failure."""
        item = self.start(name, args, cwd, env, log)
        try:
            code = item.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.stop(item)
            raise RuntimeError(f"{name} did not finish within {timeout:.0f} s:\n{item.tail()}") from exc
        elapsed = time.monotonic() - item.started
        if code != 0:
            raise RuntimeError(f"{name} exited with {code}:\n{item.tail()}")
        return elapsed

    def stop(self, item: Managed, grace: float = 20) -> None:
        stop_process(item.process, grace)

    def stop_all(self) -> None:
        for item in reversed(self.managed):
            try:
                self.stop(item)
            except Exception as exc:  # keep stopping the others
                print(f"warning: could not stop {item.name}: {exc}", file=sys.stderr)
        self.managed.clear()


class Watched(Protocol):
    """What :func:`wait_until` needs of a process: a name, a Popen-like ``process``, a log tail."""

    name: str
    started: float

    @property
    def process(self) -> Any: ...  # poll() and returncode, like subprocess.Popen

    def tail(self, chars: int = 3000) -> str: ...


class ServerDownError(RuntimeError):
    """A watched server exited, or did not become healthy in time; the message has its log's end."""


def wait_until(check: Callable[[], bool], watched: Sequence[Watched], seconds: float,
               what: str, interval: float = 0.25) -> float:
    """Poll ``check`` until it is true; seconds since the earliest watched process started.

    Fails early with the log's tail when a watched process exits, so a broken server does not
    cost the full timeout. Connection errors of ``check`` count as "not yet".
    """
    start = min((item.started for item in watched), default=time.monotonic())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for item in watched:
            if item.process.poll() is not None:
                raise ServerDownError(f"{item.name} exited with {item.process.returncode} before {what}:\n"
                                      + item.tail())
        try:
            if check():
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(interval)
    raise ServerDownError(f"no {what} within {seconds:.0f} s:\n"
                          + "\n".join(i.tail(1500) for i in watched))


def http_ok(url: str) -> bool:
    """True when ``url`` answers GET with a 2xx/3xx status within 2 s (a server's health check)."""
    return requests.get(url, timeout=2).ok


@dataclass
class BotServers:
    """Our action server and Rasa server, started by :func:`start_bot`."""

    base_url: str          # the Rasa server, e.g. http://127.0.0.1:PORT
    action_health_url: str
    actions: Managed
    rasa: Managed
    facts_db_url: str      # the facts store the action server reads
    env: dict[str, str] = field(default_factory=dict)  # what both were started with
    folder: Path | None = None                          # their stores and logs

    def restart_actions(self, registry: ProcessRegistry) -> Managed:
        """Start the action server again (same command, port, env; log appended to a new file),
        e.g. after a test stopped it; returns at once."""
        port = self.action_health_url.rsplit(":", 1)[1].split("/")[0]
        folder = self.folder or ROOT / "logs"
        self.actions = registry.start("action server", action_server_command(port), cwd=ROOT,
                                      env=self.env, log=folder / f"actions-{time.monotonic_ns()}.log")
        return self.actions

    def wait_healthy(self, seconds: float) -> float:
        """Until both servers answer their health checks; seconds since they were started."""
        return wait_until(lambda: http_ok(self.action_health_url) and http_ok(f"{self.base_url}/"),
                          [self.actions, self.rasa], seconds, "both servers up")


def start_bot(registry: ProcessRegistry, folder: Path, env: dict[str, str], facts_dir: Path | None = None,
              rasa_args: Sequence[str] = (), model: Path | None = None) -> BotServers:
    """Both servers as `make run` starts them, on free loopback ports, with their own facts, tracker
    and review stores in ``folder`` (logs there too; the questions of tests and benchmarks never reach
    the operators' `make review`). Returns at once; callers wait for what they need."""
    from bot.facts import FactsStore, load_catalogue  # the facts' dependencies only where needed

    facts_url = f"sqlite:///{folder / 'facts.db'}"
    FactsStore(facts_url).build(load_catalogue(facts_dir or ROOT / "data" / "facts"))
    rasa_port, action_port = free_port(), free_port()
    env = {**env, "FACTS_DB_URL": facts_url, "TRACKER_STORE_URL": f"sqlite:///{folder / 'tracker.db'}",
           "REVIEW_DB_URL": f"sqlite:///{folder / 'review.db'}",
           "BIND_HOST": "127.0.0.1", "SANIC_HOST": "127.0.0.1", "RASA_PORT": str(rasa_port),
           "ACTION_PORT": str(action_port), "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook"}
    actions = registry.start("action server", action_server_command(action_port),
                             cwd=ROOT, env=env, log=folder / "actions.log")
    rasa = registry.start("bot Rasa server", rasa_server_command(rasa_port, model=model, extra=rasa_args),
                          cwd=ROOT, env=env, log=folder / "rasa.log")
    return BotServers(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}/health",
                      actions, rasa, facts_url, env, folder)
