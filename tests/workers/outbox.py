"""Run as a separate process by tests/services/test_outbox.py: claim and "send" until nothing is
left.

Prints the ids it sent, one per line, so the test can check every message was sent exactly once.
"""

from __future__ import annotations

import sys
import time

from storage import outbox
from storage.db import make_engine, session_scope


def main(url: str, worker: str, start_at: float) -> None:
    engine = make_engine(url)
    while time.time() < start_at:  # start both workers at the same moment
        time.sleep(0.001)
    idle = 0
    while idle < 3:
        with session_scope(engine) as session:
            claimed = outbox.claim(session, worker=worker, limit=7)
            ids = [row.id for row in claimed]
        if not ids:
            idle += 1
            time.sleep(0.02)
            continue
        idle = 0
        for message_id in ids:
            with session_scope(engine) as session:
                assert message_id is not None
                if outbox.mark_sent(session, message_id=message_id, worker=worker):
                    print(message_id, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
