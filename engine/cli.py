"""The ``imgorg`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from engine import __version__
from engine.output import Output, PlainOutput, RichOutput
from engine.settings import SettingsError, build, load_config

EXIT_OK, EXIT_FILE_ERRORS, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


def _organize_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "organize",
        help="organize SOURCE into a clean archive in DEST",
        description="Copy (or move) every photo under SOURCE into DEST/<year>/..., "
        "without duplicates, shrinking oversized JPEGs and setting broken files aside.",
    )
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
    return top


_NOT_SETTINGS = {"command", "config", "plain", "quiet"}


def _output(args: argparse.Namespace) -> Output:
    if args.quiet:
        return PlainOutput(quiet=True)
    if not args.plain and sys.stderr.isatty():
        return RichOutput()
    return PlainOutput()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from engine.organize import RunError, organize

    try:
        values: dict[str, Any] = load_config(args.config) if args.config else {}
        values.update(
            {k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS and v is not None}
        )
        settings = build(values)
    except SettingsError as exc:
        print(f"imgorg: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        result = organize(settings, _output(args))
    except RunError as exc:
        print(f"imgorg: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("imgorg: interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
