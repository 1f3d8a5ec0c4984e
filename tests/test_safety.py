"""No photo is ever lost: undo, verify, locks, a full disk, unreadable and changing files."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, read_report, tree_digest, write_photo
from engine.cli import main

D2015 = dt.datetime(2015, 6, 7, 8, 9, 10)


def small_archive(root: Path, n: int = 12) -> None:
    for i in range(n):
        write_photo(
            root / f"f{i % 3}" / f"p{i}.jpg", dt.datetime(2010 + i % 4, 1, 1), seed=i, size=(96, 64)
        )
    shutil.copyfile(root / "f0" / "p0.jpg", root / "f1" / "copy.jpg")


def test_undo_copy_mode_removes_only_unchanged_copies(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    small_archive(src)
    before = tree_digest(src)
    _, report = organize(src, dest, "--min-size", "0")
    placed = [x for x in report if x["dest"]]
    changed = dest / placed[0]["dest"]
    changed.write_bytes(b"edited by the user")
    assert main(["undo", str(dest)]) == 1  # one file left alone
    remaining = {p for p in tree_digest(dest) if not p.startswith(".imgorg")}
    assert remaining == {placed[0]["dest"]}
    assert tree_digest(src) == before
    assert main(["undo", str(dest)]) == 0  # nothing more to undo
    # the undone files are organized again by the next run
    code, again = organize(src, dest, "--min-size", "0")
    assert code == 0
    assert {x["dest"] for x in again if x["dest"]} - {placed[0]["dest"]} == {
        x["dest"] for x in placed
    } - {placed[0]["dest"]} | {
        x["dest"] for x in again if x["dest"] and x["dest"] != placed[0]["dest"]
    }


def test_undo_move_mode_puts_every_file_back(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    small_archive(src)
    before = tree_digest(src)
    code, _report = organize(
        src, dest, "--min-size", "0", "--mode", "move", "--no-compress", "--fix-orientation", "none"
    )
    assert code == 0
    assert not [p for p in tree_digest(src)], "move mode moves every image"
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
    assert {p for p in tree_digest(dest) if not p.startswith(".imgorg")} == set()


def test_verify_reports_missing_and_changed(tmp_path: Path, organize, capsys) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    small_archive(src)
    _, report = organize(src, dest, "--min-size", "0")
    assert main(["verify", str(dest)]) == 0
    placed = [x["dest"] for x in report if x["dest"]]
    (dest / placed[0]).unlink()
    (dest / placed[1]).write_bytes(b"bit rot")
    capsys.readouterr()
    assert main(["verify", str(dest)]) == 1
    out = capsys.readouterr().out
    assert f"missing: {placed[0]}" in out
    assert f"changed: {placed[1]}" in out


def test_a_second_run_on_the_same_dest_is_refused(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    small_archive(src, 3)
    (dest / ".imgorg").mkdir(parents=True)
    with open(dest / ".imgorg" / "lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert organize(src, dest, "--min-size", "0")[0] == 2
    assert organize(src, dest, "--min-size", "0")[0] == 0


def mount_tmpfs(path: Path, size: str) -> Path:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    return path


@pytest.fixture
def small_fs(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = mount_tmpfs(tmp_path / "fs", "24m")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False)


def test_not_enough_space_is_refused_up_front(
    tmp_path: Path, small_fs: Path, organize, capsys
) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    for i in range(3):
        write_photo(src / f"p{i}.jpg", D2015, size=(1600, 1200), seed=i, quality=98)
    subprocess.run(["mount", "-o", "remount,size=18m", str(small_fs)], check=True)
    capsys.readouterr()
    assert organize(src, small_fs / "out", "--min-size", "0")[0] == 2
    assert "not enough free space" in capsys.readouterr().err


def test_disk_fills_mid_run_then_resumes(tmp_path: Path, small_fs: Path, organize, capsys) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    for i in range(14):  # ~18 MB of photos for ~8 MB of usable space (16 MB stay in reserve)
        write_photo(src / f"p{i}.jpg", D2015, size=(1600, 1200), seed=i, quality=98)
    before = tree_digest(src)
    dest = small_fs / "out"
    capsys.readouterr()
    code, _ = organize(
        src, dest, "--min-size", "0", "--no-space-check", "--no-compress", "--jobs", "1"
    )
    assert code == 2
    assert "full" in capsys.readouterr().err
    partial = {p for p in tree_digest(dest) if not p.startswith(".imgorg")}
    assert 0 < len(partial) < 14
    assert not [p for p in partial if ".imgorg-tmp" in p]
    assert tree_digest(src) == before
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
    code, report = organize(src, dest, "--min-size", "0", "--no-compress", "--jobs", "1")
    assert code == 0
    assert {x["status"] for x in report} == {"placed"}
    placed = tree_digest(dest)
    for line in report:
        assert placed[line["dest"]][0] == before[line["source"]][0]


def test_file_changed_or_deleted_after_analysis_is_an_error_and_the_rest_continues(
    tmp_path: Path,
) -> None:
    from engine.policy.naming import Layout
    from engine.records import Candidate, Status
    from engine.stages.analyse import WorkerOptions, analyze
    from engine.stages.decide import Coordinator, Folders
    from engine.stages.place import Placer
    from engine.store.dest_view import JournalView
    from engine.store.journal import Journal

    src, dest = tmp_path / "src", tmp_path / "out"
    write_photo(src / "a.jpg", D2015, seed=1)
    write_photo(src / "b.jpg", D2015, seed=2, size=(80, 60))
    write_photo(src / "c.jpg", D2015, seed=3, size=(70, 60))
    dest.mkdir()
    candidates = [
        Candidate(n, (src / n).stat().st_size, (src / n).stat().st_mtime_ns)
        for n in ("a.jpg", "b.jpg", "c.jpg")
    ]
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
    view = JournalView(journal, str(src), str(dest), run_id)
    coordinator = Coordinator(
        str(src), str(dest), view, candidates, Folders(Layout.NESTED, "C", "N", "D"), move=False
    )
    placer = Placer(str(src), str(dest), journal, run_id)
    decisions = [
        d for c in candidates for d in coordinator.accept(analyze(str(src), c, WorkerOptions()))
    ]
    (src / "a.jpg").write_bytes((src / "a.jpg").read_bytes()[:-10] + b"edited....")
    (src / "c.jpg").unlink()
    placer.add(decisions)
    placer.flush()
    rows = {d.rel: d for d in journal.decisions(run_id, str(src))}
    assert rows["a.jpg"].status is Status.ERROR and "changed" in (rows["a.jpg"].reason or "")
    assert rows["b.jpg"].status is Status.PLACED
    assert (
        rows["c.jpg"].status is Status.ERROR
        and rows["c.jpg"].reason == "vanished from SOURCE during the run"
    )
    assert (dest / "2015" / "b.jpg").exists() and not (dest / "2015" / "a.jpg").exists()


def without_root_powers(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the engine as root minus the capabilities that bypass file permissions."""
    command = [
        "setpriv",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
        sys.executable,
        "-m",
        "engine",
        *args,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv"
)
def test_permissions_unreadable_file_and_read_only_dest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_photo(src / "ok.jpg", D2015, seed=1)
    write_photo(src / "secret.jpg", D2015, seed=2)
    (src / "secret.jpg").chmod(0o000)
    locked = src / "locked"
    write_photo(locked / "inside.jpg", D2015, seed=3)
    locked.chmod(0o000)
    dest = tmp_path / "out"
    done = without_root_powers(
        "organize",
        str(src),
        str(dest),
        "--min-size",
        "0",
        "--quiet",
        "--report",
        str(tmp_path / "r.jsonl"),
    )
    assert done.returncode == 1, done.stderr
    lines = {x["source"]: x for x in read_report(tmp_path / "r.jsonl")}
    assert lines["ok.jpg"]["status"] == "placed"
    assert lines["secret.jpg"]["status"] == "error"
    assert "cannot read" in lines["secret.jpg"]["reason"]
    assert lines["locked"]["status"] == "error"
    assert "cannot list" in lines["locked"]["reason"]
    assert "secret.jpg" in (dest / "error_log.log").read_text()
    # a DEST the user cannot write to stops the run before anything happens
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    done = without_root_powers("organize", str(src), str(readonly / "out"), "--quiet")
    assert done.returncode == 2
    assert "not writable" in done.stderr
    # a year folder the user cannot write to: per-file errors, the rest is placed
    dest2 = tmp_path / "out2"
    (dest2 / "2015").mkdir(parents=True)
    (dest2 / "2015").chmod(0o555)
    write_photo(src / "other/y2010.jpg", dt.datetime(2010, 1, 1), seed=4)
    done = without_root_powers(
        "organize",
        str(src),
        str(dest2),
        "--min-size",
        "0",
        "--quiet",
        "--report",
        str(tmp_path / "r2.jsonl"),
    )
    assert done.returncode == 1, done.stderr
    lines = {x["source"]: x for x in read_report(tmp_path / "r2.jsonl")}
    assert lines["ok.jpg"]["status"] == "error" and "cannot write" in lines["ok.jpg"]["reason"]
    assert lines["other/y2010.jpg"]["status"] == "placed"


def test_file_replaced_between_analysis_and_move_is_an_error_never_a_wrong_placement(
    tmp_path: Path,
) -> None:
    """#12.3: same size, same mtime, new bytes; replaced (new inode) or rewritten in place."""
    from engine.policy.naming import Layout
    from engine.records import Candidate, Status
    from engine.stages.analyse import WorkerOptions, analyze
    from engine.stages.decide import Coordinator, Folders
    from engine.stages.place import Placer
    from engine.store.dest_view import JournalView
    from engine.store.journal import Journal

    src, dest = tmp_path / "src", tmp_path / "out"
    original = write_photo(src / "a.jpg", D2015, seed=1)
    shutil.copyfile(src / "a.jpg", src / "twin.jpg")
    write_photo(src / "b.jpg", D2015, seed=2, size=(80, 60))
    write_photo(src / "c.jpg", D2015, seed=3, size=(70, 60))
    dest.mkdir()
    names = ("a.jpg", "twin.jpg", "b.jpg", "c.jpg")
    candidates = [
        Candidate(n, (src / n).stat().st_size, (src / n).stat().st_mtime_ns) for n in names
    ]
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "move", False, {})
    view = JournalView(journal, str(src), str(dest), run_id)
    coordinator = Coordinator(
        str(src), str(dest), view, candidates, Folders(Layout.NESTED, "C", "N", "D"), move=True
    )
    decisions = [
        d for c in candidates for d in coordinator.accept(analyze(str(src), c, WorkerOptions()))
    ]
    assert {d.rel: d.status for d in decisions}["twin.jpg"] is Status.DUPLICATE

    def same_size_same_mtime(path: Path, data: bytes, in_place: bool) -> None:
        st = path.stat()
        assert len(data) == st.st_size
        if in_place:
            path.write_bytes(data)
        else:
            (path.parent / "new").write_bytes(data)
            os.replace(path.parent / "new", path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    other = original[:-200] + bytes(200)
    same_size_same_mtime(src / "twin.jpg", other, in_place=False)
    b_new = (src / "b.jpg").read_bytes()[:-100] + bytes(100)
    same_size_same_mtime(src / "b.jpg", b_new, in_place=True)
    placer = Placer(str(src), str(dest), journal, run_id)
    placer.add(decisions)
    placer.flush()
    rows = {d.rel: d for d in journal.decisions(run_id, str(src))}
    for name, now in (("twin.jpg", other), ("b.jpg", b_new)):
        assert rows[name].status is Status.ERROR, rows[name]
        assert "changed since it was analysed" in (rows[name].reason or "")
        assert (src / name).read_bytes() == now
    assert rows["a.jpg"].status is Status.PLACED and rows["c.jpg"].status is Status.PLACED
    assert (dest / "2015" / "a.jpg").read_bytes() == original
    assert not list(dest.rglob("twin*")) and not (dest / "2015" / "b.jpg").exists()
    assert sorted(p.name for p in src.iterdir()) == ["b.jpg", "twin.jpg"]


@pytest.fixture
def bind_mount(tmp_path: Path):  # type: ignore[no-untyped-def]
    """bind(real, view): mount ``real`` again at ``view``; unmounted after the test."""
    mounted: list[Path] = []

    def bind(real: Path, view: Path) -> Path:
        if os.geteuid() != 0:
            pytest.skip("needs root to bind-mount a folder")
        view.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "--bind", str(real), str(view)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot bind-mount here: {done.stderr.decode().strip()}")
        mounted.append(view)
        return view

    yield bind
    for view in reversed(mounted):
        subprocess.run(["umount", "-l", str(view)], check=False)


@pytest.mark.parametrize("mounted", ["whole SOURCE", "one subfolder"])
def test_move_between_bind_mounts_of_one_filesystem_copies_verifies_then_removes(
    tmp_path: Path, organize, bind_mount, mounted: str
) -> None:  # type: ignore[no-untyped-def]
    """#12.6: a rename between two mounts of one filesystem fails with EXDEV. SOURCE seen
    through a bind mount is found up front; a bind-mounted subfolder only at its renames."""
    real, dest = tmp_path / "real", tmp_path / "out"
    small_archive(real / "archive", 6)
    write_photo(tmp_path / "album" / "inner.jpg", D2015, seed=40)
    write_photo(tmp_path / "album" / "inner2.jpg", D2015, seed=41)
    bind_mount(tmp_path / "album", real / "archive" / "album")
    if mounted == "whole SOURCE":
        src = bind_mount(real / "archive", tmp_path / "view")
        bind_mount(tmp_path / "album", src / "album")
    else:
        src = real / "archive"
    before = tree_digest(src)
    assert "album/inner.jpg" in before
    flags = ("--min-size", "0", "--mode", "move", "--no-compress", "--fix-orientation", "none")
    code, report = organize(src, dest, *flags)
    assert code == 0, [x for x in report if x["status"] == "error"]
    assert not [p for p in tree_digest(src)], "every photo left SOURCE"
    placed = tree_digest(dest)
    for line in report:
        assert line["status"] in ("placed", "duplicate")
        assert placed[line["dest"]][0] == before[line["source"]][0]
    assert main(["undo", str(dest)]) == 0
    assert {p: h for p, (h, _) in tree_digest(src).items()} == {
        p: h for p, (h, _) in before.items()
    }


def test_a_companion_that_cannot_be_placed_is_an_error_logged_with_exit_1(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """#12.7: a sidecar added to SOURCE after its photo was placed, whose name beside the
    placed photo holds a different file of the user's, cannot be placed (by a copy run: a move
    run, taking the photo out of SOURCE, gives it a suffix, tests/test_release_review.py)."""
    src, dest = tmp_path / "src", tmp_path / "out"
    write_photo(src / "a" / "IMG_1.jpg", D2015, seed=1)
    write_photo(src / "b" / "IMG_2.jpg", D2015, seed=2)
    assert organize(src, dest, "--min-size", "0")[0] == 0
    (dest / "2015" / "a" / "IMG_1.jpg.xmp").write_text("the user's own notes")
    (src / "a" / "IMG_1.jpg.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/">1')
    code, report = organize(src, dest, "--min-size", "0", "--no-compress")
    assert code == 1
    errors = [x for x in report if x["status"] == "error"]
    assert [x["source"] for x in errors] == ["a/IMG_1.jpg.xmp"], report
    assert errors[0]["companion_of"] == "a/IMG_1.jpg"
    assert (src / "a" / "IMG_1.jpg.xmp").exists(), "an unplaced companion stays in SOURCE"
    assert (dest / "2015" / "a" / "IMG_1.jpg.xmp").read_text() == "the user's own notes"
    assert "a/IMG_1.jpg.xmp" in (dest / "error_log.log").read_text()


def test_move_from_a_read_only_source_is_refused_up_front(
    tmp_path: Path, organize, bind_mount, capsys
) -> None:  # type: ignore[no-untyped-def]
    """#12.9: move mode from a read-only SOURCE would silently become a copy."""
    real = tmp_path / "real"
    small_archive(real, 3)
    before = tree_digest(real)
    src = bind_mount(real, tmp_path / "view")
    done = subprocess.run(["mount", "-o", "remount,bind,ro", str(src)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make a bind mount read-only: {done.stderr.decode().strip()}")
    capsys.readouterr()
    code, _ = organize(src, tmp_path / "out", "--min-size", "0", "--mode", "move")
    assert code == 2
    assert "read-only filesystem" in capsys.readouterr().err
    assert not (tmp_path / "out" / "2010").exists()
    assert organize(src, tmp_path / "out", "--min-size", "0")[0] == 0, "copy mode is fine"
    assert tree_digest(real) == before


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv"
)
def test_move_reports_every_source_it_could_not_remove(tmp_path: Path, small_fs: Path) -> None:
    """#12.9: a subfolder where unlink is not permitted; DEST on another filesystem, so each
    file is copied, verified, and its source then cannot be removed."""
    src, dest = tmp_path / "src", small_fs / "out"
    write_photo(src / "free" / "a.jpg", D2015, seed=1)
    write_photo(src / "locked" / "b.jpg", D2015, seed=2)
    write_photo(src / "locked" / "c.jpg", D2015, seed=3)
    (src / "locked").chmod(0o555)
    report = tmp_path / "r.jsonl"
    args = ("organize", str(src), str(dest), "--min-size", "0", "--mode", "move", "--no-compress")
    done = without_root_powers(*args, "--report", str(report))
    assert done.returncode == 1, done.stderr
    assert "2 moved files are still in SOURCE too" in done.stdout + done.stderr
    lines = {x["source"]: x for x in read_report(report)}
    assert {x["status"] for x in lines.values()} == {"placed"}
    for name in ("locked/b.jpg", "locked/c.jpg"):
        assert "its source was not removed" in lines[name]["note"]
        assert (src / name).exists() and (dest / lines[name]["dest"]).exists()
        assert name in (dest / "error_log.log").read_text()
    assert not (src / "free" / "a.jpg").exists()
    # the root of SOURCE itself locked: refused before anything happens
    (src / "locked").chmod(0o755)
    src.chmod(0o555)
    done = without_root_powers(*args)
    src.chmod(0o755)
    assert done.returncode == 2
    assert "not writable by this user" in done.stderr


def test_source_replaced_after_its_copy_is_placed_is_not_removed(
    tmp_path: Path, small_fs: Path
) -> None:
    """#12.3, across filesystems: the source is replaced (same size and mtime, new bytes) after
    its copy is placed and before it is removed; the new bytes must stay in SOURCE."""
    from engine.policy.naming import Layout
    from engine.records import Candidate, Status
    from engine.stages.analyse import WorkerOptions, analyze
    from engine.stages.decide import Coordinator, Folders
    from engine.stages.place import Placer
    from engine.store.dest_view import JournalView
    from engine.store.journal import Journal

    src, dest = tmp_path / "src", small_fs / "out"
    original = write_photo(src / "a.jpg", D2015, seed=1)
    write_photo(src / "b.jpg", D2015, seed=2, size=(80, 60))
    dest.mkdir()
    replaced = original[:-100] + bytes(100)

    class ReplacedBeforeRemoval(Placer):
        def _remove_sources(self, done):  # type: ignore[no-untyped-def]
            st = (src / "a.jpg").stat()
            (src / "new").write_bytes(replaced)
            os.replace(src / "new", src / "a.jpg")
            os.utime(src / "a.jpg", ns=(st.st_atime_ns, st.st_mtime_ns))
            super()._remove_sources(done)

    candidates = [
        Candidate(n, (src / n).stat().st_size, (src / n).stat().st_mtime_ns)
        for n in ("a.jpg", "b.jpg")
    ]
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "move", False, {})
    view = JournalView(journal, str(src), str(dest), run_id)
    coordinator = Coordinator(
        str(src), str(dest), view, candidates, Folders(Layout.NESTED, "C", "N", "D"), move=True
    )
    placer = ReplacedBeforeRemoval(str(src), str(dest), journal, run_id)
    placer.add(
        [d for c in candidates for d in coordinator.accept(analyze(str(src), c, WorkerOptions()))]
    )
    placer.flush()
    rows = {d.rel: d for d in journal.decisions(run_id, str(src))}
    assert rows["a.jpg"].status is Status.PLACED and rows["a.jpg"].action == "move-copy"
    assert "source was not removed" in (rows["a.jpg"].note or "")
    assert (src / "a.jpg").read_bytes() == replaced
    assert (dest / "2015" / "a.jpg").read_bytes() == original
    assert not (src / "b.jpg").exists() and (dest / "2015" / "b.jpg").exists()


def test_duplicate_of_a_rotated_photo_is_journaled_with_its_own_bytes(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """The keeper is placed rotated (new bytes); its twin goes to Duplicates/ as it is, so the
    journal must hold the twin's own hash: verify and undo check the file by it."""
    src, dest = tmp_path / "src", tmp_path / "out"
    write_photo(src / "a.jpg", D2015, orientation=6, seed=1, size=(96, 64))
    (src / "b").mkdir()
    shutil.copyfile(src / "a.jpg", src / "b" / "a.jpg")
    before = tree_digest(src)
    code, report = organize(src, dest, "--min-size", "0", "--mode", "move")
    (kept,) = [x for x in report if x["status"] == "placed"]
    (twin,) = [x for x in report if x["status"] == "duplicate"]
    assert code == 0 and kept["rotated"], report
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src)[twin["source"]][0] == before[twin["source"]][0]
