"""What the benchmark adds to bot.runtime.processes: peak-memory sampling and a first-answer probe.

Starting and stopping the servers (ours and the stock `rasa init` bot), free ports, the project's
environment and waiting for health live in bot.runtime.processes, shared with `make run` and the
tests. Peak memory is sampled with psutil from a background thread because ``ru_maxrss`` of a child
is only known after it exits, and the servers' children (if any) must count too.
"""

from __future__ import annotations

import threading

import psutil
import requests


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
        total = rss(pid)
        if not total:
            return
        with self._lock:
            self.peaks[name] = max(self.peaks.get(name, 0), total)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)


def answers(rest_url: str, sender: str, message: str) -> bool:
    """True when the REST channel answers ``message`` with status 200 and at least one reply."""
    response = requests.post(rest_url, json={"sender": sender, "message": message}, timeout=10)
    return response.ok and bool(response.json())


def rss(pid: int) -> int:
    """Resident memory of a process and its descendants, bytes (0 when it is gone)."""
    try:
        proc = psutil.Process(pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0
