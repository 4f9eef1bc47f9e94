"""`make run` keeps the bot up: start both servers, wait for health, restart one that crashes.

    python -m bot.runtime.supervise     # scripts/run.sh execs this after setup, facts build, training

Starts the action server (logs/actions.log) and the Rasa server (logs/rasa.log) with the commands
of bot.runtime.processes, waits until both answer their health checks and prints where to chat.
A server that exits (or stops answering its health check after a restart) is restarted after a
wait that doubles with each crash: ``RESTART_BACKOFF_SECONDS`` (1), 2, 4, ... up to
``RESTART_BACKOFF_MAX_SECONDS`` (30). More than ``RESTART_MAX`` (5) restarts of one server within
``RESTART_WINDOW_SECONDS`` (300) and the supervisor gives up: it stops both servers, shows the end
of the server's log (e.g. "facts store ... rebuild it with `make facts`") and exits 1. A server
that fails on its very first start is not restarted at all: a missing model, a port in use or a
broken facts store is not fixed by trying again. Every restart is one line on stderr and a marker
line in the server's log. Ctrl-C or SIGTERM stops both servers (their whole process groups) and
exits 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.runtime.processes import (
    MODEL,
    ROOT,
    ServerDownError,
    action_server_command,
    http_ok,
    project_env,
    rasa_server_command,
    start_process,
    stop_process,
    tail,
    wait_until,
)
from bot.settings import settings


def rasa_extra_args() -> tuple[str, ...]:
    """Extra flags of the Rasa server under `make run`: CORS only for the origins configured
    (``BOT_CORS_ORIGINS``). The web page is served by the Rasa server itself (same origin) and
    Telegram posts server to server, so by default no cross-origin access is allowed. Rasa's HTTP
    API stays off (no ``--enable-api``)."""
    origins = settings().cors_origins
    return ("--cors", *origins) if origins else ()

#: Seconds a server may take to answer its health check after a (re)start.
ACTION_START_SECONDS = 60
RASA_START_SECONDS = 120


class GiveUp(RuntimeError):
    """The supervisor stops: a server failed its first start, or crashed too often."""


class Stopped(Exception):
    """Ctrl-C or SIGTERM."""


@dataclass(frozen=True)
class RestartPolicy:
    """How often and how soon a crashed server is restarted (bot.settings: ``RESTART_*``)."""

    max_restarts: int = 5
    window: float = 300.0
    first_backoff: float = 1.0
    max_backoff: float = 30.0

    @classmethod
    def from_config(cls) -> RestartPolicy:
        current = settings()
        return cls(current.restart_max, current.restart_window_seconds, current.restart_backoff_seconds,
                   current.restart_backoff_max_seconds)

    def delay(self, crashes: deque[float], now: float) -> float | None:
        """Seconds to wait before the next restart, given the crash times (this one included, old
        ones are dropped); None: give up."""
        while crashes and crashes[0] < now - self.window:
            crashes.popleft()
        if len(crashes) > self.max_restarts:
            return None
        return min(self.first_backoff * 2 ** (len(crashes) - 1), self.max_backoff)


@dataclass
class Server:
    """One supervised server: how to start it and how to tell it is up."""

    name: str
    command: Sequence[str]
    log: Path
    health_url: str
    start_seconds: float
    process: subprocess.Popen | None = None
    started: float = 0.0
    ever_healthy: bool = False
    restarts: int = 0
    crashes: deque[float] = field(default_factory=deque)

    def tail(self, chars: int = 3000) -> str:
        return tail(self.log, chars)


def bot_servers(env: dict[str, str]) -> list[Server]:
    """The action server and the Rasa server as `make run` has always started them."""
    logs = ROOT / "logs"
    action_port, rasa_port = env.get("ACTION_PORT", "5055"), env.get("RASA_PORT", "5005")
    return [
        Server("action server", action_server_command(action_port), logs / "actions.log",
               f"http://127.0.0.1:{action_port}/health", ACTION_START_SECONDS),
        Server("Rasa server", rasa_server_command(rasa_port, env.get("BIND_HOST", "127.0.0.1"),
                                                  MODEL.relative_to(ROOT), rasa_extra_args()),
               logs / "rasa.log", f"http://127.0.0.1:{rasa_port}/", RASA_START_SECONDS),
    ]


def _say(message: str) -> None:
    print(f"{datetime.now():%Y-%m-%d %H:%M:%S} supervisor: {message}", file=sys.stderr, flush=True)


class Supervisor:
    """Runs ``servers`` until stopped; see the module's docstring for the rules."""

    def __init__(self, servers: Sequence[Server], env: dict[str, str], cwd: Path = ROOT,
                 policy: RestartPolicy | None = None, on_ready: Callable[[], None] = lambda: None,
                 poll: float = 0.5, grace: float = 20, say: Callable[[str], None] = _say) -> None:
        self.servers = list(servers)
        self.env = env
        self.cwd = cwd
        self.policy = policy or RestartPolicy.from_config()
        self.on_ready = on_ready
        self.poll = poll
        self.grace = grace
        self.say = say

    def run(self) -> int:
        """0 when stopped by a signal, 1 when it gave up."""
        previous = {sig: signal.signal(sig, _raise_stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for server in self.servers:
                self._start(server)
            self._until_healthy(self.servers)
            self.on_ready()
            while True:
                for server in self.servers:
                    if server.process is None or server.process.poll() is not None:
                        self._crashed(server, f"exited with status {_status(server.process)}")
                        self._until_healthy([server])
                time.sleep(self.poll)
        except Stopped:
            print(file=sys.stderr)
            self.say("stopping the bot ...")
            return 0
        except GiveUp as error:
            self.say(f"error: {error}")
            return 1
        finally:
            for sig in previous:  # a second Ctrl-C must not cut the (bounded) stopping short
                signal.signal(sig, signal.SIG_IGN)
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop_all(self) -> None:
        for server in reversed(self.servers):
            if server.process is not None:
                try:
                    stop_process(server.process, self.grace)
                except Exception as exc:  # keep stopping the others
                    self.say(f"warning: could not stop the {server.name}: {exc}")

    def _start(self, server: Server) -> None:
        if server.restarts:
            with open(server.log, "a", encoding="utf-8") as handle:
                handle.write(f"\n--- {datetime.now():%Y-%m-%d %H:%M:%S} restarted by the supervisor "
                             f"(restart {server.restarts}) ---\n")
        server.process = start_process(server.command, self.cwd, self.env, server.log,
                                       append=bool(server.restarts))
        server.started = time.monotonic()

    def _until_healthy(self, servers: list[Server]) -> None:
        """Wait (bot.runtime.processes.wait_until) until every server in ``servers`` is healthy,
        restarting those that exit or hang meanwhile."""
        while True:
            try:
                wait_until(lambda: all(http_ok(s.health_url) for s in servers), servers,
                           max(s.start_seconds for s in servers), "health checks")
            except ServerDownError:
                for server in servers:
                    if server.process is not None and server.process.poll() is not None:
                        self._crashed(server, f"exited with status {_status(server.process)} "
                                              "before answering its health check")
                    elif (time.monotonic() - server.started >= server.start_seconds
                          and not _healthy(server)):  # hung, not merely still starting
                        self._crashed(server, f"did not answer {server.health_url} "
                                              f"within {server.start_seconds:.0f} s")
                continue
            for server in servers:
                if not server.ever_healthy:
                    server.ever_healthy = True
                elif server.restarts:
                    self.say(f"{server.name} is up again ({server.health_url})")
            return

    def _crashed(self, server: Server, what: str) -> None:
        """Restart ``server`` after the policy's wait, or give up."""
        where = f"see {_shown(server.log)}:\n{_indent(server.tail(2000))}"
        if not server.ever_healthy:
            raise GiveUp(f"the {server.name} {what} on its first start; not restarting it, {where}")
        if server.process is not None:  # what the crashed server left in its process group goes too
            stop_process(server.process, self.grace)
        now = time.monotonic()
        server.crashes.append(now)
        delay = self.policy.delay(server.crashes, now)
        if delay is None:
            raise GiveUp(f"the {server.name} {what}; it crashed {len(server.crashes)} times within "
                         f"{self.policy.window:.0f} s (RESTART_MAX={self.policy.max_restarts}, "
                         f"RESTART_WINDOW_SECONDS={self.policy.window:.0f}), giving up; {where}")
        server.restarts += 1
        self.say(f"the {server.name} {what}; restart {server.restarts} in {delay:g} s "
                 f"({len(server.crashes)} crash(es) within {self.policy.window:.0f} s, giving up after "
                 f"{self.policy.max_restarts} restarts; log: {_shown(server.log)})")
        time.sleep(delay)
        self._start(server)


def _healthy(server: Server) -> bool:
    try:
        return http_ok(server.health_url)
    except Exception:
        return False


def _status(process: subprocess.Popen | None) -> str:
    code = process.returncode if process is not None else None
    if code is not None and code < 0:
        try:
            return f"{code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return str(code)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-25:])


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def _ready_message(env: dict[str, str]) -> Callable[[], None]:
    port = env.get("RASA_PORT", "5005")

    def show() -> None:
        print(f"""
  The briefing bot is running.
    Chat (REST):  curl -s -X POST http://127.0.0.1:{port}/webhooks/rest/webhook \\
                    -H 'Content-Type: application/json' \\
                    -d '{{"sender": "me", "message": "Apa itu SMRJ?"}}'
    Web chat:     http://127.0.0.1:{port}/webhooks/web/
    Terminal:     make shell   (in another terminal; uses this action server)
    Logs:         logs/rasa.log, logs/actions.log
  A server that crashes is restarted (RESTART_* in .env.example).
  Press Ctrl-C to stop both servers.
""", flush=True)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    # The environment scripts/env.sh gives (it is idempotent: run.sh has sourced it already).
    env = project_env({}, telemetry_off=False)
    (ROOT / "logs").mkdir(exist_ok=True)
    if not MODEL.exists():
        print(f"error: {_shown(MODEL)} is missing: run `make train` first", file=sys.stderr)
        return 1
    os.chdir(ROOT)
    return Supervisor(bot_servers(env), env, on_ready=_ready_message(env)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
