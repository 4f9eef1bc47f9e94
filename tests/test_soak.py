"""A short soak in CI: 8 concurrent conversations (4 REST, 4 socket.io; id/ja/en) for 15 s with the
action server killed and restarted in the middle (bench/soak.py, the same code `make soak` runs for
32 conversations and 60 s).

Asserted: no lost turn, every turn inside the restart window answered normally or with the apology,
no apology outside it, no other error, and the restart really happened (at least one apology).
RSS growth is reported but not asserted here: over 15 s without a warm-up it measures the servers'
first-turn allocations (and the restarted action server is a new process), not a leak; the full
run checks it after a warm-up (bench/soak_results.md).
"""

from __future__ import annotations

import signal

import pytest

from bench import soak
from bot.runtime.processes import MODEL

pytestmark = [pytest.mark.servers, pytest.mark.beside]


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_a_short_soak_with_an_action_server_restart_loses_no_turn(tmp_path):
    result = soak.run(tmp_path, conversations=8, duration=15, interval=4, restart_at=0.35, down=2,
                      sig=signal.SIGKILL, warm_up=False)
    text = soak.report(result, check_rss=False)
    print(text)
    failed = [f"{name}: {measured}" for name, measured, ok in result.criteria(check_rss=False) if not ok]
    assert not failed, "\n".join(failed) + "\n\n" + text
    assert result.sent >= 20, text
