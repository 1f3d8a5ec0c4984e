"""The ``imgorg`` command line."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import signal
import sqlite3
import sys
import warnings
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.formats.kinds import RAW_EXTENSIONS
from engine.report.console import Output, PlainOutput, RichOutput
from engine.settings import Settings, SettingsError, build, load_config
from engine.sizes import format_size
from engine.stages.walk import DEFAULT_EXTENSIONS

if TYPE_CHECKING:
    from engine.commands.verify import VerifyResult

EXIT_OK, EXIT_FILE_ERRORS, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop as cleanly as after Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


NO_IMAGING = (
    "imgorg: no imaging library is installed (the PIL module is missing): install it with "
    "`pip install Pillow` in imgorg's environment, or run scripts/setup for Pillow-SIMD"
)


class _Parser(argparse.ArgumentParser):
    """argparse, with the nearest real flag suggested for a mistyped one."""

    def error(self, message: str) -> Any:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            hints = [
                f"{word.split('=')[0]}: did you mean {match}?"
                for word in message[len(prefix) :].split()
                if word.startswith("-")
                for match in difflib.get_close_matches(word.split("=")[0], _known_flags(), 1, 0.6)
            ]
            if hints:
                message += "\n  " + "\n  ".join(hints)
        super().error(message)


def _known_flags() -> list[str]:
    flags: set[str] = set()
    top = parser()
    for action in top._actions:
        flags.update(action.option_strings)
        for sub in (getattr(action, "choices", None) or {}).values():
            if isinstance(sub, argparse.ArgumentParser):
                for inner in sub._actions:
                    flags.update(o for o in inner.option_strings if o.startswith("--"))
    return sorted(flags)


class _Version(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(version_text())
        parser.exit()


def version_text() -> str:
    """``imgorg 0.1.0 (pillow-simd 12.1.1.post0, SIMD in use)``."""
    try:
        from engine.formats.imaging import imaging_library, uses_simd
    except ModuleNotFoundError as exc:
        if exc.name != "PIL":
            raise
        return f"imgorg {__version__} (no imaging library: pip install Pillow)"
    simd = "SIMD in use" if uses_simd() else "no SIMD (stock Pillow)"
    return f"imgorg {__version__} ({imaging_library()}, {simd})"


def _organize_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "organize",
        help="organize SOURCE into a clean archive in DEST",
        description="Copy (or move) every photo under SOURCE into DEST/<year>/..., "
        "without duplicates, shrinking oversized JPEGs and setting broken files aside.",
    )
    return _organize_flags(p)


def _plan_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "plan",
        help="write the plan of an organize run as reports, without touching SOURCE or DEST",
        description="What --dry-run does, written as the JSON Lines report (plan.jsonl) and the "
        "HTML report (report.html, with thumbnails) in --out, to review before anything is "
        "copied or moved.",
    )
    p.add_argument("--out", default="imgorg-plan", help="folder for the plan (default imgorg-plan)")
    return _organize_flags(p)


def _organize_flags(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("dest", metavar="DEST")
    p.add_argument(
        "--config", help="TOML file setting any of these flags (flag names as keys; see README)"
    )
    p.add_argument(
        "--mode", choices=["copy", "move"], help="copy (default; SOURCE untouched) or move"
    )
    p.add_argument("--jobs", "-j", type=int, help="worker processes (default: every core)")
    p.add_argument("--backend", choices=["loky", "dask"], help="process pool (default loky)")
    p.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://host:8786")
    p.add_argument(
        "--path-map",
        action="append",
        metavar="HERE=THERE",
        help="on dask workers, a path under HERE is found under THERE (repeatable)",
    )
    p.add_argument(
        "--layout",
        help="nested (default): DEST/<year>/<folders>/<name>; flat: DEST/<year>/<name>; or a "
        "folder template of {year} {month} {month_name} {day} {camera} {source_folder}, "
        "e.g. '{year}/{year}-{month:02}'",
    )
    p.add_argument(
        "--rename",
        help="name files from a template of {date:%%Y%%m%%d_%%H%%M%%S} {name} and the --layout "
        "tokens (the extension is kept), e.g. '{date:%%Y%%m%%d_%%H%%M%%S}_{name}'",
    )
    p.add_argument(
        "--extensions",
        help="comma-separated photo extensions (default "
        + ",".join(DEFAULT_EXTENSIONS)
        + "); RAW files ("
        + " ".join(RAW_EXTENSIONS)
        + ") and videos (see --no-videos) are always taken",
    )
    p.add_argument(
        "--min-size",
        help="skip smaller images without camera metadata or companions (default 0.05MB)",
    )
    p.add_argument(
        "--no-compress",
        dest="compress",
        action="store_const",
        const=False,
        help="place every file byte for byte",
    )
    p.add_argument("--compress-above", help="re-encode JPEGs larger than this (default 3MB)")
    p.add_argument("--target-size", help="largest size a re-encoded JPEG may have (default 6MB)")
    p.add_argument(
        "--very-large",
        help="above this, downscale when the quality floor cannot reach the target (default 10MB)",
    )
    p.add_argument("--quality-floor", type=int, help="lowest JPEG quality ever used (default 70)")
    p.add_argument(
        "--min-saving", help="re-encode only if it saves at least this much (default 5%%)"
    )
    p.add_argument(
        "--verify",
        choices=["structure", "full"],
        help="structure (default): cheap structural check; full: decode every pixel",
    )
    p.add_argument(
        "--fix-orientation",
        choices=["none", "jpeg", "all"],
        help="turn images upright: jpeg (default) losslessly for JPEGs, all also PNGs, none",
    )
    p.add_argument(
        "--max-pixels",
        type=int,
        help="larger images are treated as decompression bombs (default 200000000)",
    )
    p.add_argument(
        "--dry-run",
        action="store_const",
        const=True,
        help="print and report the plan; write nothing",
    )
    p.add_argument("--report", help="write a JSON Lines report to this file")
    p.add_argument("--corrupted-folder", help="folder in DEST for broken files (default Corrupted)")
    p.add_argument("--nodate-folder", help="folder in DEST for undated photos (default NoDate)")
    p.add_argument(
        "--duplicates-folder",
        help="folder in DEST for duplicates in move mode (default Duplicates)",
    )
    p.add_argument(
        "--no-tidy",
        dest="tidy",
        action="store_const",
        const=False,
        help="keep every folder below SOURCE (by default a chain of folders holding one "
        "subfolder each becomes its innermost folder)",
    )
    p.add_argument(
        "--no-space-check",
        dest="space_check",
        action="store_const",
        const=False,
        help="start even if DEST may not hold everything (a full disk still stops cleanly)",
    )
    p.add_argument(
        "--no-videos",
        dest="videos",
        action="store_const",
        const=False,
        help="leave videos (.mov .mp4 .m4v .3gp .avi .mts) where they are",
    )
    p.add_argument(
        "--date-from-folder",
        action="store_const",
        const=True,
        help="when nothing else dates a file, use a date or year in its folder names",
    )
    p.add_argument(
        "--date-from-mtime",
        action="store_const",
        const=True,
        help="as a last resort, date a file by its modification time",
    )
    p.add_argument("--plain", action="store_true", help="plain progress lines even on a terminal")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return p


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="imgorg", description="Migrate photo archives into a clean, year-sorted archive."
    )
    top.add_argument("--version", action=_Version)
    sub = top.add_subparsers(dest="command", required=True)
    _organize_parser(sub)
    _plan_parser(sub)
    report = sub.add_parser(
        "report", help="rebuild the HTML report of the last run recorded in DEST's journal"
    )
    report.add_argument("dest", metavar="DEST")
    report.add_argument("--out", help="where to write it (default DEST/.imgorg/report.html)")
    undo = sub.add_parser(
        "undo",
        help="reverse the last run recorded in DEST's journal",
        description="Copy mode: remove the files the last run wrote, if unchanged since. "
        "Move mode: move every file back to where it came from. Changed files are left alone.",
    )
    undo.add_argument("dest", metavar="DEST")
    undo.add_argument("--dry-run", action="store_true", help="say what would be undone")
    verify = sub.add_parser(
        "verify", help="re-hash every file the journal says is in DEST; list missing or changed"
    )
    verify.add_argument("dest", metavar="DEST")
    finalize = sub.add_parser(
        "finalize",
        help="delete the originals move mode kept of re-encoded or rotated files",
        description="Move mode keeps the original bytes of every file it re-encoded or turned "
        "upright in DEST/.imgorg/originals/, so undo can restore SOURCE exactly. finalize lists "
        "them and the space they take, and with --yes deletes them (refused while verify "
        "fails). Undo afterwards brings back the re-encoded or rotated versions.",
    )
    finalize.add_argument("dest", metavar="DEST")
    finalize.add_argument("--yes", action="store_true", help="delete them (otherwise only list)")
    return top


_NOT_SETTINGS = {"command", "config", "plain", "quiet", "out"}


def _output(args: argparse.Namespace) -> Output:
    if args.quiet:
        return PlainOutput(quiet=True)
    if not args.plain and sys.stderr.isatty():
        return RichOutput()
    return PlainOutput()


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Defaults, then the config file, then the command line, then ``overrides``."""
    values: dict[str, Any] = load_config(args.config) if args.config else {}
    values.update({k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS and v is not None})
    values.update(overrides)
    return build(values)


def _organize(args: argparse.Namespace) -> int:
    from engine.commands.organize import organize

    return organize(_settings(args), _output(args)).exit_code


def _plan(args: argparse.Namespace) -> int:
    from engine.commands.organize import organize

    out = os.path.abspath(args.out)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"out: cannot create {out}: {exc.strerror}") from exc
    settings = _settings(args, dry_run=True, plan_dir=out, report=os.path.join(out, "plan.jsonl"))
    return organize(settings, _output(args)).exit_code


def _existing_dest(path: str) -> str:
    """DEST of report, undo and verify: a folder that exists, else exit 2 saying so."""
    from engine.commands.organize import RunError

    dest = os.path.abspath(path)
    if not os.path.exists(dest):
        raise RunError(f"DEST does not exist: {dest}")
    if not os.path.isdir(dest):
        raise RunError(f"DEST is not a folder: {dest}")
    return dest


def _report(args: argparse.Namespace) -> int:
    from engine.commands.organize import META, RunError, existing_journal
    from engine.report.html import write_run_report

    dest = _existing_dest(args.dest)
    out = os.path.abspath(args.out or os.path.join(dest, META, "report.html"))
    with existing_journal(dest) as journal:
        run_id = journal.last_run()
        if run_id is None:
            raise RunError(f"the journal in {dest} records no run")
        write_run_report(out, journal, run_id, os.path.join(dest, META, "thumbs"))
    print(f"HTML report of run {run_id}: {out}")
    return EXIT_OK


def _undo(args: argparse.Namespace) -> int:
    from engine.commands.organize import existing_journal
    from engine.commands.undo import undo
    from engine.stages.recover import reconcile

    dest = _existing_dest(args.dest)
    with existing_journal(dest) as journal:
        reconcile(journal, dest)
        result = undo(dest, journal, dry_run=args.dry_run)
    if not result.runs:
        print("imgorg: nothing to undo", file=sys.stderr)
        return EXIT_OK
    verb = "would be" if args.dry_run else "were"
    print(
        f"undo of run {', '.join(map(str, result.runs))}: {result.removed} copies {verb} "
        f"removed, {result.restored} files {verb} moved back, {len(result.left)} left alone"
    )
    for dest_path, why in result.left:
        print(f"  left alone: {dest_path}: {why}")
    return EXIT_FILE_ERRORS if result.left else EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from engine.commands.organize import existing_journal
    from engine.commands.verify import verify
    from engine.stages.recover import reconcile

    dest = _existing_dest(args.dest)
    with existing_journal(dest) as journal:
        reconcile(journal, dest)
        result = verify(dest, journal)
    _print_verify(result)
    return EXIT_OK if result.ok else EXIT_FILE_ERRORS


def _print_verify(result: VerifyResult) -> None:
    kept = (
        f" and {result.originals} kept originals ({format_size(result.originals_bytes)})"
        if result.originals
        else ""
    )
    print(
        f"verified {result.checked} files{kept}: {len(result.missing)} missing, "
        f"{len(result.changed)} changed"
    )
    for path in result.missing:
        print(f"  missing: {path}")
    for path in result.changed:
        print(f"  changed: {path}")


def _finalize(args: argparse.Namespace) -> int:
    from engine.commands.finalize import delete_originals, finalizable
    from engine.commands.organize import existing_journal
    from engine.commands.verify import verify
    from engine.stages.recover import reconcile

    dest = os.path.abspath(args.dest)
    with existing_journal(dest) as journal:
        reconcile(journal, dest)
        result = verify(dest, journal)
        if not result.ok:
            _print_verify(result)
            print("imgorg: finalize refused: verify fails, so the originals stay", file=sys.stderr)
            return EXIT_FILE_ERRORS
        found = finalizable(journal)
        if not found.paths:
            print("imgorg: no kept originals to delete")
            return EXIT_OK
        for path in found.paths:
            print(f"  {path}")
        print(
            f"{len(found.paths)} kept originals in {os.path.join(dest, '.imgorg', 'originals')}"
            f" take {format_size(found.bytes)}; deleting them frees that space, and undo then "
            "brings back the re-encoded or rotated versions"
        )
        if not args.yes:
            print("nothing deleted: run again with --yes to delete them")
            return EXIT_OK
        deleted = delete_originals(dest, journal, found)
    print(f"deleted {deleted} kept originals, {format_size(found.bytes)} freed")
    return EXIT_OK


_COMMANDS = {
    "organize": _organize,
    "plan": _plan,
    "report": _report,
    "undo": _undo,
    "verify": _verify,
    "finalize": _finalize,
}


@contextlib.contextmanager
def _warnings_kept_off_the_terminal(args: argparse.Namespace) -> Iterator[None]:
    """Library warnings never reach the terminal. A file's own go into its note (the worker
    records them); worker processes ignore any others (PYTHONWARNINGS, inherited); the main
    process's are appended to the run's folder (DEST/.imgorg, or the plan's) as warnings.log."""
    ours = "PYTHONWARNINGS" not in os.environ
    if ours:
        os.environ["PYTHONWARNINGS"] = "ignore"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            if ours:
                os.environ.pop("PYTHONWARNINGS", None)
            folder = getattr(args, "out", None) if args.command == "plan" else None
            if folder is None and getattr(args, "dest", None):
                folder = os.path.join(args.dest, ".imgorg")
            if caught and folder and os.path.isdir(folder):
                with open(os.path.join(folder, "warnings.log"), "a", encoding="utf-8") as log:
                    log.writelines(
                        warnings.formatwarning(w.message, w.category, w.filename, w.lineno)
                        for w in caught
                    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        from engine.commands.organize import RunError
    except ModuleNotFoundError as exc:
        if exc.name != "PIL":
            raise
        print(NO_IMAGING, file=sys.stderr)
        return EXIT_CANNOT_RUN

    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with _warnings_kept_off_the_terminal(args):
            return _COMMANDS[args.command](args)
    except (RunError, SettingsError) as exc:
        print(f"imgorg: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except sqlite3.DatabaseError as exc:
        print(
            f"imgorg: the journal in DEST cannot be read or written ({exc}); stopped. "
            "Run `imgorg verify DEST` to see where things stand",
            file=sys.stderr,
        )
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"imgorg: {what}; run the same command again to resume", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
