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
- the CPU split between the writer and the workers (seconds):

  - ``writer_user_s``/``writer_system_s``: getrusage(RUSAGE_SELF) of this process (every thread of
    it: interpreter start, planner, coordinator, journal, reports), read after imgorg returned;
    ``writer_startup_s`` is the part spent before ``main`` started (interpreter and imports);
  - ``workers_user_s``/``workers_system_s``: getrusage(RUSAGE_CHILDREN) once the loky pool is
    shut down. The workers are this process's children and loky's shutdown joins (waitpid) them,
    so this is every worker's CPU, including workers loky replaced during the run and the
    processes the workers themselves waited for (jpegtran). It is checked against the workers'
    own /proc/PID/stat (utime+stime+cutime+cstime) read just before the shutdown, and the larger
    is kept: a worker that was never reaped would be missing from RUSAGE_CHILDREN.
  - ``placers_s``: the placer processes' CPU (engine/stages/placers.py: each group commit's
    folders, renames, syncs and discards), what RUSAGE_CHILDREN holds once imgorg returned and
    before the loky workers are reaped; it is in neither the writer's nor the workers' figures.
  - ``pool``: whether a loky pool ran. With ``--jobs 1`` (or a single batch) imgorg analyzes in
    this very process, so the split is not observable by process: the analysis is in the
    writer's figures and ``workers_*`` only hold the writer's own subprocesses.
  - with ``--backend dask`` the workers are not reaped by this process (a LocalCluster's
    scheduler threads run here and count as writer CPU): ``workers_*`` are then what
    RUSAGE_CHILDREN and /proc could see, a lower bound.

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


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> tuple[float, float]:
    """(user, system) seconds of ``pid`` and of its reaped children, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0, 0.0
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + cutime) / _TICK, (stime + cstime) / _TICK


class _Usage:
    def __init__(self, user: float, system: float) -> None:
        self.ru_utime, self.ru_stime = user, system


def _pool_ran() -> bool:
    try:
        from joblib.externals.loky import reusable_executor
    except ImportError:
        return False
    return getattr(reusable_executor, "_executor", None) is not None


def main(argv: list[str]) -> int:
    from engine.cli import main as imgorg

    startup = resource.getrusage(resource.RUSAGE_SELF)

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
    own = resource.getrusage(resource.RUSAGE_SELF)
    # The placer processes (engine/stages/placers.py) have ended and been reaped by now; the
    # loky workers have not (joblib keeps them for reuse): what was reaped so far is theirs.
    early = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = descendants(os.getpid())
    workers = [hwm_kb(pid) for pid in live]
    live_cpu = [_proc_cpu(pid) for pid in live]
    pool = _pool_ran()
    _shutdown_pools()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    placers = early.ru_utime + early.ru_stime if pool else 0.0
    if pool:  # the workers alone
        reaped = _Usage(reaped.ru_utime - early.ru_utime, reaped.ru_stime - early.ru_stime)
    live_user, live_system = sum(c[0] for c in live_cpu), sum(c[1] for c in live_cpu)
    use_live = live_user + live_system > reaped.ru_utime + reaped.ru_stime
    facts = {
        "exit_code": code,
        "crashed": crashed,
        "seconds": seconds,
        "coordinator_kb": hwm_kb("self"),
        "workers_kb": max(workers, default=0)
        or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "live_workers": len(workers),
        "pool": pool,
        "writer_user_s": own.ru_utime,
        "writer_system_s": own.ru_stime,
        "writer_startup_s": startup.ru_utime + startup.ru_stime,
        "workers_user_s": live_user if use_live else reaped.ru_utime,
        "workers_system_s": live_system if use_live else reaped.ru_stime,
        "workers_cpu_from": "/proc of live workers" if use_live else "RUSAGE_CHILDREN",
        "workers_reaped_s": reaped.ru_utime + reaped.ru_stime,
        "workers_live_s": live_user + live_system,
        "placers_s": placers,
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
