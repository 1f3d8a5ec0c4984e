"""What a person sees: live progress and the closing summary, rich on a terminal, plain
lines elsewhere. The engine talks to it through the small ``Output`` protocol only."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from engine.records import DateSource, Decision, Status
from engine.report.summary import Summary, as_summary
from engine.sizes import format_size

# Characters a file name may hold that a terminal acts on instead of showing: C0 and C1 controls
# (a newline, a carriage return, an escape sequence that clears the screen or sets the title)
# and those that reorder or break the text around them (line separators, bidirectional
# overrides). Shown escaped, so one name is one line and reads as it is.
_UNSHOWABLE = {
    c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    for c in (
        *range(0x20),
        *range(0x7F, 0xA0),
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}
_UNSHOWABLE.update({ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"})


def one_line(text: str) -> str:
    """``text`` (a line naming files) with every character a terminal would act on escaped."""
    return text.translate(_UNSHOWABLE)


STAGES = ("walk", "analyse and place", "tidy", "reports")
PLAN_LINES_ON_TERMINAL = 40  # dry run: plan lines printed on a terminal; the rest in plan.jsonl


class Output(Protocol):
    def message(self, text: str) -> None: ...
    def stage(self, name: str) -> None: ...
    def start(self, files: int, total_bytes: int) -> None: ...
    def advance(self, files: int, nbytes: int) -> None: ...
    def finish(self, summary: Summary) -> None: ...


def eta(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def progress_figures(
    files: int, total_files: int, nbytes: int, total_bytes: int, elapsed: float
) -> str:
    """``1,234/5,678 files  19.8/103.8 MB  16.1 MB/s  ETA 5s``: files and bytes each with
    their own unit, the byte rate and the time left at that rate."""
    rate = nbytes / elapsed if elapsed > 0 else 0.0
    left = f"ETA {eta((total_bytes - nbytes) / rate)}" if rate > 0 else "ETA ?"
    unit_total = format_size(total_bytes)
    done = format_size(nbytes)
    if done.split(" ")[-1] == unit_total.split(" ")[-1]:
        done = done.split(" ")[0]
    return (
        f"{files:,}/{total_files:,} files  {done}/{unit_total}  "
        f"{format_size(round(rate))}/s  {left}"
    )


class PlainOutput:
    """Line-oriented output for logs and pipes: a progress line every few seconds."""

    def __init__(self, stream: Any = None, every: float = 5.0, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.every, self.quiet = every, quiet
        self.files = self.total_files = self.bytes = self.total_bytes = 0
        self.started = self.last = time.monotonic()
        self.current = ""

    def message(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def stage(self, name: str) -> None:
        self.current = name
        self.message(f"[{name}]")

    def start(self, files: int, total_bytes: int) -> None:
        self.total_files, self.total_bytes = files, total_bytes
        self.started = self.last = time.monotonic()
        self.message(f"[analyse and place] {files:,} files ({format_size(total_bytes)})")

    def figures(self) -> str:
        return progress_figures(
            self.files,
            self.total_files,
            self.bytes,
            self.total_bytes,
            time.monotonic() - self.started,
        )

    def advance(self, files: int, nbytes: int) -> None:
        self.files += files
        self.bytes += nbytes
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.message(f"[analyse and place] {self.figures()}")

    def finish(self, summary: Summary | Mapping[str, Any]) -> None:
        summary = as_summary(summary)
        if self.quiet:
            lines = error_steps(summary) + sources_kept_lines(summary)
        else:
            lines = summary_lines(summary) + next_steps(summary)
        for line in lines:
            print(line, file=self.stream)


class RichOutput(PlainOutput):
    """A live line naming the stage, with a bar, files, bytes, rate and ETA while files are
    analysed and placed; a summary table at the end."""

    def __init__(self, console: Any = None) -> None:
        super().__init__()
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.progress: Any = None
        self.task: Any = None

    def message(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def _ensure_progress(self) -> None:
        if self.progress is not None:
            return
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=12),
            TextColumn("{task.fields[figures]}"),
            console=self.console,
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("", total=None, figures="")

    def stage(self, name: str) -> None:
        self.current = name
        self._ensure_progress()
        self.progress.update(self.task, description=name, total=None, completed=0, figures="")

    def start(self, files: int, total_bytes: int) -> None:
        self.total_files, self.total_bytes = files, total_bytes
        self.started = self.last = time.monotonic()
        self._ensure_progress()
        self.progress.update(
            self.task,
            description="analyse and place",
            total=max(1, total_bytes),
            completed=0,
            figures=self.figures(),
        )

    def advance(self, files: int, nbytes: int) -> None:
        self.files += files
        self.bytes += nbytes
        now = time.monotonic()
        if self.progress is not None and (now - self.last >= 0.1 or self.files == self.total_files):
            self.last = now
            self.progress.update(self.task, completed=self.bytes, figures=self.figures())

    def finish(self, summary: Summary | Mapping[str, Any]) -> None:
        summary = as_summary(summary)
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        from rich.table import Table

        table = Table(title="imgorg summary", show_header=True)
        table.add_column("outcome")
        table.add_column("files", justify="right")
        for status, count in summary.counts.items():
            table.add_row(status, str(count))
        riders = sum(summary.companions.values())
        if riders:
            table.add_row("sidecars and pairs (travelled along)", str(riders))
        table.add_section()
        table.add_row("bytes in", format_size(summary.bytes_in))
        table.add_row("bytes out", format_size(summary.bytes_out))
        table.add_row(
            "compressed", f"{summary.compressed} (saved {format_size(summary.bytes_saved)})"
        )
        table.add_row("time", f"{summary.seconds:.1f} s ({summary.files_per_second:.0f} files/s)")
        table.add_row("engine", f"{summary.imaging}; {summary.backend} x{summary.workers}")
        self.console.print(table)
        years = Table(title="placed per year", show_header=True)
        years.add_column("year")
        years.add_column("photos", justify="right")
        years.add_column("")
        peak = max(summary.years.values(), default=1)
        for year, count in summary.years.items():
            years.add_row(year, str(count), "█" * max(1, round(30 * count / peak)))
        if summary.years:
            self.console.print(years)
        for line in trailer_lines(summary) + next_steps(summary):
            self.console.print(line, markup=False, highlight=False)


def summary_lines(summary: Summary | Mapping[str, Any]) -> list[str]:
    summary = as_summary(summary)
    counts = ", ".join(f"{k} {v}" for k, v in summary.counts.items())
    years = ", ".join(f"{k}: {v}" for k, v in summary.years.items()) or "none"
    riders = ", ".join(f"{k} {v}" for k, v in summary.companions.items()) or "none"
    return [
        f"files: {summary.files} ({counts}; files travelling with a photo: {riders})",
        f"bytes in {format_size(summary.bytes_in)}, out {format_size(summary.bytes_out)}; "
        f"{summary.compressed} compressed, saved {format_size(summary.bytes_saved)}",
        f"per year: {years}",
        f"time {summary.seconds:.1f} s, {summary.files_per_second:.0f} files/s; "
        f"imaging {summary.imaging}; backend {summary.backend} x{summary.workers}",
        *trailer_lines(summary),
    ]


def trailer_lines(summary: Summary) -> list[str]:
    """Where things were written (said once, after the numbers)."""
    lines = []
    if summary.dry_run:
        lines.append("dry run: nothing was written")
    if summary.report:
        lines.append(f"report: {summary.report}")
    if summary.html:
        lines.append(f"HTML report: {summary.html}")
    if summary.cloned:
        lines.append(
            f"{summary.cloned} copies are reflink clones: they share their bytes with SOURCE "
            "until either changes, and took no space"
        )
    return lines + sources_kept_lines(summary)


def sources_kept_lines(summary: Summary) -> list[str]:
    """Moved files whose source could not be removed (exit 1; ``--quiet`` prints it too)."""
    if not summary.sources_kept:
        return []
    return [
        f"{summary.sources_kept} moved files are still in SOURCE too: they could not be "
        "removed (see the error log)"
    ]


def error_steps(summary: Summary) -> list[str]:
    """The next step where files ended in error, photos or files travelling with them (all
    that ``--quiet`` prints)."""
    error = Status.ERROR.value
    errors = summary.counts.get(error, 0) + summary.companions.get(error, 0)
    if not errors:
        return []
    return [f"next: {errors} files ended in error: see {summary.error_log or 'the report'}"]


def photos(count: int) -> str:
    return f"{count} photo" if count == 1 else f"{count} photos"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _have(count: int) -> str:
    return "has" if count == 1 else "have"


def next_steps(summary: Summary) -> list[str]:
    """What to do next, where something is left to do."""
    steps = []
    small = summary.skipped_small
    if small:
        limit = format_size(summary.min_size)
        steps.append(
            f"{photos(small)} {_were(small)} skipped as smaller than {limit}: "
            "--min-size 0 takes them"
        )
    undated = summary.undated
    settings = summary.settings
    if undated and not (settings.get("date_from_folder") and settings.get("date_from_mtime")):
        unused = [key for key in ("date_from_folder", "date_from_mtime") if not settings.get(key)]
        flags = " or ".join("--" + key.replace("_", "-") for key in unused)
        steps.append(f"{photos(undated)} {_have(undated)} no date: {flags} may date them")
    clock = summary.date_sources.get(DateSource.CLOCK_DEFAULT.value, 0)
    if clock:
        them = "it" if clock == 1 else "them"
        listed = summary.report or summary.html or summary.plan  # a dry run may write none
        steps.append(
            f"{photos(clock)} {_were(clock)} dated by a camera clock that was never set "
            f"(1 January, just after midnight) and nothing else dates {them}: "
            f"{'the report' if listed else '--report FILE'} names {them} "
            "(date source clock-default)"
        )
    if summary.plan:
        steps.append("run `imgorg organize` with the same SOURCE, DEST and flags to do it")
    elif summary.dry_run:
        steps.append("run the same command without --dry-run to do it")
    return error_steps(summary) + [f"next: {step}" for step in steps]


def plan_lines(decisions: Iterable[Decision]) -> Iterable[str]:
    """The plan, source → destination and status, grouped by source folder."""
    folder: str | None = None
    for d in decisions:
        here, name = os.path.split(d.rel)
        if here != folder:
            folder = here
            yield one_line(f"{here or '.'}/")
        target = f" → {d.dest}" if d.dest else ""
        detail = ""
        if d.status is Status.DUPLICATE and d.duplicate_of:
            detail = f" (of {d.duplicate_of})"
        elif d.reason:
            detail = f" ({d.reason})"
        elif d.companion_of:
            detail = f" (travels with {os.path.basename(d.companion_of)})"
        yield one_line(f"  {name}{target}  {d.status.value}{detail}")


def print_plan(output: Output, lines: Iterable[str], limit: int | None, full: str | None) -> None:
    """Every plan line, or the first ``limit`` and where the full plan is."""
    shown = 0
    rest = 0
    for line in lines:
        if limit is None or shown < limit:
            output.message(line)
            shown += 1
        elif not line.endswith("/"):
            rest += 1
    if rest:
        where = f": the full plan is in {full}" if full else ""
        output.message(f"… and {rest} more files{where}")
