"""What a person sees: live progress and the closing summary, rich on a terminal, plain
lines elsewhere. The engine talks to it through the small ``Output`` protocol only."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

from engine.sizes import format_size


class Output(Protocol):
    def message(self, text: str) -> None: ...
    def start(self, files: int, total_bytes: int) -> None: ...
    def advance(self, files: int, nbytes: int) -> None: ...
    def finish(self, summary: dict[str, Any]) -> None: ...


class PlainOutput:
    """Line-oriented output for logs and pipes: a progress line every few seconds."""

    def __init__(self, stream: Any = None, every: float = 5.0, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.every, self.quiet = every, quiet
        self.files = self.total_files = self.bytes = self.total_bytes = 0
        self.started = self.last = time.monotonic()

    def message(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def start(self, files: int, total_bytes: int) -> None:
        self.total_files, self.total_bytes = files, total_bytes
        self.started = self.last = time.monotonic()
        self.message(f"analysing {files} files ({format_size(total_bytes)})")

    def advance(self, files: int, nbytes: int) -> None:
        self.files += files
        self.bytes += nbytes
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            rate = self.files / max(1e-9, now - self.started)
            self.message(
                f"{self.files}/{self.total_files} files, {format_size(self.bytes)}, "
                f"{rate:.0f} files/s"
            )

    def finish(self, summary: dict[str, Any]) -> None:
        if self.quiet:
            return
        for line in summary_lines(summary):
            print(line, file=self.stream)


class RichOutput(PlainOutput):
    """A live progress bar (files and bytes, rate, ETA) and a summary table."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console

        self.console = Console(stderr=True)
        self.progress: Any = None
        self.task: Any = None

    def message(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def start(self, files: int, total_bytes: int) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.total_files = files
        self.progress = Progress(
            TextColumn("[bold]organizing"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("organize", total=max(1, total_bytes))

    def advance(self, files: int, nbytes: int) -> None:
        self.files += files
        if self.progress is not None:
            self.progress.update(self.task, advance=nbytes)

    def finish(self, summary: dict[str, Any]) -> None:
        if self.progress is not None:
            self.progress.stop()
        from rich.table import Table

        table = Table(title="imgorg summary", show_header=True)
        table.add_column("outcome")
        table.add_column("files", justify="right")
        for status, count in summary["counts"].items():
            table.add_row(status, str(count))
        table.add_section()
        table.add_row("bytes in", format_size(summary["bytes_in"]))
        table.add_row("bytes out", format_size(summary["bytes_out"]))
        table.add_row(
            "compressed", f"{summary['compressed']} (saved {format_size(summary['bytes_saved'])})"
        )
        table.add_row(
            "time", f"{summary['seconds']:.1f} s ({summary['files_per_second']:.0f} files/s)"
        )
        self.console.print(table)
        years = Table(title="placed per year", show_header=True)
        years.add_column("year")
        years.add_column("photos", justify="right")
        years.add_column("")
        peak = max(summary["years"].values(), default=1)
        for year, count in summary["years"].items():
            years.add_row(year, str(count), "█" * max(1, round(30 * count / peak)))
        if summary["years"]:
            self.console.print(years)
        for line in summary_lines(summary)[-3:]:
            self.console.print(line, markup=False, highlight=False)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items())
    years = ", ".join(f"{k}: {v}" for k, v in summary["years"].items()) or "none"
    companions = summary.get("companions", {})
    riders = sum(companions.values()) - companions.get("error", 0)
    failed = f", {companions['error']} could not (errors)" if companions.get("error") else ""
    lines = [
        f"files: {summary['files']} ({counts}; {riders} sidecars and pairs travelled along"
        f"{failed})",
        f"bytes in {format_size(summary['bytes_in'])}, out {format_size(summary['bytes_out'])}; "
        f"{summary['compressed']} compressed, saved {format_size(summary['bytes_saved'])}",
        f"per year: {years}",
        f"time {summary['seconds']:.1f} s, {summary['files_per_second']:.0f} files/s; "
        f"imaging {summary['imaging']}; backend {summary['backend']} x{summary['workers']}",
    ]
    if summary.get("dry_run"):
        lines.append("dry run: nothing was written")
    if summary.get("report"):
        lines.append(f"report: {summary['report']}")
    if summary.get("html"):
        lines.append(f"HTML report: {summary['html']}")
    if summary.get("sources_kept"):
        lines.append(
            f"{summary['sources_kept']} moved files are still in SOURCE too: they could not be "
            "removed (see the error log)"
        )
    if summary.get("error_log"):
        lines.append(f"errors logged to {summary['error_log']}")
    return lines
