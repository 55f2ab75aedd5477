"""What an answer waits for: its journal row committed (docs/journal.md, "Nothing answered is
lost").

The pipeline queues a call's row with a `Waiter` (an asyncio future of its event loop) and sends
the answer once the writer says the row is committed (True), or that the journal cannot write
now (False: the row stays queued and is retried, and data calls are refused meanwhile). The
writer works in its own thread (and process), so it settles the waiters of a whole batch with one
hand-over per event loop (`call_soon_threadsafe`), not one per call: a group commit.
"""

from __future__ import annotations

import asyncio
import contextlib

Waiter = asyncio.Future[bool]


def _set(waiters: list[Waiter], committed: bool) -> None:
    for waiter in waiters:
        if not waiter.done():  # a waiter may be settled twice (released, then committed)
            waiter.set_result(committed)


def settle(waiters: list[Waiter], committed: bool) -> None:
    """From any thread: tell the calls waiting for these rows whether they are committed."""
    if not waiters:
        return
    loop = waiters[0].get_loop()
    if all(w.get_loop() is loop for w in waiters):  # the server's one loop: the usual case
        groups = {loop: waiters}
    else:
        groups = {}
        for waiter in waiters:
            groups.setdefault(waiter.get_loop(), []).append(waiter)
    for target, group in groups.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            target.call_soon_threadsafe(_set, group, committed)
