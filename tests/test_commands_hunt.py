"""The commands and their reports as a user meets them after a migration: clear messages and
the documented exit codes where a path given to them cannot be used."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main

Organize = Callable[..., tuple[int, list[dict[str, Any]]]]


@pytest.fixture
def archive(tmp_path: Path, corpus: Path, organize: Organize) -> Path:
    """DEST after organizing two phone photos; returns DEST."""
    source = tmp_path / "src"
    (source / "album").mkdir(parents=True)
    for name in ("jolla.jpg", "HMD_Nokia_8.3_5G.jpg"):
        shutil.copy2(corpus / "phone" / name, source / "album" / name)
    dest = tmp_path / "dest"
    code, _lines = organize(source, dest)
    assert code == 0
    return dest


def test_report_out_that_is_a_folder_or_cannot_be_written_exits_2_with_a_message(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out in (folder, afile / "report.html"):
        assert main(["report", str(archive), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("imgorg: ") and str(out) in err and "Traceback" not in err
    assert os.listdir(folder) == [] and not (tmp_path / "reports.part").exists()


def test_similar_out_that_is_a_folder_exits_2_with_a_message(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("faiss")
    folder = tmp_path / "similar"
    folder.mkdir()
    assert main(["similar", str(archive), "--out", str(folder), "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("imgorg: ") and str(folder) in err


@pytest.fixture
def read_only_view(tmp_path: Path) -> Iterator[Callable[[Path], Path]]:
    """view(real): ``real`` mounted again, read-only; unmounted after the test."""
    mounted: list[Path] = []

    def view(real: Path) -> Path:
        if os.geteuid() != 0:
            pytest.skip("needs root to bind-mount a folder")
        there = tmp_path / f"{real.name}-read-only"
        there.mkdir()
        for args in (["--bind"], ["-o", "remount,bind,ro"]):
            done = subprocess.run(["mount", *args, str(real), str(there)], capture_output=True)
            if done.returncode:
                pytest.skip(f"cannot bind-mount here: {done.stderr.decode().strip()}")
            if not mounted:
                mounted.append(there)
            real = there
        return there

    yield view
    for there in mounted:
        subprocess.run(["umount", "-l", str(there)], check=False)


@pytest.mark.parametrize("command", ["report", "undo", "finalize"])
def test_a_command_on_a_read_only_dest_exits_2_saying_so(
    archive: Path, read_only_view: Callable[[Path], Path], command: str, capsys: Any
) -> None:
    dest = read_only_view(archive)
    assert main([command, str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("imgorg: ") and "read-only" in err.lower() and str(dest) in err


def test_verify_and_an_undo_dry_run_read_a_read_only_dest(
    archive: Path, read_only_view: Callable[[Path], Path], capsys: Any
) -> None:
    """They only look (a private copy of the journal): a DEST mounted read-only is read."""
    dest = read_only_view(archive)
    assert main(["verify", str(dest)]) == 0
    assert capsys.readouterr().out.startswith("verified 2 files: 0 missing, 0 changed")
    assert main(["undo", str(dest), "--dry-run"]) == 0
    assert "2 copies would be removed" in capsys.readouterr().out


def without_root_powers(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as root minus the capabilities that bypass file permissions."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv")
    bounding = "--bounding-set=-dac_override,-dac_read_search,-fowner"
    command = ["setpriv", bounding, sys.executable, "-m", "engine", *args]
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(command, cwd=root, capture_output=True, text=True)


def test_a_sidecar_that_ended_in_error_is_named_in_the_next_steps_even_when_quiet(
    tmp_path: Path, corpus: Path
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy2(corpus / "phone" / "jolla.jpg", source / "jolla.jpg")
    sidecar = source / "jolla.jpg.xmp"
    sidecar.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    sidecar.chmod(0o000)
    dest = tmp_path / "dest"
    log = dest / "error_log.log"
    for extra in ("--plain", "--quiet"):
        done = without_root_powers("organize", str(source), str(dest), extra)
        assert done.returncode == 1, done.stderr
        assert "jolla.jpg.xmp" in log.read_text()
        assert f"1 files ended in error: see {log}" in done.stderr, done.stderr
        if extra == "--quiet":
            assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr


@pytest.mark.parametrize("command", ["report", "verify", "undo", "finalize", "similar"])
def test_every_command_says_when_dest_is_missing_or_a_file(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing, afile = tmp_path / "missing", tmp_path / "afile"
    afile.write_text("not a folder")
    assert main([command, str(missing)]) == 2
    assert f"imgorg: DEST does not exist: {missing}" in capsys.readouterr().err
    assert main([command, str(afile)]) == 2
    assert f"imgorg: DEST is not a folder: {afile}" in capsys.readouterr().err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (b'mode = "move"\n[organize]\njobs = 1\n', "outside [organize]: mode"),
        (b"\xff\xfejobs = 1\n", "is not valid TOML"),
    ],
    ids=["a key beside the organize table", "not utf-8"],
)
def test_a_config_that_would_be_misread_exits_2_before_the_run(
    tmp_path: Path, corpus: Path, config: bytes, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy2(corpus / "phone" / "jolla.jpg", source / "jolla.jpg")
    path = tmp_path / "imgorg.toml"
    path.write_bytes(config)
    dest = tmp_path / "dest"
    assert main(["organize", str(source), str(dest), "--quiet", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"imgorg: config {path}") and says in err, err
    assert not dest.exists() and (source / "jolla.jpg").exists()


@pytest.mark.parametrize(
    "flags", [["--jobs", "-3"], ["--restore", "--set-aside"], ["--restore", "--refile"]]
)
def test_similar_refuses_flags_it_cannot_honour(
    archive: Path, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in archive.rglob("*"))
    try:
        code = main(["similar", str(archive), *flags])
    except SystemExit as stopped:  # argparse refuses a value of the wrong kind
        code = stopped.code
    assert code == 2
    err = capsys.readouterr().err
    assert "imgorg similar: error: argument --jobs" in err or "imgorg: similar --restore" in err
    assert sorted(p.name for p in archive.rglob("*")) == before


def test_names_that_are_not_utf8_are_printed_escaped_by_verify_undo_and_finalize(
    tmp_path: Path, corpus: Path, organize: Organize, capsys: pytest.CaptureFixture[str]
) -> None:
    """A terminal in a UTF-8 locale (stdout strict, as pytest's capture is) got a
    UnicodeEncodeError traceback where verify listed a file named in Latin-1."""
    source = tmp_path / "src"
    source.mkdir()
    for name in (b"caf\xe9.jpg", b"na\xefve.jpg"):
        shutil.copy2(corpus / "phone" / "jolla.jpg", os.path.join(bytes(source), name))
    (source / "other.jpg").write_bytes((corpus / "phone" / "HMD_Nokia_8.3_5G.jpg").read_bytes())
    dest = tmp_path / "dest"
    assert organize(source, dest, "--mode", "move")[0] == 0
    placed = [p for p in dest.rglob("*.jpg") if not p.name.isascii()]
    assert placed, sorted(dest.rglob("*"))
    placed[0].unlink()
    capsys.readouterr()
    for command in (["verify"], ["finalize"], ["undo"]):
        code = main([*command, str(dest)])
        out = capsys.readouterr().out
        assert "\\udce9" in out or "\\udcef" in out, out
        assert code == 1


def test_a_report_that_would_overwrite_a_photo_in_source_or_dest_or_the_journal_is_refused(
    tmp_path: Path, corpus: Path, organize: Organize, capsys: pytest.CaptureFixture[str]
) -> None:
    """--report SOURCE/album/jolla.jpg truncated the photo in copy mode; --report
    DEST/.imgorg/journal.sqlite destroyed the journal (undo and verify then impossible)."""
    source = tmp_path / "src"
    (source / "album").mkdir(parents=True)
    shutil.copy2(corpus / "phone" / "jolla.jpg", source / "album" / "jolla.jpg")
    dest = tmp_path / "dest"
    assert organize(source, dest)[0] == 0
    (placed,) = dest.rglob("jolla.jpg")
    photo = (source / "album" / "jolla.jpg").read_bytes()
    journal = (dest / ".imgorg" / "journal.sqlite").read_bytes()
    capsys.readouterr()
    for report in (
        source / "album" / "jolla.jpg",
        source / "report.jsonl",
        placed,
        dest / ".imgorg" / "journal.sqlite",
    ):
        assert main(["organize", str(source), str(dest), "-q", "--report", str(report)]) == 2
        assert f"imgorg: the report {report} lies inside " in capsys.readouterr().err
    assert main(["plan", str(source), str(dest), "-q", "--out", str(source / "plan")]) == 2
    assert "lies inside SOURCE" in capsys.readouterr().err
    assert main(["plan", str(source), str(dest), "-q", "--out", str(dest)]) == 2
    assert "lies inside DEST, which a plan never touches" in capsys.readouterr().err
    assert (source / "album" / "jolla.jpg").read_bytes() == photo == placed.read_bytes()
    assert (dest / ".imgorg" / "journal.sqlite").read_bytes() == journal
    assert sorted(p.name for p in source.rglob("*")) == ["album", "jolla.jpg"]
    # beside DEST's folders, in DEST itself, a report harms nothing
    assert main(["organize", str(source), str(dest), "-q", "--report", str(dest / "r.jsonl")]) == 0
    assert main(["verify", str(dest)]) == 0


def test_report_or_similar_out_over_the_journal_or_a_photo_is_refused(
    archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = archive / ".imgorg" / "journal.sqlite"
    placed = next(archive.rglob("jolla.jpg"))
    kept = {path: path.read_bytes() for path in (journal, placed)}
    for command in ("report", "similar"):
        for out in kept:
            assert main([command, str(archive), "--out", str(out)]) == 2
            assert "lies inside a folder of DEST" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in kept} == kept
    assert main(["verify", str(archive)]) == 0
    assert main(["report", str(archive), "--out", str(archive / "report.html")]) == 0


@pytest.mark.parametrize(
    "flags", [["--scheduler", "tcp://cluster:8786"], ["--path-map", "/data=/mnt/data"]]
)
def test_a_dask_only_flag_without_the_dask_backend_is_refused(
    tmp_path: Path, corpus: Path, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--scheduler without --backend dask ran on the local loky pool, saying nothing."""
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy2(corpus / "phone" / "jolla.jpg", source / "jolla.jpg")
    dest = tmp_path / "dest"
    assert main(["organize", str(source), str(dest), "--quiet", *flags]) == 2
    assert f"imgorg: {flags[0]} is for --backend dask" in capsys.readouterr().err
    assert not dest.exists()


def test_a_journal_of_a_newer_imgorg_is_left_alone_with_advice_to_use_that_imgorg(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Said before: 'Move the journal aside before running organize again' (the record undo
    needs, of runs a newer imgorg made, given up), and plan gave no advice at all."""
    path = archive / ".imgorg" / "journal.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    before = path.read_bytes()
    source = tmp_path / "src"
    plan = ["plan", str(source), str(archive), "--out", str(tmp_path / "plan"), "-q"]
    for argv in (["organize", str(source), str(archive), "-q"], plan, ["verify", str(archive)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "written by a newer imgorg (schema 99" in err and "run that imgorg" in err, err
        assert "aside" not in err
    assert path.read_bytes() == before


def test_an_empty_source_or_dest_is_refused_not_taken_as_the_current_folder(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """`imgorg organize "$SRC" "$DEST"` with one variable unset organized the current folder,
    or into it (in move mode, moving its photos away)."""
    here = tmp_path / "cwd"
    here.mkdir()
    shutil.copy2(corpus / "phone" / "jolla.jpg", here / "jolla.jpg")
    monkeypatch.chdir(here)
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    shutil.copy2(corpus / "phone" / "HMD_Nokia_8.3_5G.jpg", source / "a.jpg")
    for argv in (
        ["organize", "", str(dest), "--mode", "move", "-q"],
        ["organize", str(source), "", "-q"],
        ["plan", "", str(dest), "--out", str(tmp_path / "plan"), "-q"],
        ["plan", str(source), str(dest), "--out", "", "-q"],
        ["report", str(tmp_path), "--out", ""],
        ["verify", ""],
        ["undo", ""],
    ):
        assert main(argv) == 2, argv
        assert "is an empty path" in capsys.readouterr().err
    assert sorted(os.listdir(here)) == ["jolla.jpg"] and not dest.exists()


def test_finalize_stopped_after_deleting_an_original_is_finished_by_the_next_finalize(
    tmp_path: Path, corpus: Path, organize: Organize, capsys: pytest.CaptureFixture[str]
) -> None:
    """A finalize killed between unlinking a kept original and journaling it left verify
    failing on that original, so every later finalize was refused: the others stayed forever."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("Landscape_8.jpg", "Portrait_6.jpg"):
        shutil.copy2(corpus / "orientation" / name, source / name)
    dest = tmp_path / "dest"
    assert organize(source, dest, "--mode", "move")[0] == 0
    originals = sorted((dest / ".imgorg" / "originals").rglob("*.jpg"))
    assert len(originals) == 2
    placed = next(p for p in dest.rglob("Landscape_8.jpg") if ".imgorg" not in p.parts)
    kept = placed.read_bytes()
    placed.unlink()  # a placed photo missing still stops it
    assert main(["finalize", str(dest), "--yes"]) == 1
    assert originals[0].exists() and originals[1].exists()
    placed.write_bytes(kept)
    originals[0].unlink()  # what the killed finalize had done
    capsys.readouterr()
    assert main(["finalize", str(dest), "--yes"]) == 0, capsys.readouterr()
    assert "deleted 1 kept originals" in capsys.readouterr().out
    assert not originals[1].exists()
    assert main(["verify", str(dest)]) == 0


@pytest.fixture
def other_fs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs: a DEST on another filesystem than SOURCE."""
    path = tmp_path / "fs"
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(path)])
    if done.returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False)


def test_quiet_move_says_which_sources_it_could_not_remove(
    tmp_path: Path, corpus: Path, other_fs: Path
) -> None:
    """Exit 1 with nothing on the terminal: --quiet left out the one line saying why."""
    source = tmp_path / "src"
    (source / "locked").mkdir(parents=True)
    shutil.copy2(corpus / "phone" / "jolla.jpg", source / "locked" / "jolla.jpg")
    (source / "locked").chmod(0o555)
    dest = other_fs / "out"
    done = without_root_powers("organize", str(source), str(dest), "--mode", "move", "--quiet")
    (source / "locked").chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert "1 moved files are still in SOURCE too" in done.stderr, done.stderr
    assert (source / "locked" / "jolla.jpg").exists()


def _totals(page: Path) -> dict[str, str]:
    """The numbers of the page's 'DEST as it stands' section."""
    section = page.read_text().split('<section id="totals">', 1)[1].split("</section>", 1)[0]
    return dict(re.findall(r'data-total="([a-z_]+)" data-value="([0-9.]+)"', section))


def test_the_report_rebuilt_after_undo_counts_nothing_of_the_undone_runs(
    tmp_path: Path, corpus: Path, organize: Organize
) -> None:
    """The duplicates (and skipped, ignored files) of an undone run stayed on the page as
    'DEST as it stands': 2 duplicates of photos no longer in DEST, their bytes 'saved'."""
    source = tmp_path / "src"
    (source / "a").mkdir(parents=True)
    (source / "b").mkdir()
    for folder in ("a", "b"):
        shutil.copy2(corpus / "phone" / "jolla.jpg", source / folder / "jolla.jpg")
    shutil.copy2(corpus / "phone" / "HMD_Nokia_8.3_5G.jpg", source / "a" / "nokia.jpg")
    (source / "a" / "notes.txt").write_text("not a photo")
    dest = tmp_path / "dest"
    code, lines = organize(source, dest)
    assert code == 0
    assert sorted(x["status"] for x in lines) == ["duplicate", "ignored", "placed", "placed"]
    page = dest / ".imgorg" / "report.html"
    assert _totals(page)["duplicate"] == "1" and _totals(page)["files"] == "4"
    assert organize(source, dest)[0] == 0  # a re-run with nothing to do
    assert main(["undo", str(dest)]) == 0
    assert main(["report", str(dest)]) == 0
    totals = _totals(page)
    # the re-run's verdict on notes.txt stands: it is still left in SOURCE
    assert {key: totals[key] for key in ("files", "placed", "duplicate", "ignored")} == {
        "files": "1",
        "placed": "0",
        "duplicate": "0",
        "ignored": "1",
    }
    # a run after the undo counts again
    assert organize(source, dest)[0] == 0
    assert _totals(page)["duplicate"] == "1" and _totals(page)["files"] == "4"


def test_the_report_rebuilt_after_undo_says_which_runs_were_undone(
    archive: Path, tmp_path: Path
) -> None:
    """The header read '1 runs · last run 1 · copy · finished ...' and the last run's section
    its placed photos, as if nothing had been undone."""
    assert main(["organize", str(tmp_path / "src"), str(archive), "-q"]) == 0  # nothing to do
    assert main(["undo", str(archive)]) == 0
    assert main(["report", str(archive)]) == 0
    page = (archive / ".imgorg" / "report.html").read_text()
    header = page.split("<header>", 1)[1].split("</header>", 1)[0]
    assert "2 runs (1 undone) · last run 2 · copy" in header, header
    assert main(["undo", str(archive)]) == 0  # nothing left to undo: run 2 placed nothing
    assert main(["organize", str(tmp_path / "src"), str(archive), "-q"]) == 0
    assert main(["undo", str(archive)]) == 0
    assert main(["report", str(archive)]) == 0
    page = (archive / ".imgorg" / "report.html").read_text()
    header = page.split("<header>", 1)[1].split("</header>", 1)[0]
    assert "3 runs (2 undone) · last run 3 (undone) · copy" in header, header
