"""What a person sees on the terminal: the progress line, stage names, the plan of a dry run,
the summary and its next steps, flag suggestions, --version, and no library warnings."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from conftest import ROOT, imgorg, read_report, write_photo
from engine.cli import main, parser
from engine.records import Decision, Status
from engine.report.console import (
    PlainOutput,
    RichOutput,
    next_steps,
    plan_lines,
    print_plan,
    progress_figures,
)
from engine.report.summary import as_summary


def tiff_with_a_bad_tag(width: int = 300, height: int = 200) -> bytes:
    """A sound grey TIFF whose IPTC tag (33723, one value by the spec) holds four: Pillow warns
    "Metadata Warning, tag 33723 had too many entries" when it reads the tags."""
    pixels = bytes((x * 7 + y * 3) % 256 for y in range(height) for x in range(width))
    extra = struct.pack("<4I", 1, 2, 3, 4)
    count = 10
    extra_at = 8 + 2 + count * 12 + 4
    pixels_at = extra_at + len(extra)

    def entry(tag: int, kind: int, n: int, value: int) -> bytes:
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        return struct.pack("<HHI", tag, kind, n) + packed

    entries = [
        entry(256, 3, 1, width),
        entry(257, 3, 1, height),
        entry(258, 3, 1, 8),
        entry(259, 3, 1, 1),
        entry(262, 3, 1, 1),
        entry(273, 4, 1, pixels_at),
        entry(277, 3, 1, 1),
        entry(278, 3, 1, height),
        entry(279, 4, 1, len(pixels)),
        entry(33723, 4, 4, extra_at),
    ]
    header = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", count)
    return header + b"".join(entries) + b"\0\0\0\0" + extra + pixels


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, as a person runs it (worker processes write to its stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=cwd or ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )


# progress --------------------------------------------------------------------------------
def test_progress_figures_give_files_and_bytes_their_own_units() -> None:
    line = progress_figures(1234, 5678, 19_800_000, 103_800_000, 1.23)
    assert line.startswith("1,234/5,678 files  19.8/103.8 MB  ")
    assert "16.1 MB/s" in line
    assert line.endswith("ETA 5s")
    assert progress_figures(0, 10, 0, 1000, 0.0).endswith("ETA ?")


def test_the_bar_names_the_stage_and_fits_80_columns() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    out = RichOutput(console)
    out.stage("walk")
    out.progress.refresh()
    assert "walk" in screen.getvalue()
    out.start(25_666, 103_769_058)
    out.started -= 2.0  # two seconds in, the last redraw a while ago
    out.last -= 2.0
    out.advance(9_000, 19_839_304)
    out.progress.refresh()
    shown = screen.getvalue().splitlines()[-1]
    assert "analyse and place" in shown
    assert "9,000/25,666 files" in shown
    assert "19.8/103.8 MB" in shown
    assert "MB/s" in shown and "ETA" in shown
    assert "…" not in shown and "bytes" not in shown
    out.stage("tidy")
    out.progress.refresh()
    assert "tidy" in screen.getvalue().splitlines()[-1]
    out.progress.stop()


def test_a_run_names_each_stage_in_order(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for i in range(3):
        write_photo(tmp_path / "src" / f"p{i}.jpg", dt.datetime(2015, 1 + i, 2), seed=i)
    code = main(["organize", str(tmp_path / "src"), str(tmp_path / "dest"), "--plain", "-j", "1"])
    assert code == 0
    err = capsys.readouterr().err
    stages = [line for line in err.splitlines() if line.startswith("[")]
    names = list(dict.fromkeys(line[1:].split("]")[0] for line in stages))
    # tidy chooses folders before placement (engine/stages/tidy.py): no stage of its own
    assert names == ["walk", "analyse and place", "reports"]


# warnings ----------------------------------------------------------------------------------
def test_library_warnings_go_into_the_note_not_to_the_terminal(tmp_path: Path) -> None:
    src, dest, report = tmp_path / "src", tmp_path / "dest", tmp_path / "r.jsonl"
    src.mkdir()
    (src / "scan.tif").write_bytes(tiff_with_a_bad_tag())
    write_photo(src / "photo.jpg", dt.datetime(2012, 5, 6), seed=3)
    for extra in (["--quiet"], ["--plain"]):
        shutil.rmtree(dest, ignore_errors=True)
        done = run_cli(
            "organize", str(src), str(dest), "--min-size", "0", "--report", str(report), *extra
        )
        assert done.returncode == 0, done.stderr
        assert "UserWarning" not in done.stderr and "too many entries" not in done.stderr
        if extra == ["--quiet"]:
            assert done.stderr == "" and done.stdout == ""
    notes = {line["source"]: line["note"] for line in read_report(report)}
    assert "tag 33723 had too many entries" in (notes["scan.tif"] or "")
    assert notes["photo.jpg"] is None


# dry run -----------------------------------------------------------------------------------
def test_dry_run_prints_the_plan_grouped_by_folder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_photo(src / "Trip/a.jpg", dt.datetime(2014, 7, 1), seed=1)
    data = write_photo(src / "Trip/b.jpg", dt.datetime(2014, 7, 2), seed=2)
    (src / "Trip/b copy.jpg").write_bytes(data)
    write_photo(src / "Scans/old.jpg", None, seed=4)
    (src / "Scans/notes.txt").write_text("hello")
    done = run_cli("organize", str(src), str(tmp_path / "dest"), "--dry-run", "--min-size", "0")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    start = lines.index("Scans/")
    assert lines[start : start + 5] == [
        "Scans/",
        "  notes.txt  ignored (not an image type (.txt))",
        "  old.jpg → NoDate/Scans/old.jpg  placed",
        "Trip/",
        "  a.jpg → 2014/Trip/a.jpg  placed",
    ]
    pair = sorted(lines[start + 5 : start + 7])
    kept = "b copy.jpg" if pair[0].endswith("placed") else "b.jpg"
    other = "b.jpg" if kept == "b copy.jpg" else "b copy.jpg"
    assert (
        sorted([f"  {kept} → 2014/Trip/{kept}  placed", f"  {other}  duplicate (of Trip/{kept})"])
        == pair
    )
    assert not (tmp_path / "dest").exists()


def test_a_long_plan_is_capped_and_says_where_the_rest_is() -> None:
    decisions = [
        Decision(
            f"F{i // 10}/img{i:03d}.jpg", Status.PLACED, dest=f"2020/F{i // 10}/img{i:03d}.jpg"
        )
        for i in range(100)
    ]
    seen: list[str] = []

    class Collect(PlainOutput):
        def message(self, text: str) -> None:
            seen.append(text)

    print_plan(Collect(), plan_lines(decisions), 40, "/tmp/plan.jsonl")
    assert len(seen) == 41
    assert seen[0] == "F0/" and seen[1] == "  img000.jpg → 2020/F0/img000.jpg  placed"
    shown = sum(1 for line in seen[:40] if not line.endswith("/"))
    assert seen[-1] == f"… and {100 - shown} more files: the full plan is in /tmp/plan.jsonl"


# summary -----------------------------------------------------------------------------------
def summary(**extra: Any) -> dict[str, Any]:
    base = {
        "files": 210,
        "counts": {"placed": 10, "duplicate": 1, "corrupt": 0, "skipped": 193, "ignored": 3},
        "companions": {},
        "years": {"2011": 4, "2012": 6},
        "bytes_in": 10_000_000,
        "bytes_out": 9_000_000,
        "compressed": 1,
        "bytes_saved": 1_000_000,
        "seconds": 2.0,
        "files_per_second": 105.0,
        "imaging": "pillow-simd 12.1.1.post0",
        "backend": "loky",
        "workers": 2,
        "skipped_small": 193,
        "min_size": 50_000,
    }
    base["counts"]["error"] = 3
    return base | extra


def test_rich_summary_says_each_number_once_and_ends_with_next_steps() -> None:
    screen = io.StringIO()
    out = RichOutput(Console(file=screen, force_terminal=False, width=100))
    out.finish(summary(error_log="/dest/error_log.log", html="/dest/.imgorg/report.html"))
    text = screen.getvalue()
    assert "per year:" not in text and "files: 210" not in text
    assert text.count("193") == 2  # the table's skipped row, and the next step
    lines = text.rstrip().splitlines()
    assert lines[-3:] == [
        "HTML report: /dest/.imgorg/report.html",
        "next: 3 files ended in error: see /dest/error_log.log",
        "next: 193 photos were skipped as smaller than 50.0 KB: --min-size 0 takes them",
    ]


def test_a_real_run_suggests_min_size_zero(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "src"
    write_photo(src / "big.jpg", dt.datetime(2010, 1, 1), size=(900, 700), seed=1)
    write_photo(src / "tiny.jpg", None, size=(40, 30), seed=2)  # no camera date
    assert main(["organize", str(src), str(tmp_path / "d"), "--plain", "--min-size", "5KB"]) == 0
    err = capsys.readouterr().err
    assert "next: 1 photo was skipped as smaller than 5.0 KB: --min-size 0 takes them" in err


# flags and folders -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("--dry-rnu", "--dry-run"),
        ("--min-szie", "--min-size"),
        ("--nodate-foldr=X", "--nodate-folder"),
    ],
)
def test_a_mistyped_flag_gets_the_nearest_one(
    typo: str, meant: str, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["organize", "a", "b", typo])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"unrecognized arguments: {typo}" in err
    assert f"{typo.split('=')[0]}: did you mean {meant}?" in err


def test_a_flag_of_another_command_is_named_as_such(capsys: pytest.CaptureFixture) -> None:
    """``imgorg undo DEST --quiet``: undo has no --quiet; not "did you mean --quiet?"."""
    with pytest.raises(SystemExit) as stop:
        main(["undo", "d", "--quiet"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "did you mean" not in err
    assert "--quiet is an option of imgorg organize" in err and "imgorg undo" not in err


@pytest.mark.parametrize("command", ["verify", "undo", "report"])
def test_a_missing_dest_is_named(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    missing = tmp_path / "no such folder"
    assert main([command, str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"imgorg: DEST does not exist: {missing}"


def test_version_names_the_imaging_library_and_simd(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out.strip()
    assert re.fullmatch(
        r"imgorg \d+\.\d+\.\d+ \((pillow-simd \S+, SIMD in use|pillow \S+, no SIMD \(stock Pillow\))\)",
        out,
    ), out


def test_no_imaging_library_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "from engine.cli import main\n"
        f"sys.exit(main(['organize', {str(tmp_path / 'src')!r}, {str(tmp_path / 'd')!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "pip install Pillow" in done.stderr


def test_extensions_help_and_readme_show_the_real_defaults() -> None:
    from engine.stages.walk import DEFAULT_EXTENSIONS

    helptext = " ".join(
        parser()._subparsers._group_actions[0].choices["organize"].format_help().split()
    )  # type: ignore[union-attr]
    joined = helptext.replace(" ", "")  # argparse may wrap inside an extension
    assert ",".join(DEFAULT_EXTENSIONS) in joined
    assert ".heic" in joined and ".avif" in joined and ".cr2" in joined
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `--extensions"))
    assert ",".join(DEFAULT_EXTENSIONS) in row


def test_next_steps_suggest_only_the_date_flags_not_in_use() -> None:
    summary = {
        "counts": {"placed": 3},
        "undated": 2,
        "settings": {"date_from_folder": True, "date_from_mtime": False},
    }
    (step,) = next_steps(as_summary(summary))
    assert step == "next: 2 photos have no date: --date-from-mtime may date them"


def test_a_photo_dated_only_by_an_unset_camera_clock_is_a_next_step(
    tmp_path: Path, corpus: Path
) -> None:
    """A Sony whose clock was never set (2007-01-01 00:00:00, nothing else dating it): the run
    says so at its end, where the user looks for what to check."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(corpus / "odd_dates" / "Sony_DSLR-A200.jpg", src / "DSC00001.JPG")
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", src / "IMG_0001.JPG")
    code, out = imgorg("organize", str(src), str(tmp_path / "dest"), "--jobs", "1")
    assert code == 0, out
    assert (
        "next: 1 photo was dated by a camera clock that was never set (1 January, just after "
        "midnight) and nothing else dates it: the report names it (date source clock-default)"
    ) in " ".join(out.split())


def test_a_library_log_record_goes_to_warnings_log_not_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """loky logs a traceback when a callback fails while a stopped pool shuts down (a placer
    or a worker died): Python would print it to stderr; the run's warnings.log keeps it."""
    import argparse
    import logging

    from engine import cli

    dest = tmp_path / "dest"
    (dest / ".imgorg").mkdir(parents=True)
    args = argparse.Namespace(command="organize", dest=str(dest))
    with cli._warnings_kept_off_the_terminal(args):
        try:
            raise ValueError("the pool is shut down")
        except ValueError:
            logging.getLogger("concurrent.futures").exception("exception calling callback")
    assert capsys.readouterr().err == ""
    kept = (dest / ".imgorg" / "warnings.log").read_text()
    assert "exception calling callback" in kept and "the pool is shut down" in kept


def test_a_plan_says_to_run_organize_and_a_dry_run_to_drop_the_flag(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_photo(src / "a.jpg", dt.datetime(2014, 7, 1), seed=1)
    write_photo(src / "b.jpg", None, seed=2)
    dest, out = tmp_path / "dest", tmp_path / "plan"
    done = run_cli("plan", str(src), str(dest), "--out", str(out), "--min-size", "0")
    assert done.returncode == 0, done.stderr
    assert "next: run `imgorg organize` with the same SOURCE, DEST and flags to do it" in (
        done.stderr
    )
    assert "--dry-run" not in done.stderr  # plan has no such flag
    assert "next: 1 photo has no date:" in done.stderr
    done = run_cli("organize", str(src), str(dest), "--dry-run", "--min-size", "0")
    assert "next: run the same command without --dry-run to do it" in done.stderr


def test_a_dry_run_shows_each_folder_once(tmp_path: Path) -> None:
    """A folder's files come together under one heading, whatever sorts between them in byte
    order (``Backup/`` sorts between ``.DS_Store`` and ``Canon.jpg``)."""
    src = tmp_path / "src"
    (src / "Backup" / "deep").mkdir(parents=True)
    (src / ".DS_Store").write_bytes(b"\0" * 64)
    write_photo(src / "Backup/x.jpg", dt.datetime(2011, 1, 2), seed=1)
    write_photo(src / "Backup/deep/y.jpg", dt.datetime(2011, 1, 3), seed=2)
    write_photo(src / "Backup/z.jpg", dt.datetime(2011, 1, 4), seed=3)
    write_photo(src / "Canon.jpg", dt.datetime(2012, 1, 2), seed=4)
    write_photo(src / "caf\u00e9/\u00e9t\u00e9.jpg", dt.datetime(2013, 1, 2), seed=5)
    done = run_cli("organize", str(src), str(tmp_path / "dest"), "--dry-run", "--min-size", "0")
    assert done.returncode == 0, done.stderr
    headings = [line for line in done.stderr.splitlines() if line.endswith("/")]
    assert headings == ["./", "Backup/", "Backup/deep/", "caf\u00e9/"]


def test_every_test_the_readme_names_exists() -> None:
    """The Safety table (and the rest of README.md) names, for each guarantee, the test that
    would fail without it: a renamed or deleted test leaves the guarantee with no proof."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named: list[tuple[str, str]] = []
    for line in readme.splitlines():
        last = None
        for file, name in re.findall(r"`(tests/test_\w+\.py)?(?:::(\w+\*?))?`", line):
            last = file or last
            if name and last is not None:
                named.append((last, name))
    assert len(named) > 100
    missing = []
    for file, name in named:
        source = (ROOT / file).read_text(encoding="utf-8") if (ROOT / file).exists() else ""
        stem = name.removesuffix("*")
        ending = "" if name.endswith("*") else r"\("
        if not re.search(rf"^def {stem}{ending}", source, re.M):
            missing.append(f"{file}::{name}")
    assert missing == []
