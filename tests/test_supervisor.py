"""`make run`'s supervisor (bot/runtime/supervise.py): restarts with backoff, gives up, stops cleanly.

Uses a tiny dummy server (a Python HTTP server that answers its health check and can be told to
crash), not Rasa, so the whole file takes a few seconds. One test starts the real action server on a broken
facts store: the supervisor must report it at once, not restart it in a loop.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import deque
from pathlib import Path

from bot.runtime.processes import action_server_command, free_port, project_env
from bot.runtime.supervise import RestartPolicy, Server, Supervisor
from bot.runtime.wait import main as wait_main

DUMMY = r'''
import http.server, os, pathlib, subprocess, sys, threading
port, folder, mode = int(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
runs_file = folder / "runs"
run = int(runs_file.read_text()) + 1 if runs_file.exists() else 1
runs_file.write_text(str(run))
print(f"dummy run {run}", flush=True)
if mode == "fail-at-start":
    sys.exit(3)
# A grandchild in the server's process group: stopping the server must end it too.
child = subprocess.Popen(["sleep", "300"])
(folder / f"child-{run}").write_text(str(child.pid))

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", port), Health)
if mode == "crash" or (mode == "crash-once" and run == 1):
    threading.Timer(0.4, lambda: os._exit(1)).start()
server.serve_forever()
'''

FAST = RestartPolicy(max_restarts=3, window=60, first_backoff=0.05, max_backoff=0.2)


def _dummy(tmp_path: Path, mode: str) -> Server:
    script = tmp_path / "dummy.py"
    script.write_text(DUMMY, encoding="utf-8")
    port = free_port()
    return Server("dummy server", [sys.executable, str(script), str(port), str(tmp_path), mode],
                  tmp_path / "dummy.log", f"http://127.0.0.1:{port}/health", start_seconds=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def _gone(pid: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _supervisor(server: Server, said: list[str], **kwargs) -> Supervisor:
    return Supervisor([server], dict(os.environ), cwd=server.log.parent, policy=FAST, poll=0.05,
                      grace=5, say=said.append, **kwargs)


def _sigterm_soon(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    return timer


def test_backoff_doubles_up_to_its_cap_and_gives_up_after_max_restarts_in_the_window():
    policy = RestartPolicy(max_restarts=6, window=100, first_backoff=1, max_backoff=30)
    crashes: deque[float] = deque()
    delays = []
    for now in range(7):
        crashes.append(float(now))
        delays.append(policy.delay(crashes, float(now)))
    assert delays == [1, 2, 4, 8, 16, 30, None]
    # Crashes older than the window are forgotten: the count and the backoff start again.
    crashes = deque([0.0, 1.0, 2.0, 500.0])
    assert policy.delay(crashes, 500.0) == 1 and list(crashes) == [500.0]


def test_restarts_a_crashed_server_after_a_backoff_and_stops_its_process_group(tmp_path):
    server = _dummy(tmp_path, "crash-once")
    said: list[str] = []
    ready = []
    before = signal.getsignal(signal.SIGTERM)
    supervisor = _supervisor(server, said, on_ready=lambda: (ready.append(time.monotonic()),
                                                             _sigterm_soon(3)))
    code = supervisor.run()
    assert code == 0, said
    assert len(ready) == 1, "ready once, not again after the restart"
    assert (tmp_path / "runs").read_text() == "2"
    restart = [line for line in said if "restart 1 in 0.05 s" in line]
    assert restart and "exited with status 1" in restart[0], said
    assert any("dummy server is up again" in line for line in said), said
    log = server.log.read_text(encoding="utf-8")
    assert "dummy run 1" in log and "restarted by the supervisor (restart 1)" in log and "dummy run 2" in log
    # The crashed run's leftover child went at the restart; the running one's at the stop.
    for run in (1, 2):
        assert _gone(int((tmp_path / f"child-{run}").read_text())), f"child of run {run} still alive"
    assert server.process.poll() is not None
    assert signal.getsignal(signal.SIGTERM) is before, "the previous SIGTERM handler is back"


def test_gives_up_after_max_restarts_with_growing_waits(tmp_path):
    server = _dummy(tmp_path, "crash")
    said: list[str] = []
    started = time.monotonic()
    code = _supervisor(server, said).run()
    assert code == 1
    assert time.monotonic() - started < 30
    waits = [line.split(" in ", 1)[1].split(" s ")[0] for line in said if "; restart " in line]
    assert waits == ["0.05", "0.1", "0.2"], said
    assert (tmp_path / "runs").read_text() == "4"  # first start + RESTART_MAX restarts
    assert "giving up" in said[-1] and "RESTART_MAX=3" in said[-1] and "dummy.log" in said[-1]
    assert all(_gone(int((tmp_path / f"child-{run}").read_text())) for run in range(1, 5))


def test_a_server_that_fails_on_its_first_start_is_not_restarted(tmp_path):
    server = _dummy(tmp_path, "fail-at-start")
    said: list[str] = []
    assert _supervisor(server, said).run() == 1
    assert (tmp_path / "runs").read_text() == "1"
    assert "exited with status 3" in said[-1] and "first start" in said[-1] and "dummy run 1" in said[-1]


def test_the_action_server_on_a_broken_facts_store_is_reported_not_restarted(tmp_path):
    (tmp_path / "facts.db").write_bytes(b"not a database" * 100)
    port = free_port()
    env = project_env({"FACTS_DB_URL": f"sqlite:///{tmp_path / 'facts.db'}", "SANIC_HOST": "127.0.0.1"})
    server = Server("action server", action_server_command(port), tmp_path / "actions.log",
                    f"http://127.0.0.1:{port}/health", start_seconds=120)
    said: list[str] = []
    started = time.monotonic()
    code = Supervisor([server], env, policy=FAST, poll=0.05, grace=5, say=said.append).run()
    assert code == 1
    assert time.monotonic() - started < 120
    assert f"facts store {tmp_path / 'facts.db'} is missing or unreadable" in said[-1]
    assert "make facts" in said[-1] and "first start" in said[-1]


def test_wait_helper_fails_fast_when_the_process_is_gone(tmp_path, capsys):
    log = tmp_path / "server.log"
    log.write_text("boom: the server could not start\n", encoding="utf-8")
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    started = time.monotonic()
    code = wait_main([f"http://127.0.0.1:{free_port()}/health", "--pid", str(dead), "--log", str(log),
                      "--name", "test server", "--seconds", "30"])
    assert code == 1 and time.monotonic() - started < 5
    assert "test server exited" in capsys.readouterr().err
