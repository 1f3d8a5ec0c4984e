"""Where the writer's CPU goes (issue #14), stage by stage, without a profiler's overhead.

Runs ``imgorg organize ARGS`` in this process (``engine.cli.main``, as .venv/bin/imgorg does)
with the main thread's CPU time (``time.thread_time``) summed over each writer stage, then
prints each stage's seconds, µs per file and share of the main thread's CPU: the decisions
(``Coordinator.accept``), the group commits handed to the placers (``Placer.add`` / ``flush``:
journal rows encoded, pickled and sent), the walk and sharding, the coordinator's set-up, the
JSON Lines and HTML reports; the rest is the interpreter's start, imports, the pool's dispatch
and what no stage names. cProfile doubles the cost of the many small calls a decision makes
and so misplaces the writer's time; this does not.

With ``--replay N`` the worker results the coordinator took are then fed N more times, in the
order they came, to a fresh ``Coordinator`` over an empty journal (nothing placed): the
decisions alone, the best of N, with no pool, placer or other thread sharing the process.

    .venv/bin/python benchmarks/writer_stages.py [--replay 3] organize SRC DEST --min-size 0 -q
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from engine.commands import organize as organize_command  # noqa: E402
from engine.records import Analysis, Candidate  # noqa: E402
from engine.stages import decide, place, pool  # noqa: E402
from engine.stages import walk as planner  # noqa: E402

spent: dict[str, float] = defaultdict(float)
calls: Counter[str] = Counter()


def timed(owner: Any, name: str, label: str) -> None:
    """Replace ``owner.name`` by a wrapper adding the main thread's CPU in it to ``label``."""
    inner: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - start
            calls[label] += 1

    setattr(owner, name, wrapper)


def timed_generator(owner: Any, name: str, label: str) -> None:
    """As ``timed``, for a generator method: the CPU spent producing each item."""
    inner: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        items = inner(*args, **kwargs)
        while True:
            start = time.thread_time()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                spent[label] += time.thread_time() - start
            yield item

    setattr(owner, name, wrapper)


class Recorded:
    """What the coordinator was given, to replay it."""

    def __init__(self) -> None:
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self.candidates: list[Candidate] = []
        self.analyses: list[Analysis] = []
        self.unrecorded: tuple[Any, Any] = (None, None)  # the methods before recording

    def record(self) -> None:
        init, accept = decide.Coordinator.__init__, decide.Coordinator.accept
        self.unrecorded = (init, accept)
        recorded = self

        def recording_init(coordinator: decide.Coordinator, *args: Any, **kwargs: Any) -> None:
            source, _dest, _view, candidates, folders = args
            recorded.args = (source, folders)
            recorded.candidates = list(candidates)
            recorded.kwargs = {
                k: v for k, v in kwargs.items() if k in ("move", "link", "restore_missing")
            }
            init(coordinator, *args, **kwargs)

        def recording_accept(coordinator: decide.Coordinator, analysis: Analysis) -> Any:
            recorded.analyses.append(analysis)
            return accept(coordinator, analysis)

        decide.Coordinator.__init__ = recording_init  # type: ignore[method-assign,assignment]
        decide.Coordinator.accept = recording_accept  # type: ignore[method-assign,assignment]

    def replay(self, times: int) -> list[float]:
        """Seconds of CPU the decisions take each time, over an empty journal."""
        from engine.store.dest_view import JournalView
        from engine.store.journal import Journal

        decide.Coordinator.__init__, decide.Coordinator.accept = self.unrecorded  # type: ignore[method-assign]
        source, folders = self.args
        seconds = []
        for _ in range(times):
            with tempfile.TemporaryDirectory() as dest:
                journal = Journal.open(os.path.join(dest, "journal.sqlite"))
                run_id = journal.begin_run(source, dest, "copy", False, {})
                view = JournalView(journal, source, dest, run_id)
                fresh = decide.Folders(
                    folders.layout,
                    folders.corrupted,
                    folders.nodate,
                    folders.duplicates,
                    folders.tidy,
                    folders.rename,
                    folders.names,
                )
                coordinator = decide.Coordinator(
                    source, dest, view, list(self.candidates), fresh, **self.kwargs
                )
                start = time.process_time()
                for analysis in self.analyses:
                    coordinator.accept(analysis)
                seconds.append(time.process_time() - start)
                journal.close()
        return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", type=int, default=0, metavar="N")
    own, imgorg_args = parser.parse_known_args(argv)
    recorded = Recorded()
    if own.replay:
        recorded.record()
    decisions = "decisions (Coordinator.accept)"
    timed(decide.Coordinator, "accept", decisions)
    timed(decide.Coordinator, "__init__", "coordinator set-up")
    timed(place.Placer, "add", "group commits sent (Placer.add)")
    timed(place.Placer, "flush", "last group commits (Placer.flush)")
    timed(planner, "plan", "walk")
    timed(planner, "shard", "shards")
    timed(organize_command, "write_report", "JSON Lines report")
    timed(organize_command, "write_run_report", "HTML report")
    timed(organize_command, "folder_map", "tidy map")
    timed_generator(pool.Pool, "analyze", "results received (Pool.analyze)")
    timed(organize_command, "organize", "organize (all of the above but imports)")

    from engine.cli import main as imgorg

    code = imgorg(imgorg_args)
    total = time.thread_time()
    files = calls[decisions]  # one worker result per file found and analysed
    print(f"imgorg exit code {code}; main thread CPU {total:.3f} s", file=sys.stderr)
    whole = spent.pop("organize (all of the above but imports)")
    rest = ("the rest of organize", whole - sum(spent.values()))
    ranked = sorted(spent.items(), key=lambda item: -item[1])
    rows = [*ranked, rest, ("outside organize (start, imports)", total - whole)]
    for label, seconds in rows:
        per_file = f"{seconds / files * 1e6:7.1f} µs/file" if files else ""
        print(f"  {label:36s} {seconds:7.3f} s {100 * seconds / total:5.1f} % {per_file}")
    if own.replay:
        best = min(recorded.replay(own.replay))
        print(
            f"  decisions replayed alone (best of {own.replay}): {best:.3f} s, "
            f"{best / max(1, len(recorded.analyses)) * 1e6:.1f} µs/file"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
