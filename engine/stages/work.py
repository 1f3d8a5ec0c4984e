"""What the writer hands a worker: its options and the function it runs on a batch. Kept apart
from the analysis itself so that the writer, which only sends work, never imports Pillow and
the image code (a fixed cost of every run's start)."""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.policy.date_precedence import run_start
from engine.settings import AnalyseOptions, CompressOptions

if TYPE_CHECKING:
    from engine.records import Analysis, Candidate

GC_THRESHOLD = 70_000  # allocations between collections of the youngest generation (700)
SLOTS = ".sample"  # in the thumbnails folder: the year view's places each run has taken


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """What a worker is told: the settings of its stage as they are, and where this run writes."""

    # Alone, the worker skips no photo for its size; a run passes its own --min-size.
    analyse: AnalyseOptions = field(default_factory=lambda: AnalyseOptions(min_size=0))
    compress: CompressOptions = field(default_factory=CompressOptions)
    stage_dir: str | None = None  # None: dry run, nothing is written
    path_map: tuple[tuple[str, str], ...] = ()  # (as the coordinator sees it, as workers do)
    thumbs_dir: str | None = None  # where thumbnails of undated and corrupt photos go
    sample_rate: float = 0.0  # share of dated photos that get a thumbnail for the year view
    run_token: str = ""  # tells one run's year-view sample from another's
    exiftool: bool = True  # ask exiftool about the files nothing else dated
    videos: bool = True  # --no-videos: a video found under an image's name is left where it is
    # Write each placeable file's own bytes into stage_dir, so that the placer only renames
    # them: a real run that copies (not a move within one filesystem, which renames the source).
    copy_to_stage: bool = False
    # DEST's journal when earlier runs placed files there: a worker compares a file with the
    # placed file of the same hash itself (engine.stages.twins.EarlierCopies). run_id: this run.
    journal: str | None = None
    # DEST's journal in a move run (on the writer's host): an edit (an iPhone's, Google's)
    # whose original the run took out of SOURCE before the edit was read takes the date the
    # journal holds for it.
    moved_journal: str | None = None
    run_id: int = 0
    dest: str = ""
    # The run's start (local time), taken once: a date later than this is no date (every
    # worker, on any host, weighs dates against the same moment).
    now: dt.datetime = field(default_factory=run_start)


def process_batch(
    batch_id: int, root: str, candidates: list[Candidate], options: WorkerOptions
) -> tuple[int, list[Analysis]]:
    """Analyse one batch (``engine.stages.analyse.process_batch``, imported where it runs)."""
    from engine.stages import analyse

    collect_rarely()
    return analyse.process_batch(batch_id, root, candidates, options)


_watching: list[int] = []


def exit_with(writer: int) -> None:
    """In a pool's worker process, as it starts: exit as soon as the writer that started it is
    gone. A writer killed (SIGKILL, the kernel out of memory) left its workers waiting for
    batches until loky's idle timeout, five minutes later."""
    if os.getpid() == writer:  # joblib ran it in the writer itself (its serial fallback)
        return
    if os.getppid() != writer:
        os._exit(1)
    if writer not in _watching:
        _watching.append(writer)
        watch = threading.Thread(target=_watch, args=(writer,), name="exit-with-writer")
        watch.daemon = True
        watch.start()


def _watch(writer: int) -> None:
    while os.getppid() == writer:
        time.sleep(PARENT_POLL)
    os._exit(1)


PARENT_POLL = 0.5  # seconds between a worker's looks at its parent


def collect_rarely() -> None:
    """The writer and the workers make millions of objects that hold no reference cycles (a
    decision, a worker's result): the cyclic collector, run every 700 allocations, found
    nothing and took about a tenth of the writer's CPU. What is loaded by now is frozen out
    of its sweeps and it runs a hundred times less often (once per process)."""
    if gc.get_threshold()[0] < GC_THRESHOLD:
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 10, 10)
