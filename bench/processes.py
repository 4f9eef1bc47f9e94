"""Start, watch and stop the processes the benchmark runs: servers, `rasa init`, `rasa train`.

``start_bot`` is the one way our bot's two servers are started outside `make run`: the benchmark
and the tests that talk to the bot over its channels (tests/servers.py) both use it.

Every process is started in its own session (process group) and registered with a
:class:`ProcessRegistry`, so one ``stop_all()`` in a ``finally`` ends the servers and whatever
they spawned, also after Ctrl-C or an exception; waits are bounded everywhere. Peak memory is
sampled with psutil from a background thread because ``ru_maxrss`` of a child is only known after
it exits, and the servers' children (if any) must count too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from bot.facts import FactsStore, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).with_name("rasa"))
MODEL = ROOT / "models" / "briefing-bot.tar.gz"


def free_port() -> int:
    """A free TCP port on loopback (the OS picks it, so parallel runs do not collide)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_env(overrides: dict[str, str]) -> dict[str, str]:
    """The environment `make run` gives the servers, plus ``overrides``.

    Sourcing scripts/env.sh (rather than copying its defaults) keeps the benchmark in step when a
    setting is added there, e.g. the TELEGRAM_* variables credentials.yml references.
    """
    out = subprocess.run(["bash", "-c", ". scripts/env.sh && env -0"], cwd=ROOT, capture_output=True,
                         check=True, timeout=30).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    # No phone-home from `rasa init`/`rasa train`/`rasa run`: the machine has no general network.
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.update(overrides)
    return env


@dataclass
class Managed:
    """A started process, its log file and when it was started (for cold-start timing)."""

    name: str
    process: subprocess.Popen
    log: Path
    started: float

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class ProcessRegistry:
    """Everything this run started; ``stop_all`` ends it all (process groups, bounded waits)."""

    managed: list[Managed] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> Managed:
        with open(log, "w") as handle:  # the child keeps its own descriptor
            process = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=handle,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        item = Managed(name, process, log, time.monotonic())
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
        """SIGTERM to the process group, SIGKILL after ``grace`` seconds."""
        if item.process.poll() is None:
            _signal_group(item.process.pid, signal.SIGTERM)
            try:
                item.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(item.process.pid, signal.SIGKILL)
                item.process.wait(timeout=10)
        # Children left behind in the group (none expected) go too.
        _signal_group(item.process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for item in reversed(self.managed):
            try:
                self.stop(item)
            except Exception as exc:  # keep stopping the others
                print(f"warning: could not stop {item.name}: {exc}", file=sys.stderr)
        self.managed.clear()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the group we created with start_new_session: pgid == pid
    except (ProcessLookupError, PermissionError):
        pass


class RssSampler(threading.Thread):
    """Peak resident memory (process + all descendants) of named processes, sampled periodically."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.interval = interval
        self.peaks: dict[str, int] = {}
        self._pids: dict[str, int] = {}
        self._lock = threading.Lock()
        self._halt = threading.Event()  # not ``_stop``: threading.Thread has a method of that name

    def watch(self, name: str, pid: int) -> None:
        with self._lock:
            self._pids[name] = pid
            self.peaks.setdefault(name, 0)
        self._sample(name, pid)

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            with self._lock:
                watched = dict(self._pids)
            for name, pid in watched.items():
                self._sample(name, pid)

    def _sample(self, name: str, pid: int) -> None:
        try:
            proc = psutil.Process(pid)
            total = proc.memory_info().rss
            for child in proc.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            return
        with self._lock:
            self.peaks[name] = max(self.peaks.get(name, 0), total)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)


def wait_until(check: Callable[[], bool], watched: Sequence[Managed], seconds: float,
               what: str, interval: float = 0.25) -> float:
    """Poll ``check`` until it is true; seconds since the earliest watched process started.

    Fails early with the log's tail when a watched process exits, so a broken server does not
    cost the full timeout.
    """
    start = min(item.started for item in watched)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for item in watched:
            if item.process.poll() is not None:
                raise RuntimeError(f"{item.name} exited with {item.process.returncode} before {what}:\n"
                                   + item.tail())
        try:
            if check():
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(interval)
    raise RuntimeError(f"no {what} within {seconds:.0f} s:\n" + "\n".join(i.tail(1500) for i in watched))


def http_ok(url: str) -> bool:
    return requests.get(url, timeout=2).ok


def answers(rest_url: str, sender: str, message: str) -> bool:
    """True when the REST channel answers ``message`` with status 200 and at least one reply."""
    response = requests.post(rest_url, json={"sender": sender, "message": message}, timeout=10)
    return response.ok and bool(response.json())


@dataclass
class BotServers:
    """Our action server and Rasa server, started by :func:`start_bot`."""

    base_url: str          # the Rasa server, e.g. http://127.0.0.1:PORT
    action_health_url: str
    actions: Managed
    rasa: Managed
    store: FactsStore      # the facts store the action server reads


def start_bot(registry: ProcessRegistry, folder: Path, env: dict[str, str], facts_dir: Path | None = None,
              rasa_args: Sequence[str] = (), model: Path | None = None) -> BotServers:
    """Both servers as `make run` starts them, on free loopback ports, with their own facts store and
    tracker store in ``folder`` (logs there too). Returns at once; callers wait for what they need."""
    facts_url = f"sqlite:///{folder / 'facts.db'}"
    store = FactsStore(facts_url)
    store.build(load_catalogue(facts_dir or ROOT / "data" / "facts"))
    rasa_port, action_port = free_port(), free_port()
    env = {**env, "FACTS_DB_URL": facts_url, "TRACKER_DB": str(folder / "tracker.db"),
           "BIND_HOST": "127.0.0.1", "SANIC_HOST": "127.0.0.1", "RASA_PORT": str(rasa_port),
           "ACTION_PORT": str(action_port), "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook"}
    actions = registry.start("action server", [RASA, "run", "actions", "--actions", "actions",
                                               "--port", str(action_port)],
                             cwd=ROOT, env=env, log=folder / "actions.log")
    rasa = registry.start("bot Rasa server", [
        RASA, "run", "--model", str(model or MODEL), "--interface", "127.0.0.1", "--port", str(rasa_port),
        "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", *rasa_args],
        cwd=ROOT, env=env, log=folder / "rasa.log")
    return BotServers(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}/health",
                      actions, rasa, store)
