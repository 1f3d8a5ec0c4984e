"""Running batches on the process pool (joblib: loky locally, dask on a cluster), results
streamed back in completion order. A crashed worker costs a retry of the unfinished batches."""

from __future__ import annotations

from collections.abc import Iterator

from engine.planner import Batch
from engine.records import Analysis, Status
from engine.worker import WorkerOptions, process_batch

MAX_ATTEMPTS = 3


class BackendUnavailable(RuntimeError):
    pass


def analyze(
    batches: list[Batch],
    root: str,
    options: WorkerOptions,
    jobs: int,
    backend: str = "loky",
    scheduler: str | None = None,
) -> Iterator[list[Analysis]]:
    """Yield each batch's analyses as soon as that batch is done, whatever its order."""
    if jobs == 1 and backend == "loky":
        for batch in batches:
            yield process_batch(batch.batch_id, root, batch.candidates, options)[1]
        return
    remaining = {batch.batch_id: batch for batch in batches}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            for batch_id, analyses in _run(
                list(remaining.values()), root, options, jobs, backend, scheduler
            ):
                del remaining[batch_id]
                yield analyses
            return
        except (KeyboardInterrupt, BackendUnavailable, GeneratorExit):
            raise
        except Exception as exc:  # a worker died (killed, out of memory, crashed in C)
            if attempt == MAX_ATTEMPTS or not remaining:
                reason = f"worker process failed {MAX_ATTEMPTS} times on this batch: {exc}"
                for batch in remaining.values():
                    yield [_failed(c.rel, c.size, c.mtime_ns, reason) for c in batch.candidates]
                return


def _failed(rel: str, size: int, mtime_ns: int, reason: str) -> Analysis:
    return Analysis(rel, size, mtime_ns, status=Status.ERROR, reason=reason[:300])


def _run(
    batches: list[Batch],
    root: str,
    options: WorkerOptions,
    jobs: int,
    backend: str,
    scheduler: str | None,
) -> Iterator[tuple[int, list[Analysis]]]:
    from joblib import Parallel, delayed, parallel_config

    tasks = (delayed(process_batch)(b.batch_id, root, b.candidates, options) for b in batches)
    if backend == "dask":
        with dask_client(scheduler, jobs), parallel_config(backend="dask"):
            yield from Parallel(n_jobs=-1, return_as="generator_unordered")(tasks)
        return
    parallel = Parallel(
        n_jobs=jobs, backend="loky", return_as="generator_unordered", pre_dispatch="2*n_jobs"
    )
    yield from parallel(tasks)


def dask_client(scheduler: str | None, jobs: int):  # type: ignore[no-untyped-def]
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise BackendUnavailable(
            "the dask backend needs dask[distributed]: pip install 'imgorg[dask]' "
            "(or scripts/setup --dask)"
        ) from exc
    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster)
