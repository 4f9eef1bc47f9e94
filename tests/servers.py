"""Our bot's two servers for the tests that talk to it over its channels (REST, Telegram, web).

Started by ``bot.runtime.processes.start_bot``, the same code the benchmark and `make run` use,
with the environment `make run` gives them (scripts/env.sh). Each caller gets its own facts store
and tracker store in a temporary folder and can add environment variables (e.g. the Telegram
channel's settings pointing at a fake Bot API).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.facts import FactsStore
from bot.runtime.processes import MODEL, ROOT, ProcessRegistry, free_port, project_env, start_bot

__all__ = ["ROOT", "RunningBot", "free_port", "running_bot"]


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
                extra_env: dict[str, str] | None = None,
                model: Path | None = None) -> Iterator[RunningBot]:
    """Both servers, up and answering, for the duration of the ``with`` block."""
    model = model or MODEL
    if not model.exists():
        raise RuntimeError(f"{model} is missing: run `make train` first")
    # The Telegram channel stays off unless a test turns it on, whatever a developer's .env says.
    env = project_env({"TELEGRAM_TOKEN": "", **(extra_env or {})})
    registry = ProcessRegistry()
    try:
        servers = start_bot(registry, work, env, facts_dir=facts_dir, model=model)
        servers.wait_healthy(180)
        yield RunningBot(servers.base_url, FactsStore(servers.facts_db_url), work)
    finally:
        registry.stop_all()
