"""The process pool: joblib's ``loky`` backend on one machine, its ``dask`` backend on a
cluster; results stream back in completion order. A dead worker costs a retry of the batches
that had not come back; no result is ever used twice."""

from __future__ import annotations

import contextlib
import os
import sys
from collections import deque
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import Any

from engine.errors import BackendUnavailable
from engine.records import Analysis, Candidate, Status, unread_companions
from engine.signals import deaf_to_ctrl_c
from engine.stages.walk import Batch
from engine.stages.work import WorkerOptions, exit_with, process_batch

MAX_ATTEMPTS = 3
_ONE_THREAD = "start each with `dask worker SCHEDULER --nthreads 1 --nworkers auto`"


class Pool:
    """``with Pool("dask", 4, "tcp://host:8786") as pool: pool.analyze(...)``."""

    def __init__(self, backend: str = "loky", jobs: int = 1, scheduler: str | None = None) -> None:
        self.backend, self.jobs, self.scheduler = backend, jobs, scheduler
        self.workers = jobs
        self._stack = contextlib.ExitStack()
        self._client: Any = None

    def __enter__(self) -> Pool:
        if self.backend == "dask":
            self._client = self._stack.enter_context(_dask_client(self.scheduler, self.jobs))
            self.workers = len(self._client.scheduler_info().get("workers", {})) or self.jobs
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.close()
        if kind is not None and self.backend == "loky":
            _stop_loky_workers()

    def analyze(
        self, batches: list[Batch], root: str, options: WorkerOptions
    ) -> Generator[list[Analysis], None, None]:
        """Yield each batch's analyses as soon as that batch is done, whatever its order. Here
        a batch is held only until its results are back: a caller that lets go of ``batches``
        does not keep the candidates of a million files for the whole run."""
        if self.backend == "loky" and (self.jobs == 1 or len(batches) <= 1):
            queue = deque(batches)
            del batches
            while queue:
                batch = queue.popleft()
                _, analyses = process_batch(batch.batch_id, root, batch.candidates, options)
                yield answered(batch, analyses)
            return
        remaining = {batch.batch_id: batch for batch in batches}
        del batches
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                for batch_id, analyses in self._run(deque(remaining.values()), root, options):
                    returned = remaining.pop(batch_id, None)
                    if returned is not None:
                        yield answered(returned, analyses)
                return
            except (KeyboardInterrupt, BackendUnavailable, GeneratorExit):
                raise
            except Exception as exc:  # a worker died (killed, out of memory, crashed in C)
                if attempt == MAX_ATTEMPTS or not remaining:
                    reason = f"worker process failed {MAX_ATTEMPTS} times on its batch: {exc}"
                    for batch in remaining.values():
                        yield [_failed(c, reason) for c in batch.candidates]
                    return

    def _run(
        self, batches: deque[Batch], root: str, options: WorkerOptions
    ) -> Iterator[tuple[int, list[Analysis]]]:
        from multiprocessing import resource_tracker

        Parallel, delayed, parallel_config = _joblib()

        work = _in_one_thread if self.backend == "dask" else process_batch

        def each() -> Iterator[Any]:
            while batches:
                batch = batches.popleft()
                yield delayed(work)(batch.batch_id, root, batch.candidates, options)

        tasks = each()
        if self.backend == "dask":
            with parallel_config(backend="dask"):
                yield from Parallel(n_jobs=-1, return_as="generator_unordered")(tasks)
            return
        parallel = Parallel(
            n_jobs=self.jobs,
            backend="loky",
            return_as="generator_unordered",
            pre_dispatch="2*n_jobs",
            initializer=exit_with,  # each worker leaves with the writer
            initargs=(os.getpid(),),
        )
        # The standard library's resource tracker, which loky's first semaphore starts, unblocks
        # SIGINT in the thread that starts it (Python 3.11): started first, it leaves ours alone.
        resource_tracker.ensure_running()
        with deaf_to_ctrl_c():  # loky starts its workers and threads in the first dispatch
            outputs = parallel(tasks)
        yield from outputs


def _joblib() -> tuple[Any, Any, Any]:
    """joblib's entry points, imported without numpy unless numpy is loaded already: joblib
    imports it only to hand numpy arrays to workers as memory maps, which imgorg never sends,
    and numpy's import is 70-90 ms of the writer's CPU at every run. numpy stays importable
    (the near-duplicate stage uses it); joblib then pickles any array it is given."""
    if "numpy" in sys.modules:
        from joblib import Parallel, delayed, parallel_config
    else:
        sys.modules["numpy"] = None  # type: ignore[assignment]  # import numpy: ImportError
        try:
            from joblib import Parallel, delayed, parallel_config
        finally:
            if sys.modules.get("numpy", False) is None:
                del sys.modules["numpy"]
    return Parallel, delayed, parallel_config


def _stop_loky_workers() -> None:
    """Kill loky's reusable worker processes, if any were started: after an interrupted run
    they would otherwise sit idle, and outlive this process when it is asked to terminate."""
    # Looked up, not imported: a run stopped while it imported joblib has a half-imported
    # joblib (importing it again fails), and no workers.
    reusable_executor = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def answered(batch: Batch, analyses: list[Analysis]) -> list[Analysis]:
    """A batch's results, with an error for each of its files that a worker returned nothing
    for (a bug, but never a file missing from the journal and the report)."""
    if len(analyses) == len(batch.candidates):
        return analyses
    got = {a.rel for a in analyses}
    reason = "its worker returned no result for it (a bug in imgorg: please report it)"
    missing = [c for c in batch.candidates if c.rel not in got]
    return analyses + [_failed(c, reason) for c in missing]


def _failed(candidate: Candidate, reason: str) -> Analysis:
    """An error for ``candidate``, shared by the files travelling with it."""
    failed = Analysis(candidate.rel, candidate.size, candidate.mtime_ns, Status.ERROR, reason[:300])
    failed.companions = unread_companions(candidate)
    return failed


@contextlib.contextmanager
def _dask_client(scheduler: str | None, jobs: int) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise BackendUnavailable(
            "the dask backend needs dask[distributed]: pip install 'imgorg[dask]' "
            "(or scripts/setup --dask)"
        ) from exc
    if scheduler:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise BackendUnavailable(f"cannot reach the dask scheduler {scheduler}: {exc}") from exc
        with client:
            _one_thread_each(client)
            yield client
        return
    with (
        LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _in_one_thread(
    batch_id: int, root: str, candidates: list[Candidate], options: WorkerOptions
) -> tuple[int, list[Analysis]]:
    """``process_batch`` on a dask worker, refused (as ``_one_thread_each`` refuses up front)
    on one that runs more than one thread: a worker that joined the cluster after the check."""
    from distributed import get_worker

    nthreads = get_worker().state.nthreads
    if nthreads > 1:
        raise BackendUnavailable(f"a dask worker joined with {nthreads} threads: {_ONE_THREAD}")
    return process_batch(batch_id, root, candidates, options)


def _one_thread_each(client: Any) -> None:
    """Refuse a cluster whose workers run analyses in threads: a worker sets Pillow's
    process-wide limits for each file (its pixel limit, whether a cut image may load), so two
    files analysed at once in one process could see each other's (a truncated photo passing as
    sound while a thumbnail of a damaged one is made)."""
    threaded = sorted(f"{worker} ({n} threads)" for worker, n in client.nthreads().items() if n > 1)
    if threaded:
        raise BackendUnavailable(
            f"the dask workers {', '.join(threaded)} run more than one thread: {_ONE_THREAD}"
        )
