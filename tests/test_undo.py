"""Undo, verify and the journal after interrupted runs, reused paths, damaged journals, and
move mode's promise: an undo gives SOURCE back byte for byte."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import tree_digest, write_photo
from engine.cli import main
from engine.store.journal import VERSION, check_readable

MOVE = ("--min-size", "0", "--mode", "move", "--no-compress", "--fix-orientation", "none")


def archive(root: Path, n: int = 9) -> None:
    for i in range(n):
        write_photo(
            root / f"f{i % 3}" / f"p{i}.jpg", dt.datetime(2010 + i % 3, 1, 1), seed=i, size=(96, 64)
        )


def journal_path(dest: Path) -> Path:
    return dest / ".imgorg" / "journal.sqlite"


def sql(dest: Path, statement: str) -> list[tuple]:
    db = sqlite3.connect(journal_path(dest), isolation_level=None)
    try:
        return db.execute(statement).fetchall()
    finally:
        db.close()


def dest_files(dest: Path) -> dict[str, tuple[str, int]]:
    return {p: d for p, d in tree_digest(dest).items() if not p.startswith(".imgorg")}


def moved_archive(tmp_path: Path, organize) -> tuple[Path, Path, dict]:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    before = tree_digest(src)
    code, _ = organize(src, dest, *MOVE)
    assert code == 0 and not tree_digest(src)
    return src, dest, before


# 12.1 ------------------------------------------------------------------------------------
def test_undo_after_a_kill_in_the_source_sync_restores_source(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Killed after unlinking the sources, before journaling it: the journal says done with
    source_removed = 0 while the sources are gone. Undo must move the files back, not
    delete them as if they were copies."""
    src, dest, before = moved_archive(tmp_path, organize)
    sql(dest, "UPDATE files SET source_removed = 0")
    assert main(["verify", str(dest)]) == 0
    # verify only looks (it settles a private copy); the undo's recovery settles the journal
    assert sql(dest, "SELECT count(*) FROM files WHERE source_removed = 0") == [(9,)]
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
    assert dest_files(dest) == {}


def test_undo_of_copies_keeps_dest_when_source_differs(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Copy mode: a placed copy is deleted only when SOURCE holds the same bytes."""
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src, 3)
    code, report = organize(src, dest, "--min-size", "0")
    assert code == 0
    placed = {x["source"]: x["dest"] for x in report if x["dest"]}
    edited, gone = sorted(placed)[:2]
    (src / edited).write_bytes(b"the user's new version")
    gone_bytes = (dest / placed[gone]).read_bytes()
    (src / gone).unlink()
    assert main(["undo", str(dest)]) == 1  # the edited one is left, and said so
    assert (dest / placed[edited]).exists()
    assert (src / gone).read_bytes() == gone_bytes  # moved back, not deleted


@pytest.mark.parametrize(("when", "resume"), [(2, False), (3, False), (3, True)])
def test_sigkill_inside_the_source_sync_then_undo(tmp_path: Path, when: int, resume: bool) -> None:
    """The real thing: SIGKILL at a syncfs of a move run (2: after the renames, before the
    journal says done; 3: after the sources are unlinked, before the journal says so), then
    undo, directly or after resuming and verifying."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    import subprocess
    import sys

    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    before = tree_digest(src)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    cmd = [sys.executable, "-m", "engine", "organize", str(src), str(dest), "--quiet", "-j", "1"]
    inject = ["-e", "trace=syncfs", "-e", f"inject=syncfs:signal=KILL:when={when}"]
    killed = subprocess.run(
        [strace, "-f", "-qq", "-o", "/dev/null", *inject, *cmd, *MOVE], env=env, timeout=120
    )
    assert killed.returncode != 0
    assert not tree_digest(src), "the kill came after the sources were renamed or unlinked"
    if resume:
        assert subprocess.run([*cmd, *MOVE], env=env, timeout=120).returncode == 0
        assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
    assert dest_files(dest) == {}


# 12.4 ------------------------------------------------------------------------------------
def test_undo_after_a_no_op_rerun_undoes_the_real_run(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src, dest, before = moved_archive(tmp_path, organize)
    assert organize(src, dest, *MOVE)[0] == 0  # finds nothing to do
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


def test_undo_after_a_kill_between_rename_and_done(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """The renames happened, the journal still says planned: undo settles the rows first."""
    src, dest, before = moved_archive(tmp_path, organize)
    sql(dest, "UPDATE files SET state = 'planned', source_removed = 0")
    sql(dest, "UPDATE runs SET status = 'running', finished = NULL")
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


def test_kill_during_tidy_is_found_by_verify_and_finished_by_undo(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    write_photo(src / "a" / "b" / "p.jpg", dt.datetime(2012, 5, 5), seed=1)
    before = tree_digest(src)
    assert organize(src, dest, *MOVE, "--no-tidy")[0] == 0
    assert (dest / "2012" / "a" / "b" / "p.jpg").exists()
    # tidy recorded its step and had renamed the folder aside when it was killed
    run_id = sql(dest, "SELECT max(id) FROM runs")[0][0]
    sql(
        dest,
        f"INSERT INTO tidy VALUES ({run_id}, CAST('2012/a/b' AS BLOB), CAST('2012/b' AS BLOB), 'planned')",
    )
    os.rename(dest / "2012" / "a" / "b", dest / "2012" / ".imgorg-tidy-tmp")
    (dest / "2012" / "a").rmdir()
    assert main(["verify", str(dest)]) == 0  # finds p.jpg where the tidy step left it
    assert (dest / "2012" / ".imgorg-tidy-tmp" / "p.jpg").exists()  # and leaves it there
    assert main(["undo", str(dest)]) == 0  # the undo's recovery finishes the step first
    assert tree_digest(src) == before


def test_undo_exits_1_and_lists_what_it_cannot_put_back(tmp_path: Path, organize, capsys) -> None:  # type: ignore[no-untyped-def]
    _src, dest, _before = moved_archive(tmp_path, organize)
    placed = sorted(dest_files(dest))[0]
    (dest / placed).write_bytes(b"edited")
    capsys.readouterr()
    assert main(["undo", str(dest)]) == 1
    assert f"left alone: {placed}" in capsys.readouterr().out


# 12.5 ------------------------------------------------------------------------------------
def test_reused_source_path_keeps_both_records(tmp_path: Path, organize, capsys) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    first = write_photo(src / "a.jpg", dt.datetime(2015, 1, 1), seed=1)
    write_photo(src / "b.jpg", dt.datetime(2015, 1, 1), seed=2)
    assert organize(src, dest, *MOVE)[0] == 0
    second = write_photo(src / "a.jpg", dt.datetime(2015, 1, 1), seed=3)
    after_second = tree_digest(src)
    assert organize(src, dest, *MOVE)[0] == 0
    capsys.readouterr()
    assert main(["verify", str(dest)]) == 0
    assert "verified 3 files: 0 missing, 0 changed" in capsys.readouterr().out
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == after_second and (src / "a.jpg").read_bytes() == second
    assert first in [(dest / p).read_bytes() for p in dest_files(dest)]
    assert main(["verify", str(dest)]) == 0


_SCHEMA_V0_FILES = """
CREATE TABLE files (
    source_root BLOB NOT NULL, source_rel BLOB NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, note TEXT, dest BLOB,
    year INTEGER, date TEXT, date_source TEXT NOT NULL, hash TEXT, duplicate_of BLOB,
    bytes_out INTEGER NOT NULL, compressed INTEGER NOT NULL, rotated INTEGER NOT NULL,
    quality INTEGER, original_quality INTEGER, encodes INTEGER NOT NULL, out_hash TEXT,
    action TEXT NOT NULL, companion_of BLOB, state TEXT NOT NULL,
    source_removed INTEGER NOT NULL DEFAULT 0, run_id INTEGER NOT NULL,
    seen_run INTEGER NOT NULL, PRIMARY KEY (source_root, source_rel)
) WITHOUT ROWID;
CREATE INDEX files_hash ON files (hash) WHERE status = 'placed';
CREATE INDEX files_dest ON files (dest);
"""


def test_journal_of_the_previous_release_is_upgraded(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A journal in the first release's schema (user_version 0, one row per source path)."""
    src, dest, before = moved_archive(tmp_path, organize)
    columns = [
        r[1]
        for r in sql(dest, "PRAGMA table_info(files)")
        if r[1]
        not in (
            "id",
            "original",
            "tz_source",
            "similar_to",
            "source_mode",
            "source_uid",
            "source_gid",
        )
    ]
    listed = ", ".join(columns)
    db = sqlite3.connect(journal_path(dest), isolation_level=None)
    db.executescript(
        "BEGIN; ALTER TABLE files RENAME TO files_new; DROP INDEX files_by_hash_run; "
        f"DROP INDEX files_by_dest; DROP INDEX files_by_path; {_SCHEMA_V0_FILES} INSERT INTO files ({listed}) "
        f"SELECT {listed} FROM files_new; DROP TABLE files_new; PRAGMA user_version = 0; COMMIT;"
    )
    db.close()
    assert main(["verify", str(dest)]) == 0
    assert sql(dest, "PRAGMA user_version") == [(0,)]  # verify reads an upgraded private copy
    assert main(["undo", str(dest)]) == 0
    assert sql(dest, "PRAGMA user_version") == [(VERSION,)]
    assert tree_digest(src) == before


# 12.11 -----------------------------------------------------------------------------------
def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _overwrite_middle(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(os.urandom(4096))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_garbage, _overwrite_middle, _empty])
def test_damaged_journal_stops_every_command(tmp_path: Path, organize, capsys, damage) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src, 60)
    assert organize(src, dest, *MOVE)[0] == 0
    damage(journal_path(dest))
    files = dest_files(dest)
    capsys.readouterr()
    for command in (["undo", str(dest)], ["verify", str(dest)], ["finalize", str(dest), "--yes"]):
        assert main(command) == 2, command
        err = capsys.readouterr()
        assert "journal" in err.err and "Traceback" not in err.err
        assert "0 missing" not in err.out
    assert organize(src, dest, *MOVE)[0] == 2
    assert dest_files(dest) == files and not tree_digest(src)


# 11.2 ------------------------------------------------------------------------------------
def test_move_is_reversible_byte_for_byte_with_kept_originals(
    tmp_path: Path, organize, corpus, capsys
) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    for name in ("camera/canon_hdr_NO.jpg", "camera/Reconyx_HC500_Hyperfire.jpg",
                 "camera/Canon_40D.jpg", "phone/Samsung GT-I9000 (Galaxy S).jpg",
                 "orientation/Portrait_3.jpg", "orientation/Landscape_1.jpg"):  # fmt: skip
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / name, src / name)
    # a byte-duplicate of a file that gets re-encoded
    (src / "copies").mkdir()
    shutil.copy2(corpus / "camera/canon_hdr_NO.jpg", src / "copies" / "canon_hdr_NO.jpg")
    before = tree_digest(src)
    code, report = organize(
        src, dest, "--mode", "move", "--min-size", "0", "--compress-above", "300KB",
        "--target-size", "600KB",
    )  # fmt: skip
    assert code == 0
    assert any(x["compressed"] for x in report) and any(x["rotated"] for x in report)
    assert not os.listdir(dest / ".imgorg" / "staging")
    assert not tree_digest(src)
    capsys.readouterr()
    assert main(["verify", str(dest)]) == 0
    assert "kept originals" in capsys.readouterr().out
    kept = tree_digest(dest / ".imgorg" / "originals")
    assert len(kept) == sum(1 for x in report if x["compressed"] or x["rotated"])
    # finalize lists, and deletes nothing without --yes
    assert main(["finalize", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "--yes" in out and f"{len(kept)} kept originals" in out
    assert tree_digest(dest / ".imgorg" / "originals") == kept
    # and refuses while verify fails
    some = dest / next(x["dest"] for x in report if x["dest"] and not x["compressed"])
    saved, mtime = some.read_bytes(), some.stat().st_mtime_ns
    some.write_bytes(b"rot")
    assert main(["finalize", str(dest), "--yes"]) == 1
    assert tree_digest(dest / ".imgorg" / "originals") == kept
    some.write_bytes(saved)
    os.utime(some, ns=(mtime, mtime))
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
    assert dest_files(dest) == {}


def test_finalize_deletes_kept_originals(tmp_path: Path, organize, corpus, capsys) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    shutil.copy2(corpus / "phone/Samsung GT-I9000 (Galaxy S).jpg", src / "turned.jpg")
    assert organize(src, dest, "--mode", "move", "--min-size", "0")[0] == 0
    (kept,) = (dest / ".imgorg" / "originals").rglob("*.jpg")
    saved = kept.read_bytes()
    kept.write_bytes(saved[:-10])  # verify checks the kept originals too
    capsys.readouterr()
    assert main(["verify", str(dest)]) == 1
    assert f"changed: {kept.relative_to(dest)}" in capsys.readouterr().out
    assert main(["finalize", str(dest), "--yes"]) == 1 and kept.exists()
    kept.write_bytes(saved)
    capsys.readouterr()
    assert main(["finalize", str(dest), "--yes"]) == 0
    assert "deleted 1 kept originals" in capsys.readouterr().out
    assert not (dest / ".imgorg" / "originals").exists()
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0  # brings back the upright version
    assert [p.name for p in src.iterdir()] == ["turned.jpg"]


def test_kill_after_keeping_an_original_then_undo(tmp_path: Path, organize, corpus) -> None:  # type: ignore[no-untyped-def]
    """Killed after the source went to originals/, before the journal said so: recovery finds
    it there, and undo restores the original bytes, not the rotated ones."""
    src, dest = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    shutil.copy2(corpus / "phone/Samsung GT-I9000 (Galaxy S).jpg", src / "turned.jpg")
    write_photo(src / "plain.jpg", dt.datetime(2011, 2, 3), seed=4)
    before = tree_digest(src)
    assert organize(src, dest, "--mode", "move", "--min-size", "0")[0] == 0
    sql(dest, "UPDATE files SET source_removed = 0, original = NULL")
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
    assert dest_files(dest) == {}


def test_move_across_filesystems_is_reversible_byte_for_byte(
    tmp_path: Path, organize, corpus
) -> None:  # type: ignore[no-untyped-def]
    """SOURCE on its own filesystem: the kept original is a verified copy, undo copies back."""
    from test_safety import mount_tmpfs

    src = mount_tmpfs(tmp_path / "src", "16m")
    dest = tmp_path / "out"
    try:
        shutil.copy2(corpus / "phone/Samsung GT-I9000 (Galaxy S).jpg", src / "turned.jpg")
        shutil.copy2(corpus / "camera/canon_hdr_NO.jpg", src / "big.jpg")
        write_photo(src / "sub" / "plain.jpg", dt.datetime(2011, 2, 3), seed=4)
        before = tree_digest(src)
        flags = ("--compress-above", "300KB", "--target-size", "600KB")
        assert organize(src, dest, "--mode", "move", "--min-size", "0", *flags)[0] == 0
        assert not tree_digest(src)
        assert len(tree_digest(dest / ".imgorg" / "originals")) == 2
        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert tree_digest(src) == before
        assert dest_files(dest) == {}
    finally:
        import subprocess

        subprocess.run(["umount", "-l", str(src)], check=False)


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_run_after_undo_places_everything_again(tmp_path: Path, organize, mode: str) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src, 4)
    flags = ("--mode", mode, "--min-size", "0")
    _, first = organize(src, dest, *flags)
    assert main(["undo", str(dest)]) == 0
    code, again = organize(src, dest, *flags)
    assert code == 0
    assert sorted(x["dest"] for x in again) == sorted(x["dest"] for x in first)
    assert len(dest_files(dest)) == 4
    assert main(["verify", str(dest)]) == 0


PREVIOUS_RELEASE = "9532fe0"  # the last commit with the version-0 journal
KEYED_BY_PATH_RELEASE = "27ea036"  # the last with version 1 (files keyed by path, no row ids)


def run_release(commit: str, tmp_path: Path, *args: str) -> None:
    """``imgorg organize ARGS`` by the engine of ``commit`` (from git), as a user who ran
    that release did."""
    import subprocess
    import sys

    from conftest import ROOT

    old = tmp_path / f"release-{commit}"
    old.mkdir()
    archived = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "engine", "benchmarks"], capture_output=True
    )
    if archived.returncode != 0:
        pytest.skip(f"commit {commit} is not in this clone")
    subprocess.run(["tar", "-x", "-C", str(old)], input=archived.stdout, check=True)
    env = {**os.environ, "PYTHONPATH": str(old)}
    cmd = [sys.executable, "-m", "engine", "organize", *args, "--quiet"]
    assert subprocess.run(cmd, env=env, cwd=old, timeout=120).returncode == 0


def test_journal_written_by_the_previous_release_is_undone(tmp_path: Path) -> None:
    """The previous release's own engine (from git) makes a move run; this one verifies and
    undoes it."""
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src, 6)
    before = tree_digest(src)
    run_release(PREVIOUS_RELEASE, tmp_path, str(src), str(dest), *MOVE)
    assert sql(dest, "PRAGMA user_version") == [(0,)]
    assert main(["verify", str(dest)]) == 0
    assert sql(dest, "PRAGMA user_version") == [(0,)]  # verify reads an upgraded private copy
    assert main(["undo", str(dest)]) == 0
    assert sql(dest, "PRAGMA user_version") == [(VERSION,)]
    assert tree_digest(src) == before


def test_a_run_of_the_release_keyed_by_path_killed_before_done_is_resumed_and_undone(
    tmp_path: Path,
) -> None:
    """A move run of the last release with the version-1 journal, killed after its renames and
    before it journaled them done (the journal says planned, the run never ended); more
    photos arrive; this release upgrades the journal, resumes, verifies and undoes both runs."""
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src, 6)
    archive(src / "later", 4)
    before = tree_digest(src)
    shutil.move(src / "later", tmp_path / "later")
    run_release(KEYED_BY_PATH_RELEASE, tmp_path, str(src), str(dest), *MOVE)
    assert sql(dest, "PRAGMA user_version") == [(1,)]
    # Killed before "done": the folder f1 was renamed into DEST, its sources not yet removed.
    for rel, placed in sql(dest, "SELECT source_rel, dest FROM files WHERE source_rel LIKE 'f1/%'"):
        shutil.copy2(dest / os.fsdecode(placed), src / os.fsdecode(rel))
    sql(dest, "UPDATE files SET state = 'planned', source_removed = 0 WHERE source_rel LIKE 'f1/%'")
    sql(dest, "UPDATE runs SET status = 'running', finished = NULL")
    shutil.move(tmp_path / "later", src / "later")
    assert main(["organize", str(src), str(dest), "--quiet", *MOVE]) == 0
    assert sql(dest, "PRAGMA user_version") == [(VERSION,)]
    assert sql(dest, "SELECT count(*) FROM files WHERE state = 'planned'") == [(0,)]
    indexes = sql(dest, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    assert sorted(indexes) == [("files_by_dest",), ("files_by_hash_run",), ("files_by_path",)]
    assert len(dest_files(dest)) == 10 and not tree_digest(src)
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before and not dest_files(dest)


def test_the_journal_is_synced_when_a_run_ends(tmp_path: Path) -> None:
    """The last commits (the run's end, the removed sources) reach the disk: the journal file
    is fsynced after its last write."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    import subprocess
    import sys

    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src, 3)
    log = tmp_path / "strace.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    cmd = [sys.executable, "-m", "engine", "organize", str(src), str(dest), "--quiet", *MOVE]
    trace = ["-f", "--seccomp-bpf", "-y", "-qq", "-o", str(log), "-e", "trace=fsync,pwrite64"]
    assert subprocess.run([strace, *trace, *cmd], env=env, timeout=120).returncode == 0
    journal_calls = [line for line in log.read_text().splitlines() if "journal.sqlite>" in line]
    last_write = max(i for i, line in enumerate(journal_calls) if "write" in line)
    assert any("fsync(" in line for line in journal_calls[last_write:])


def test_a_journal_killed_mid_transaction_is_recovered_not_refused(tmp_path: Path) -> None:
    """A run killed inside its journal's first transaction (before write-ahead logging is on)
    leaves a hot rollback journal that a read-only open cannot roll back: the check must let
    SQLite recover it, not call the journal unreadable (seen in the kill/resume suite)."""
    import subprocess
    import sys

    path = tmp_path / "journal.sqlite"
    writer = (
        "import os, signal, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('CREATE TABLE t (x)')\n"
        "db.execute('PRAGMA cache_size=1')\n"
        "db.execute('BEGIN')\n"
        "for i in range(500): db.execute('INSERT INTO t VALUES (?)', (os.urandom(3000),))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", writer, str(path)])
    assert killed.returncode == -9 and (tmp_path / "journal.sqlite-journal").exists()
    check_readable(str(path))
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM t").fetchall() == [(0,)]  # rolled back
    db.close()


def test_undo_removes_the_thumbnails_of_the_files_it_took_out_of_dest(tmp_path: Path) -> None:
    """The report's thumbnails (named by content hash) of an undone run's files go with them;
    those of files an earlier run placed, and still in DEST, stay."""
    first, second, dest = tmp_path / "first", tmp_path / "second", tmp_path / "dest"
    for i in range(3):  # undated: each gets a thumbnail for the report
        write_photo(first / f"old_{i}.jpg", seed=i)
        write_photo(second / f"new_{i}.jpg", seed=10 + i)
    thumbs = dest / ".imgorg" / "thumbs"
    assert main(["organize", str(first), str(dest), "--min-size", "0", "--quiet"]) == 0
    kept = set(os.listdir(thumbs))
    assert main(["organize", str(second), str(dest), "--min-size", "0", "--quiet"]) == 0
    assert len(set(os.listdir(thumbs)) - kept) == 3
    assert main(["undo", str(dest)]) == 0
    assert set(os.listdir(thumbs)) == kept and len(kept) == 3
    assert main(["undo", str(dest)]) == 0
    assert os.listdir(thumbs) == []


# Folders: undo gives DEST back with the folders it had ----------------------------------
def folders_of(dest: Path) -> set[str]:
    """Every folder below DEST but the engine's own."""
    return {
        os.path.relpath(os.path.join(top, name), dest)
        for top, names, _files in os.walk(dest)
        for name in names
        if not os.path.relpath(os.path.join(top, name), dest).startswith(".imgorg")
    }


def corpus_archive(src: Path, corpus: Path) -> None:
    """A trip of 2008 and 2003, a 2011 phone photo, an undated one, a duplicate, two broken."""
    files = {
        "Trip": ["camera/Canon_40D.jpg", "duplicates/flower.jpg"],
        "phone": ["phone/Samsung GT-I9000 (Galaxy S).jpg"],
        "misc": ["camera/Canon_PowerShot_S40.jpg", "duplicates/img_1771_no_exif.jpg"],
        "bad": ["corrupt/truncated_jpeg.jpg", "corrupt/corrupted.jpg"],
    }
    for folder, names in files.items():
        (src / folder).mkdir(parents=True)
        for name in names:
            shutil.copy2(corpus / name, src / folder)


# The user's own empty folders, two of which the run places photos in.
USERS_FOLDERS = {"2008", "2008/Trip", "2011", "Corrupted", "Albums"}


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_undo_keeps_the_folders_dest_had_before_the_run(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    corpus: Path,
    mode: str,
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    corpus_archive(src, corpus)
    before = tree_digest(src)
    for folder in USERS_FOLDERS:
        (dest / folder).mkdir(parents=True, exist_ok=True)
    code, report = organize(src, dest, "--mode", mode, "--min-size", "0")
    assert code == 0
    placed = {line["dest"] for line in report if line.get("dest")}
    assert "2008/Trip/Canon_40D.jpg" in placed and "2011/phone" in folders_of(dest)
    if mode == "move":
        assert {"Duplicates/misc", "Corrupted/bad", "NoDate/misc"} <= folders_of(dest)
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
    assert folders_of(dest) == USERS_FOLDERS  # the run's own folders are gone, the user's stay
    assert dest_files(dest) == {}


def test_undo_of_the_second_run_keeps_the_folders_the_first_made(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    corpus: Path,
) -> None:
    """Run 1 makes 2008/Trip; its photo is taken out by hand; run 2 (a photo added to the
    trip since) places one there and makes 2011/phone. Undoing run 2 leaves 2008/Trip, now
    empty, as run 2 found it; undoing run 1 then removes it."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "Trip").mkdir(parents=True)
    shutil.copy2(corpus / "camera/Canon_40D.jpg", src / "Trip")
    assert organize(src, dest, "--min-size", "0")[0] == 0
    (dest / "2008/Trip/Canon_40D.jpg").unlink()
    shutil.copy2(corpus / "camera/Pentax_K10D.jpg", src / "Trip")
    (src / "phone").mkdir()
    shutil.copy2(corpus / "phone/Samsung GT-I9000 (Galaxy S).jpg", src / "phone")
    assert organize(src, dest, "--min-size", "0")[0] == 0
    assert (dest / "2008/Trip/Pentax_K10D.jpg").exists() and (dest / "2011/phone").is_dir()
    assert main(["undo", str(dest)]) == 0
    assert folders_of(dest) == {"2008", "2008/Trip"}
    assert main(["undo", str(dest)]) == 0
    assert folders_of(dest) == set()


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_undo_after_a_kill_and_a_resume_removes_the_folders_the_killed_run_made(
    tmp_path: Path, corpus: Path, mode: str
) -> None:
    """SIGKILL at the first filesystem sync of the group commit (its folders made, nothing
    renamed into them yet), then the same command again, then undo: the folders the killed
    attempt made count as the undone run's (the re-run found them there), the user's stay."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    import subprocess
    import sys

    src, dest = tmp_path / "src", tmp_path / "dest"
    corpus_archive(src, corpus)
    before = tree_digest(src)
    for folder in USERS_FOLDERS:
        (dest / folder).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    cmd = [sys.executable, "-m", "engine", "organize", str(src), str(dest), "--quiet", "-j", "1"]
    cmd += ["--mode", mode, "--min-size", "0"]
    inject = ["-e", "trace=syncfs", "-e", "inject=syncfs:signal=KILL:when=1"]
    killed = subprocess.run([strace, "-f", "-qq", "-o", "/dev/null", *inject, *cmd], env=env)
    assert killed.returncode != 0
    assert "2003/Trip" in folders_of(dest) and dest_files(dest) == {}  # made, still empty
    assert subprocess.run(cmd, env=env, timeout=120).returncode == 0
    assert "2003/Trip/flower.jpg" in dest_files(dest)
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
    assert folders_of(dest) == USERS_FOLDERS
    assert dest_files(dest) == {}


THIS_RELEASE_BEFORE_FOLDERS = "af97199"  # the last commit whose runs did not journal folders


def test_undo_of_a_run_that_did_not_journal_its_folders_removes_those_it_emptied(
    tmp_path: Path, corpus: Path
) -> None:
    """A journal whose run was made by the release before folders were journaled: undo keeps
    that release's behaviour and removes every folder it empties (it cannot tell the run's
    own from the user's), so no empty folder of the run is left behind."""
    import subprocess
    import sys

    from conftest import ROOT

    old = tmp_path / "old"
    old.mkdir()
    archived = subprocess.run(
        ["git", "-C", str(ROOT), "archive", THIS_RELEASE_BEFORE_FOLDERS, "engine", "benchmarks"],
        capture_output=True,
    )
    if archived.returncode != 0:
        pytest.skip(f"commit {THIS_RELEASE_BEFORE_FOLDERS} is not in this clone")
    subprocess.run(["tar", "-x", "-C", str(old)], input=archived.stdout, check=True)
    src, dest = tmp_path / "src", tmp_path / "dest"
    corpus_archive(src, corpus)
    before = tree_digest(src)
    env = {**os.environ, "PYTHONPATH": str(old)}
    cmd = [sys.executable, "-m", "engine", "organize", str(src), str(dest), "--quiet", *MOVE]
    assert subprocess.run(cmd, env=env, cwd=old, timeout=120).returncode == 0
    assert "made_folders" not in str(sql(dest, "SELECT name FROM sqlite_master"))
    assert {"2008/Trip", "Duplicates/misc"} <= folders_of(dest)
    assert main(["undo", str(dest)]) == 0
    assert [r[0] for r in sql(dest, "SELECT records_folders FROM runs")] == [0]
    assert tree_digest(src) == before
    assert folders_of(dest) == set()


def test_undo_leaves_alone_a_file_whose_source_folder_is_now_a_file_and_undoes_the_rest(
    tmp_path: Path, organize, corpus, capsys
) -> None:  # type: ignore[no-untyped-def]
    """After a move run, SOURCE's emptied ``Trip/`` was deleted and a file named ``Trip``
    written in its place: the photo that came from ``Trip/`` cannot go back and is left in DEST
    with that reason; undo goes on with every other file (it stopped with a traceback at the
    first such photo, the files after it not undone)."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    photos = {"Trip/a.jpg": "Canon_40D.jpg", "Zoo/b.jpg": "Canon_DIGITAL_IXUS_400.jpg"}
    for rel, name in photos.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / "camera" / name, source / rel)
    code, report = organize(source, dest, *MOVE)
    assert code == 0 and not (source / "Trip" / "a.jpg").exists()
    placed = {line["source"]: line["dest"] for line in report}
    (source / "Trip").rmdir()
    (source / "Trip").write_text("notes")

    assert main(["undo", str(dest)]) == 1

    assert f"left alone: {placed['Trip/a.jpg']}" in capsys.readouterr().out
    assert (dest / placed["Trip/a.jpg"]).exists()
    assert (source / "Zoo" / "b.jpg").read_bytes() == (
        corpus / "camera" / "Canon_DIGITAL_IXUS_400.jpg"
    ).read_bytes()
    assert not (dest / placed["Zoo/b.jpg"]).exists()
