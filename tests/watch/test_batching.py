"""Event batching on its own: a batch is taken after a quiet period, or at the latest
`max_wait` after its first hint; a reconcile is due on schedule; stopping drains the files."""

from __future__ import annotations

import threading
import time

from acme_scan.watch.batching import Batcher
from acme_scan.watch.hints import Kind


def test_a_batch_holds_every_hint_since_the_last() -> None:
    batcher = Batcher()
    batcher.add(Kind.FILE, "a.py")
    batcher.add(Kind.FOLDER, "pkg")
    batcher.add(Kind.FILE, "a.py")
    hints = batcher.take(0.0, 0.0)
    assert hints is not None
    assert (hints.files, hints.folders, hints.reconcile) == ({"a.py"}, {"pkg"}, False)
    batcher.add(Kind.SETTINGS, "")
    hints = batcher.take(0.0, 0.0)
    assert hints is not None
    assert (hints.files, hints.settings) == (set(), True)


def test_a_steady_stream_of_hints_is_taken_at_max_wait() -> None:
    batcher = Batcher()
    done = threading.Event()

    def stream() -> None:
        count = 0
        while not done.is_set():
            batcher.add(Kind.FILE, f"f{count}.py")
            count += 1
            time.sleep(0.005)

    thread = threading.Thread(target=stream)
    thread.start()
    try:
        started = time.monotonic()
        hints = batcher.take(quiet=30.0, max_wait=0.2)  # never quiet for 30 s
        waited = time.monotonic() - started
    finally:
        done.set()
        thread.join()
    assert hints is not None
    assert hints.files
    assert 0.15 <= waited < 20


def test_a_reconcile_is_due_on_schedule_and_sooner_on_request() -> None:
    batcher = Batcher()
    batcher.schedule_reconcile(0.05)
    hints = batcher.take(0.0, 0.0)
    assert hints is not None
    assert hints.reconcile
    batcher.schedule_reconcile(3600)
    batcher.reconcile_within(0.0)
    started = time.monotonic()
    hints = batcher.take(0.0, 0.0)
    assert hints is not None
    assert hints.reconcile
    assert time.monotonic() - started < 20


def test_stopping_drains_the_files_and_folders_then_ends() -> None:
    batcher = Batcher()
    batcher.schedule_reconcile(0)  # never
    batcher.add(Kind.FILE, "a.py")
    batcher.add(Kind.RECONCILE, "")
    batcher.stop()
    hints = batcher.take(30.0, 30.0)  # not waited for: stopping
    assert hints is not None
    assert (hints.files, hints.reconcile, hints.settings) == ({"a.py"}, False, False)
    assert batcher.take(30.0, 30.0) is None


def test_take_waits_for_news() -> None:
    batcher = Batcher()
    taken: list[object] = []
    thread = threading.Thread(target=lambda: taken.append(batcher.take(0.0, 0.0)))
    thread.start()
    time.sleep(0.05)
    assert taken == []  # nothing to take, no reconcile scheduled
    batcher.add(Kind.FILE, "a.py")
    thread.join(20)
    assert len(taken) == 1
    batcher.stop()
    assert batcher.take(0.0, 0.0) is None
