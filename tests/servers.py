"""Start the action server and the Rasa server as `make run` does, on free loopback ports.

For the tests that talk to the bot over its channels (REST, Telegram webhook, web widget). Each
caller gets its own facts store and tracker store in a temporary folder, and can add environment
variables (e.g. the Telegram channel's settings pointing at a fake Bot API).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from bot.facts import FactsStore, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "briefing-bot.tar.gz"
#: Channel settings that credentials.yml references; empty means "channel off".
CHANNEL_ENV_DEFAULTS = {"TELEGRAM_TOKEN": "", "TELEGRAM_BOT_USERNAME": "", "TELEGRAM_WEBHOOK_URL": "",
                        "TELEGRAM_SECRET_TOKEN": "", "TELEGRAM_API_BASE_URL": "https://api.telegram.org"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, seconds: int, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}:\n"
                               + log.read_text(encoding="utf-8", errors="replace")[-3000:])
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {seconds} s")


@dataclass
class RunningBot:
    base_url: str          # the Rasa server, e.g. http://127.0.0.1:PORT
    store: FactsStore      # the facts store the action server reads
    work: Path             # temporary folder with the stores and the server logs

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/webhooks/rest/webhook"


@contextlib.contextmanager
def running_bot(work: Path, facts_dir: Path | None = None,
                extra_env: dict[str, str] | None = None) -> Iterator[RunningBot]:
    """Both servers, up and answering, for the duration of the ``with`` block."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    facts_url = f"sqlite:///{work / 'facts.db'}"
    store = FactsStore(facts_url)
    store.build(load_catalogue(facts_dir or ROOT / "data" / "facts"))
    rasa_port, action_port = free_port(), free_port()
    env = {**os.environ, **CHANNEL_ENV_DEFAULTS, "FACTS_DB_URL": facts_url,
           "TRACKER_DB": str(work / "tracker.db"), "SANIC_HOST": "127.0.0.1",
           "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook", **(extra_env or {})}
    rasa = str(Path(sys.executable).with_name("rasa"))
    logs = {name: work / f"{name}.log" for name in ("actions", "rasa")}
    handles = {name: open(path, "w") for name, path in logs.items()}  # noqa: SIM115
    processes = {
        "actions": subprocess.Popen(
            [rasa, "run", "actions", "--actions", "actions", "--port", str(action_port)],
            cwd=ROOT, env=env, stdout=handles["actions"], stderr=subprocess.STDOUT),
        "rasa": subprocess.Popen(
            [rasa, "run", "--model", str(MODEL), "--interface", "127.0.0.1", "--port", str(rasa_port),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
            cwd=ROOT, env=env, stdout=handles["rasa"], stderr=subprocess.STDOUT),
    }
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", processes["actions"], 90, logs["actions"])
        _wait(f"http://127.0.0.1:{rasa_port}/", processes["rasa"], 180, logs["rasa"])
        yield RunningBot(f"http://127.0.0.1:{rasa_port}", store, work)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in handles.values():
            handle.close()
