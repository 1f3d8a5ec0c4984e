"""Placer processes: each runs ``group_commit`` (engine/stages/commit.py) on the batches the
writer sends it, and ``release_sources`` (engine/stages/release.py) on the moved files of the
batches it has journaled, so the journaling, creating, renaming, syncing and verifying cost
the writer nothing while it decides the next batch.

A placer is a plain subprocess (``python -m engine.stages.placers``) reading pickled jobs on
its standard input and writing pickled outcomes on its standard output, in order: it imports
nothing of the program that started it (a script without a ``__main__`` guard, or one read from
standard input, is never run again in it). It ignores Ctrl-C (the writer decides when to stop:
a batch under way is finished), and dies with the writer.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import deque
from typing import IO, Any, Generic, TypeVar

from engine.errors import DiskFull, RunError
from engine.signals import deaf_to_ctrl_c
from engine.stages.commit import Job, Outcome, group_commit
from engine.stages.release import Release, Released, release_sources
from engine.store.journal import Journal

T = TypeVar("T", Outcome, Released)

_PR_SET_PDEATHSIG = 1


class Pending(Generic[T]):
    """An outcome to come: ``result()`` waits for it."""

    def __init__(self, outcome: T | None = None) -> None:
        self._outcome: T | None = outcome
        self._failure = ""
        self._full = False  # the failure is DEST's: too full to journal in
        self._ready = threading.Event()
        if outcome is not None:
            self._ready.set()

    def result(self) -> T:
        self._ready.wait()
        if self._outcome is None:
            raise (DiskFull if self._full else RunError)(self._failure)
        return self._outcome

    def ready(self) -> bool:
        return self._ready.is_set()

    def settle(self, outcome: T | None, failure: str = "", full: bool = False) -> None:
        self._outcome, self._failure, self._full = outcome, failure, full
        self._ready.set()


class Placer:
    """One placer process, the jobs sent to it (oldest first), and a thread that reads its
    outcomes as they come, so that its output pipe never fills while the writer is busy."""

    def __init__(self) -> None:
        path = os.pathsep.join(p for p in sys.path if p)
        with deaf_to_ctrl_c():
            self.process = subprocess.Popen(
                # -P: not the current folder first (an "engine" of its own there would be run)
                [sys.executable, "-P", "-m", "engine.stages.placers", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": path},
            )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to = self.process.stdin
        self._waiting: deque[Pending[Any]] = deque()
        self._lock = threading.Lock()
        self._reader = threading.Thread(
            target=self._read_all, args=(self.process.stdout,), daemon=True
        )
        self._reader.start()

    def send(self, job: Job | Release) -> Pending[Any]:
        # Pickled whole before any of it is sent: a Ctrl-C or SIGTERM landing in the pickling
        # sends nothing. One landing in the write (the pipe full, the placer busy) cuts the job
        # short: the input then ends there, and the placer drops the cut job.
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        pending: Pending[Any] = Pending()
        with self._lock:
            self._waiting.append(pending)
        try:
            self._to.write(data)
            self._to.flush()
        except OSError as exc:
            raise RunError(
                f"a placer process ended during the run ({exc}); "
                "run the same command again to resume"
            ) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                self._to.close()
            raise
        return pending

    def _read_all(self, outcomes: IO[bytes]) -> None:
        while True:
            try:
                kind, value = pickle.load(outcomes)
            except (EOFError, pickle.UnpicklingError, OSError):
                break
            with self._lock:
                pending = self._waiting.popleft()
            if kind == "ok":
                pending.settle(value)
            elif kind == "full":
                pending.settle(None, value, full=True)
            else:
                pending.settle(None, f"a placer process failed: {value}")
        outcomes.close()
        self.process.wait()
        with self._lock:
            left, self._waiting = list(self._waiting), deque()
        for pending in left:
            pending.settle(
                None,
                f"a placer process ended during the run (exit {self.process.returncode}); "
                "run the same command again to resume",
            )

    def stop(self) -> None:
        """Let it finish what it was sent, then end."""
        with contextlib.suppress(OSError):
            self._to.close()
        self._reader.join()


class PlacerPool:
    def __init__(self, processes: int) -> None:
        self._placers = [Placer() for _ in range(processes)]
        self._turn = 0

    def submit(self, job: Job) -> Pending[Outcome]:
        return self._next().send(job)

    def release(self, job: Release) -> Pending[Released]:
        return self._next().send(job)

    def _next(self) -> Placer:
        placer = self._placers[self._turn % len(self._placers)]
        self._turn += 1
        return placer

    def close(self) -> None:
        for placer in self._placers:
            placer.stop()


def serve(jobs: IO[bytes], outcomes: IO[bytes]) -> None:
    """Run every job read from ``jobs``, writing each outcome to ``outcomes``, until EOF."""
    journals: dict[str, Journal] = {}
    try:
        while True:
            try:
                job = pickle.load(jobs)
            except (EOFError, pickle.UnpicklingError):
                return  # the end, or a job cut short by the writer's interruption: never run
            try:
                done = release_sources(job) if isinstance(job, Release) else _commit(job, journals)
                answer: tuple[str, object] = ("ok", done)
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                    # as when the writer's own journal write fails: what is journaled stands
                    answer = ("full", f"DEST is full: the journal cannot be written ({exc})")
                else:
                    answer = ("error", f"the journal cannot be written ({exc})")
            except Exception as exc:  # reported to the writer, which stops the run with it
                answer = ("error", f"{type(exc).__name__}: {exc}")
            pickle.dump(answer, outcomes, protocol=pickle.HIGHEST_PROTOCOL)
            outcomes.flush()
    finally:
        for journal in journals.values():
            journal.close()


def _commit(job: Job, journals: dict[str, Journal]) -> Outcome:
    assert job.ledger is not None
    path = job.ledger.journal
    journal = journals.get(path)
    if journal is None:
        journal = journals[path] = Journal.beside(path)
    return group_commit(job, journal)


def _main(writer: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != writer:  # the writer died before the line above
        return
    outcomes = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to standard error, not into the outcomes
    serve(sys.stdin.buffer, outcomes)


if __name__ == "__main__":
    _main(int(sys.argv[1]))
