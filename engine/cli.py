"""The ``imgorg`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from engine import __version__
from engine.output import Output, PlainOutput, RichOutput
from engine.settings import Settings, SettingsError, build, load_config

EXIT_OK, EXIT_FILE_ERRORS, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


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
    p.add_argument("--config", help="TOML file with any of these flags (flag names as keys)")
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
        choices=["nested", "flat"],
        help="nested (default): DEST/<year>/<folders>/<name>; flat: DEST/<year>/<name>",
    )
    p.add_argument(
        "--extensions",
        help="comma-separated extensions (default .jpg,.jpeg,.png,.tif,.tiff,.bmp,.gif,.webp)",
    )
    p.add_argument("--min-size", help="skip smaller files (default 0.05MB)")
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
        help="leave single-subfolder folders as they are",
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
    p.add_argument(
        "--similar",
        nargs="?",
        const="report",
        choices=["report", "set-aside"],
        help="also find near-duplicates (resized, re-encoded, messenger copies): list them in "
        "DEST/.imgorg/similar.jsonl (report, the default), or also move the lesser copies into "
        "DEST/Similar (set-aside); needs the 'similar' extra",
    )
    p.add_argument("--plain", action="store_true", help="plain progress lines even on a terminal")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return p


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="imgorg", description="Migrate photo archives into a clean, year-sorted archive."
    )
    top.add_argument("--version", action="version", version=f"imgorg {__version__}")
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
    _similar_parser(sub)
    return top


def _similar_parser(sub: Any) -> None:
    similar = sub.add_parser(
        "similar",
        help="find resized, re-encoded and converted copies among the photos in DEST",
        description="Group near-duplicate photos placed in DEST, name the copy to keep and the "
        "dates the others take from it. Nothing moves unless --set-aside is given. Needs the "
        "'similar' extra (faiss).",
    )
    similar.add_argument(
        "--set-aside",
        action="store_true",
        help="move the lesser copies into DEST/Similar/<path> (journaled; never deleted)",
    )
    similar.add_argument(
        "--restore", action="store_true", help="move every set-aside copy back where it was"
    )
    similar.add_argument("dest", metavar="DEST")
    similar.add_argument("--jobs", "-j", type=int, help="processes hashing (default: every core)")
    similar.add_argument("--out", help="JSON Lines report (default DEST/.imgorg/similar.jsonl)")


def _similar(args: argparse.Namespace) -> int:
    from engine.organize import META, existing_journal
    from engine.similar.command import find_similar
    from engine.similar.index import MissingDependency
    from engine.similar.setaside import restore

    dest = os.path.abspath(args.dest)
    if args.restore:
        with existing_journal(dest) as journal:
            back = restore(dest, journal.db)
        print(f"{len(back)} set-aside copies moved back")
        return EXIT_OK
    out = os.path.abspath(args.out or os.path.join(dest, META, "similar.jsonl"))
    try:
        with existing_journal(dest) as journal:
            jobs = args.jobs or os.cpu_count() or 1
            result = find_similar(dest, journal.db, jobs, out, args.set_aside)
            run_id = journal.last_run()
            if run_id is not None and args.out is None:  # the page shows the groups too
                from engine.html_report import write_run_report

                meta = os.path.join(dest, META)
                html = os.path.join(meta, "report.html")
                write_run_report(html, journal, run_id, os.path.join(meta, "thumbs"))
    except MissingDependency as exc:
        print(f"imgorg: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    copies = sum(len(g.members) - 1 for g in result.groups)
    print(
        f"{result.images} photos ({result.hashed} newly hashed): {len(result.groups)} groups of "
        f"near-duplicates, {copies} lesser copies ({len(result.moved)} files set aside); "
        f"report: {result.report}"
    )
    return EXIT_OK


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
    from engine.organize import organize

    return organize(_settings(args), _output(args)).exit_code


def _plan(args: argparse.Namespace) -> int:
    from engine.organize import organize

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    settings = _settings(args, dry_run=True, plan_dir=out, report=os.path.join(out, "plan.jsonl"))
    return organize(settings, _output(args)).exit_code


def _report(args: argparse.Namespace) -> int:
    from engine.html_report import write_run_report
    from engine.organize import META, RunError, existing_journal

    dest = os.path.abspath(args.dest)
    out = os.path.abspath(args.out or os.path.join(dest, META, "report.html"))
    with existing_journal(dest) as journal:
        run_id = journal.last_run()
        if run_id is None:
            raise RunError(f"the journal in {dest} records no run")
        write_run_report(out, journal, run_id, os.path.join(dest, META, "thumbs"))
    print(f"HTML report of run {run_id}: {out}")
    return EXIT_OK


def _undo(args: argparse.Namespace) -> int:
    from engine.organize import existing_journal
    from engine.undo import undo

    dest = os.path.abspath(args.dest)
    with existing_journal(dest) as journal:
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
    from engine.organize import existing_journal
    from engine.verify import verify

    dest = os.path.abspath(args.dest)
    with existing_journal(dest) as journal:
        result = verify(dest, journal)
    print(
        f"verified {result.checked} files: {len(result.missing)} missing, "
        f"{len(result.changed)} changed"
    )
    for path in result.missing:
        print(f"  missing: {path}")
    for path in result.changed:
        print(f"  changed: {path}")
    return EXIT_OK if result.ok else EXIT_FILE_ERRORS


_COMMANDS = {
    "organize": _organize,
    "plan": _plan,
    "report": _report,
    "undo": _undo,
    "verify": _verify,
    "similar": _similar,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from engine.organize import RunError

    try:
        return _COMMANDS[args.command](args)
    except (RunError, SettingsError) as exc:
        print(f"imgorg: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("imgorg: interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
