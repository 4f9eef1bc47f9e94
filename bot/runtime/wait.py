"""Wait until a server started by a shell script answers its health check (`make shell`).

    python -m bot.runtime.wait URL --pid PID --log LOG --name NAME [--seconds 60]

The same wait as everywhere else (bot.runtime.processes.wait_until with http_ok): exits 0 once
``URL`` answers, 1 with the end of ``LOG`` as soon as process ``PID`` is gone or after ``--seconds``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.runtime.processes import ServerDownError, http_ok, tail, wait_until


@dataclass
class ForeignProcess:
    """A process this one did not start (no Popen): alive while its pid exists and is no zombie."""

    pid: int
    returncode: str | None = None

    def poll(self) -> str | None:
        try:
            os.kill(self.pid, 0)
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as handle:
                alive = handle.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (ProcessLookupError, FileNotFoundError):
            alive = False
        except (PermissionError, OSError):
            alive = True
        if not alive:
            self.returncode = "an unknown status"
        return self.returncode


@dataclass
class Watched:
    name: str
    process: ForeignProcess
    log: Path
    started: float

    def tail(self, chars: int = 3000) -> str:
        return tail(self.log, chars)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.runtime.wait", description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--name", default="server")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    watched = Watched(args.name, ForeignProcess(args.pid), args.log, time.monotonic())
    try:
        wait_until(lambda: http_ok(args.url), [watched], args.seconds, f"answer at {args.url}")
    except ServerDownError as error:
        print(f"error: {error}\n(full log: {args.log})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
