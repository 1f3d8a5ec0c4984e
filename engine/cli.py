"""The ``imgorg`` command line."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib.util
import logging
import os
import signal
import sqlite3
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.errors import (
    EXIT_CANNOT_RUN,
    EXIT_FILE_ERRORS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    RunError,
    SettingsError,
    Terminated,
)
from engine.report.console import Output, PlainOutput, RichOutput, one_line
from engine.settings import GROUPS, Settings, build, help_text, jobs_problem, load_config, options
from engine.signals import forget_stop, stopped, stopping_with
from engine.sizes import format_size
from engine.stages.work import collect_rarely

if TYPE_CHECKING:
    from engine.commands.undo import UndoResult
    from engine.commands.verify import VerifyResult


_raise_terminated = stopping_with(Terminated)


NO_IMAGING = (
    "imgorg: no imaging library is installed (the PIL module is missing): install it with "
    "`pip install Pillow` in imgorg's environment, or run scripts/setup for Pillow-SIMD"
)


class _Parser(argparse.ArgumentParser):
    """argparse, with the nearest real flag suggested for a mistyped one."""

    def error(self, message: str) -> Any:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            known = _known_flags()
            hints = [
                hint
                for word in message[len(prefix) :].split()
                if word.startswith("-") and (hint := _hint(word.split("=")[0], known))
            ]
            if hints:
                message += "\n  " + "\n  ".join(hints)
        super().error(message)


def _hint(flag: str, known: dict[str, list[str]]) -> str | None:
    """What to say of ``flag``, which the command given does not take."""
    if flag in known:
        commands = ", ".join(f"imgorg {name}" for name in known[flag]) or "imgorg itself"
        return f"{flag} is an option of {commands} only"
    match = difflib.get_close_matches(flag, list(known), 1, 0.6)
    return f"{flag}: did you mean {match[0]}?" if match else None


def _known_flags() -> dict[str, list[str]]:
    """Every long flag, with the commands that take it (none: the top level's own)."""
    flags: dict[str, list[str]] = {}
    top = parser()
    for action in top._actions:
        for flag in action.option_strings:
            flags.setdefault(flag, [])
        for name, sub in (getattr(action, "choices", None) or {}).items():
            if isinstance(sub, argparse.ArgumentParser):
                for inner in sub._actions:
                    for flag in inner.option_strings:
                        if flag.startswith("--"):
                            flags.setdefault(flag, []).append(name)
    return flags


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
    """SOURCE, DEST, --config, one flag per setting of engine.settings, then --plain, --quiet."""
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("dest", metavar="DEST")
    p.add_argument(
        "--config",
        help="TOML file setting any of these flags but --plain and --quiet (flag names as keys; "
        "see README)",
    )
    sections = {
        group: p.add_argument_group((cls.__doc__ or group).splitlines()[0].rstrip("."))
        for group, cls in GROUPS
    }
    for group, f, spec in options():
        if not spec.public:
            continue
        names = [f"--{spec.key}", *([spec.short] if spec.short else [])]
        help_ = help_text(f, spec).replace("%", "%%")
        if spec.switch is not None:
            sections[group].add_argument(
                *names, dest=spec.name, action="store_const", const=spec.switch, help=help_
            )
            continue
        choices = spec.kind.choices or None
        bare: dict[str, Any] = {} if spec.bare is None else {"nargs": "?", "const": spec.bare}
        sections[group].add_argument(
            *names,
            dest=spec.name,
            action="append" if spec.repeat else "store",
            metavar=None if choices else spec.metavar or spec.kind.metavar,
            choices=choices,
            help=help_,
            **bare,
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
        help="reverse the last run that changed DEST (one that found all done is passed over)",
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
    _similar_parser(sub)
    return top


def _similar_parser(sub: Any) -> None:
    similar = sub.add_parser(
        "similar",
        help="find resized, re-encoded and converted copies among the photos in DEST",
        description="Group near-duplicate photos placed in DEST, name the copy to keep and the "
        "dates the others take from it; a copy that takes a date of another year moves to that "
        "year's folder (journaled; undo of its run returns it to SOURCE). The lesser copies "
        "move only with --set-aside. Needs the 'similar' extra (faiss).",
    )
    similar.add_argument(
        "--set-aside",
        action="store_true",
        help="move the lesser copies into DEST/Similar/<path> (journaled; never deleted)",
    )
    similar.add_argument(
        "--restore",
        action="store_true",
        help="move every set-aside copy back where it was (alone: not with --set-aside, --refile)",
    )
    similar.add_argument(
        "--refile",
        action="store_true",
        help="move a copy dated from its group into that year's folder (journaled, undoable)",
    )
    similar.add_argument("dest", metavar="DEST")
    similar.add_argument(
        "--jobs", "-j", type=_jobs, help="processes hashing (0 or default: every core)"
    )
    similar.add_argument("--out", help="JSON Lines report (default DEST/.imgorg/similar.jsonl)")


def _jobs(text: str) -> int:
    """``similar --jobs``: 0 (every core) or more, as organize takes it."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    problem = jobs_problem(jobs)
    if problem:
        raise argparse.ArgumentTypeError(f"{text!r} {problem}")
    return jobs


def _similar(args: argparse.Namespace) -> int:
    from engine.commands.organize import META, existing_journal
    from engine.similar.command import find_similar
    from engine.similar.index import MissingDependency
    from engine.similar.setaside import FOLDER, restore

    dest = _existing_dest(args.dest)
    if args.restore and (args.set_aside or args.refile):
        raise RunError(
            "similar --restore moves set-aside copies back: "
            "it cannot be given with --set-aside or --refile"
        )
    if args.restore:
        with existing_journal(dest) as journal:
            back, left = restore(dest, journal.db)
        print(f"{len(back)} set-aside copies moved back")
        if left:
            _listed(
                f"{len(left)} left in {os.path.join(dest, FOLDER)}: their old place has been "
                f"taken since ({left[0]}, ...)"
            )
            return EXIT_FILE_ERRORS
        return EXIT_OK
    default = os.path.join(dest, META, "similar.jsonl")
    out = default if args.out is None else _out_file(args.out, dest)
    try:
        with existing_journal(dest) as journal:
            jobs = args.jobs or os.cpu_count() or 1
            refile = args.refile
            result = find_similar(dest, journal.db, jobs, out, args.set_aside, refile)
            run_id = journal.last_run()
            if run_id is not None and args.out is None:  # the page shows the groups too
                from engine.report.html import write_run_report

                meta = os.path.join(dest, META)
                html = os.path.join(meta, "report.html")
                write_run_report(html, journal, run_id, os.path.join(meta, "thumbs"))
    except MissingDependency as exc:
        print(f"imgorg: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    copies = sum(len(g.members) - 1 for g in result.groups)
    print(
        f"{result.images} photos ({result.hashed} newly hashed): {len(result.groups)} groups of "
        f"near-duplicates, {copies} lesser copies ({len(result.moved)} files set aside, "
        f"{len(result.refiled)} moved to the year of their group's date); "
        f"report: {result.report}"
    )
    if result.could_refile:
        many = result.could_refile != 1
        print(
            f"{result.could_refile} photo{'s are' if many else ' is'} in another year's folder "
            f"than {'their' if many else 'its'} group's date says: `imgorg similar --refile "
            f"DEST` moves {'them' if many else 'it'} there (journaled, undoable)"
        )
    return EXIT_OK


def _output(args: argparse.Namespace) -> Output:
    if args.quiet:
        return PlainOutput(quiet=True)
    if not args.plain and sys.stderr.isatty():
        return RichOutput()
    return PlainOutput()


def settings_of(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Defaults, then the config file, then the command line, then ``overrides``."""
    values: dict[str, Any] = load_config(args.config) if args.config else {}
    names = ["source", "dest", *(spec.name for _group, _f, spec in options() if spec.public)]
    values.update({name: getattr(args, name) for name in names if getattr(args, name) is not None})
    values.update(overrides)
    return build(values)


def _organize(args: argparse.Namespace) -> int:
    from engine.commands.organize import organize

    return organize(settings_of(args), _output(args)).exit_code


def _plan(args: argparse.Namespace) -> int:
    from engine.commands.organize import organize, report_place_problem

    if not args.out:
        raise SettingsError("out is an empty path")
    out = os.path.abspath(args.out)
    real_out, real_dest = os.path.realpath(out), os.path.realpath(args.dest)
    if real_out == real_dest or real_out.startswith(real_dest + os.sep):
        problem: str | None = "DEST, which a plan never touches: write it outside DEST"
    else:
        problem = report_place_problem(os.path.join(out, "plan.jsonl"), args.source, args.dest)
    if problem:
        raise SettingsError(f"out: the plan {out} lies inside {problem}")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"out: cannot create {out}: {exc.strerror}") from exc
    settings = settings_of(args, dry_run=True, plan_dir=out, report=os.path.join(out, "plan.jsonl"))
    return organize(settings, _output(args)).exit_code


def _existing_dest(path: str) -> str:
    """DEST of report, undo, verify, finalize and similar: a folder that exists, else exit 2
    saying so."""
    if not path:
        raise RunError("DEST is an empty path")
    dest = os.path.abspath(path)
    if not os.path.exists(dest):
        raise RunError(f"DEST does not exist: {dest}")
    if not os.path.isdir(dest):
        raise RunError(f"DEST is not a folder: {dest}")
    return dest


def _out_file(path: str, dest: str) -> str:
    """``--out FILE`` of report and similar: a file in a folder that can be made and written,
    not in a folder of DEST (its photos, its journal), else exit 2 saying so (before any
    work)."""
    if not path:
        raise RunError("--out is an empty path")
    out = os.path.abspath(path)
    folder = os.path.dirname(out)
    real_folder, real_dest = os.path.realpath(folder), os.path.realpath(dest)
    if real_folder.startswith(real_dest + os.sep):
        raise RunError(
            f"--out {out} lies inside a folder of DEST, which holds the archive and its "
            "journal: write it in DEST itself or outside DEST"
        )
    if os.path.isdir(out):
        raise RunError(f"--out {out} is a folder; give a file name")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise RunError(f"--out {out}: cannot create its folder {folder}: {exc.strerror}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RunError(f"--out {out} lies in a folder that is not writable ({folder})")
    return out


def _report(args: argparse.Namespace) -> int:
    from engine.commands.organize import META, existing_journal
    from engine.report.html import write_run_report

    dest = _existing_dest(args.dest)
    default = os.path.join(dest, META, "report.html")
    out = default if args.out is None else _out_file(args.out, dest)
    with existing_journal(dest) as journal:
        run_id = journal.last_run()
        if run_id is None:
            raise RunError(f"the journal in {dest} records no run")
        write_run_report(out, journal, run_id, os.path.join(dest, META, "thumbs"))
    print(f"HTML report of run {run_id}: {out}")
    return EXIT_OK


def _undo(args: argparse.Namespace) -> int:
    from engine.commands.organize import existing_journal
    from engine.commands.preview import settled_copy
    from engine.commands.undo import undo
    from engine.stages.recover import reconcile

    dest = _existing_dest(args.dest)
    result: UndoResult
    if args.dry_run:  # changes nothing: recovery too is only counted, on a private copy
        with settled_copy(dest) as (journal, pending):
            result = undo(dest, journal, pending, on_left=_print_left)
    else:
        with existing_journal(dest) as journal:
            reconcile(journal, dest)
            result = undo(dest, journal, on_left=_print_left)
    if not result.runs:
        print("imgorg: nothing to undo", file=sys.stderr)
        if result.empty_folders_removed:
            count = result.empty_folders_removed
            print(
                f"imgorg: removed {count} empty folder{'s' if count != 1 else ''} of DEST "
                "that a run which placed nothing (killed early) had made",
                file=sys.stderr,
            )
        return EXIT_OK
    _print_undo(result, args.dry_run)
    return EXIT_FILE_ERRORS if result.left_count else EXIT_OK


def _listed(line: str) -> None:
    """A line naming files, printed with what a terminal would act on in a name escaped."""
    print(one_line(line))


def _print_left(dest_path: str, why: str) -> None:
    """A file undo leaves in DEST, said as it is found (a large run's are never all held)."""
    _listed(f"  left alone: {dest_path}: {why}")


def _print_undo(result: UndoResult, dry_run: bool) -> None:
    verb = "would be" if dry_run else "were"
    runs = ", ".join(map(str, result.runs))
    print(
        f"undo of run {runs}: {result.removed} copies {verb} "
        f"removed, {result.restored} files {verb} moved back, {result.left_count} left alone"
        + (" (listed above)" if result.left_count else "")
    )
    if result.as_placed:
        print(
            f"{result.as_placed} of them {verb} moved back as placed (turned or re-encoded): "
            "`imgorg finalize` deleted their originals"
        )
    if result.retry:
        print(
            f"{'this would finish' if dry_run else 'finishing'} the undo of run {runs}, which "
            "ended incomplete; the runs before it are left for the next undo"
        )
    for dest_path, why in result.left:
        _print_left(dest_path, why)
    if result.unfinished:
        runs = ", ".join(map(str, result.unfinished))
        print(
            f"run {runs} is not undone yet: fix what is listed and undo again to retry those files"
        )
    for run_id in result.given_up:
        print(
            f"nothing more of run {run_id} could be undone: the files left alone stay in DEST, "
            "and the next undo takes the run before it"
        )
    for run_id in result.still_incomplete:
        print(
            f"the undo of run {run_id} is still incomplete: an undo after this one retries the "
            "files it left in DEST"
        )


def _verify(args: argparse.Namespace) -> int:
    from engine.commands.preview import settled_copy
    from engine.commands.verify import verify

    dest = _existing_dest(args.dest)
    with settled_copy(dest) as (journal, pending):  # only looks: DEST and SOURCE stay as they are
        result = verify(dest, journal, pending)
    _print_verify(result)
    return EXIT_OK if result.ok else EXIT_FILE_ERRORS


def _print_verify(result: VerifyResult) -> None:
    kept = (
        f" and {result.originals} kept originals ({format_size(result.originals_bytes)})"
        if result.originals
        else ""
    )
    not_files = f", {len(result.not_files)} not files" if result.not_files else ""
    if result.unreadable:
        not_files += f", {len(result.unreadable)} unreadable"
    if result.placed_again:
        not_files += f", {len(result.placed_again)} gone and placed again"
    if result.moved:
        not_files += f", {len(result.moved)} moved within DEST"
    print(
        f"verified {result.checked} files{kept}: {len(result.missing)} missing, "
        f"{len(result.changed)} changed{not_files}"
    )
    for path in result.missing:
        source = result.only_copy.get(path)
        moved = f" (moved here from {source}: DEST held its only copy)" if source else ""
        target = result.dangling.get(path)
        if target is not None:
            moved = (
                f" (a symbolic link to {target}, which is not there: SOURCE moved or not mounted?)"
            )
        _listed(f"  missing: {path}{moved}")
    for path, (again, run_id) in result.placed_again.items():
        _listed(f"  gone, placed again: {path}: run {run_id} placed its bytes again at {again}")
    for path, now in result.moved.items():
        _listed(f"  moved: {path}: at {now} in DEST now (the same name and bytes)")
    for path in result.changed:
        _listed(f"  changed: {path}")
    for path, what in result.not_files:
        _listed(f"  not a file: {path}: {what} (DEST does not hold its bytes)")
    for path, why in result.unreadable:
        _listed(f"  unreadable: {path}: {why} (not checked: give imgorg access and verify again)")
    for lost in result.unplaced:
        where = (
            f"its source {lost.source} is still in SOURCE: run organize of that SOURCE again "
            "to place it"
            if lost.in_source
            else f"its source {lost.source} is not in SOURCE as that run read it either"
        )
        _listed(f"  not in DEST: {lost.dest}: an interrupted run was placing it; {where}")
    for path, source in result.pending:
        _listed(
            f"  not in DEST yet: {path}: an interrupted move left it in SOURCE ({source}); the "
            "next organize of that SOURCE, or undo, places it"
        )


def _finalize(args: argparse.Namespace) -> int:
    from engine.commands.finalize import delete_originals, finalizable
    from engine.commands.organize import existing_journal
    from engine.commands.verify import verify
    from engine.stages.recover import reconcile

    dest = _existing_dest(args.dest)
    with existing_journal(dest) as journal:
        reconcile(journal, dest)
        result = verify(dest, journal)
        found = finalizable(journal)
        # a kept original already gone (a finalize stopped midway) is what finalize deletes
        kept = set(found.paths)
        result.missing = [path for path in result.missing if path not in kept]
        if not result.ok:
            _print_verify(result)
            print("imgorg: finalize refused: verify fails, so the originals stay", file=sys.stderr)
            return EXIT_FILE_ERRORS
        if not found.paths:
            print("imgorg: no kept originals to delete")
            return EXIT_OK
        for path in found.paths:
            _listed(f"  {path}")
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
    "similar": _similar,
}


class _LogKept(logging.Handler):
    """Log records of the libraries (a callback loky could not run while a stopped pool shut
    down, say), kept for warnings.log instead of Python's last-resort print to stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {self.format(record)}\n")


@contextlib.contextmanager
def _warnings_kept_off_the_terminal(args: argparse.Namespace) -> Iterator[None]:
    """Library warnings and log records never reach the terminal. A file's own go into its
    note (the worker records them); worker processes ignore any others (PYTHONWARNINGS,
    inherited); the main process's are appended to the run's folder (DEST/.imgorg, or the
    plan's) as warnings.log."""
    ours = "PYTHONWARNINGS" not in os.environ
    if ours:
        os.environ["PYTHONWARNINGS"] = "ignore"
    logged = _LogKept()
    logging.getLogger().addHandler(logged)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            logging.getLogger().removeHandler(logged)
            if ours:
                os.environ.pop("PYTHONWARNINGS", None)
            folder = getattr(args, "out", None) if args.command == "plan" else None
            if folder is None and getattr(args, "dest", None):
                folder = os.path.join(args.dest, ".imgorg")
            if (caught or logged.lines) and folder and os.path.isdir(folder):
                with open(os.path.join(folder, "warnings.log"), "a", encoding="utf-8") as log:
                    log.writelines(
                        warnings.formatwarning(w.message, w.category, w.filename, w.lineno)
                        for w in caught
                    )
                    log.writelines(logged.lines)


@contextlib.contextmanager
def _names_escaped_on_stdout() -> Iterator[None]:
    """A name that is not UTF-8 (os.fsdecode's lone surrogates) is printed on stdout as Python
    prints it on stderr (``caf\\udce9.jpg``), not a UnicodeEncodeError halfway through a
    listing, where the locale makes stdout strict UTF-8."""
    stream = sys.stdout
    errors = getattr(stream, "errors", None)
    if errors != "strict" or not hasattr(stream, "reconfigure"):
        yield
        return
    stream.reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        stream.reconfigure(errors=errors)


# What stops a command, the line it ends with and its exit code; the first match wins.
# RunError covers SettingsError, DiskFull, BackendUnavailable and JournalError (engine.errors).
EXITS: tuple[tuple[type[BaseException], Callable[[BaseException], str], int], ...] = (
    (RunError, str, RunError.exit_code),
    (
        sqlite3.DatabaseError,
        lambda exc: (
            f"the journal in DEST cannot be read or written ({exc}); stopped. "
            "Run `imgorg verify DEST` to see where things stand"
        ),
        EXIT_CANNOT_RUN,
    ),
    (
        Terminated,
        lambda _: "terminated; run the same command again to resume",
        Terminated.exit_code,
    ),
    (
        KeyboardInterrupt,
        lambda _: "interrupted; run the same command again to resume",
        EXIT_INTERRUPTED,
    ),
)


def _lean_runtime() -> None:
    """The collector as the workers have it (``collect_rarely``); OpenBLAS (numpy, in the
    workers' signature code) would start a spinning thread per core in every worker: one is
    enough."""
    collect_rarely()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if importlib.util.find_spec("PIL") is None:  # found, not imported: the writer needs none
        print(NO_IMAGING, file=sys.stderr)
        return EXIT_CANNOT_RUN
    _lean_runtime()

    forget_stop()
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    previous_int = signal.signal(signal.SIGINT, stopping_with(KeyboardInterrupt))
    try:
        with _warnings_kept_off_the_terminal(args), _names_escaped_on_stdout():
            return _COMMANDS[args.command](args)
    except BaseException as exc:
        stop = next(((say, code) for kind, say, code in EXITS if isinstance(exc, kind)), None)
        if stop is None:
            raise
        stopped()
        print(f"imgorg: {stop[0](exc)}", file=sys.stderr)
        return stop[1]
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        forget_stop()


if __name__ == "__main__":
    sys.exit(main())
