"""``imgorg`` with its peak memory reported: runs ``engine.cli.main`` (what .venv/bin/imgorg
runs) with the same arguments, then writes to the file named by IMGORG_RSS_OUT (JSON):

- ``coordinator_kb``: peak RSS (VmHWM) of this, the main process (planner, coordinator,
  placement);
- ``workers_kb``: the largest peak RSS (VmHWM) among the worker processes, read while they are
  still alive (joblib keeps its pool for reuse), or RUSAGE_CHILDREN when none is.

VmHWM, not getrusage: a process inherits its parent's ru_maxrss across fork and exec, so
loky's workers (forked from this process) and this process (forked from the benchmark) would
each report at least their parent's size.
- ``seconds`` (inside ``main``), ``exit_code``, and ``crashed`` (the exception, if imgorg raised
  one: exit code 70).

With IMGORG_CPROFILE=FILE the main process runs under cProfile and the stats go to FILE.

    IMGORG_RSS_OUT=rss.json python benchmarks/imgorg_rss.py organize SRC DEST --quiet
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.common import descendants, hwm_kb  # noqa: E402


def _shutdown_pools() -> None:
    """Join the loky workers (joblib keeps them for reuse) so their usage is counted."""
    try:
        from joblib.externals.loky import reusable_executor
    except ImportError:
        return
    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


def main(argv: list[str]) -> int:
    from engine.cli import main as imgorg

    profile = os.environ.get("IMGORG_CPROFILE")
    started = time.perf_counter()
    crashed = None
    code = 70
    try:
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            try:
                code = profiler.runcall(imgorg, argv)
            finally:
                profiler.dump_stats(profile)
        else:
            code = imgorg(argv)
    except Exception as exc:  # report it, with the memory figures, instead of dying silently
        crashed = f"{type(exc).__name__}: {exc}"[:300]
        traceback.print_exc()
    seconds = time.perf_counter() - started
    workers = [hwm_kb(pid) for pid in descendants(os.getpid())]
    _shutdown_pools()
    facts = {
        "exit_code": code,
        "crashed": crashed,
        "seconds": seconds,
        "coordinator_kb": hwm_kb("self"),
        "workers_kb": max(workers, default=0)
        or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "live_workers": len(workers),
    }
    target = os.environ.get("IMGORG_RSS_OUT")
    if target:
        with open(target, "w") as handle:
            json.dump(facts, handle)
    else:
        print(json.dumps(facts), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
