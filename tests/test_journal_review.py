"""Adversarial checks of journal schema 2 and of group commits journaled by placer processes:
real files, real placer processes, a real full disk."""

from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from test_safety import mount_tmpfs

from conftest import write_photo
from engine.cli import main
from engine.errors import RunError
from engine.policy.actions import Action

D2015 = datetime.datetime(2015, 6, 1, 12, 0, 0)


@pytest.fixture
def small_fs(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = mount_tmpfs(tmp_path / "fs", "24m")
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False)


def journal_of(dest: Path) -> Path:
    return dest / ".imgorg" / "journal.sqlite"


def as_version_1(journal: Path) -> None:
    """Rewrite a journal as the release keyed by path wrote it (user_version 1: files WITHOUT
    ROWID, keyed by source root, path and run)."""
    db = sqlite3.connect(journal, isolation_level=None)
    columns = [r[1] for r in db.execute("PRAGMA table_info(files)") if r[1] != "id"]
    kinds = {
        r[1]: r[2] + (" NOT NULL" if r[3] else "") for r in db.execute("PRAGMA table_info(files)")
    }
    listed = ", ".join(columns)
    table = ", ".join(f"{c} {kinds[c]}" for c in columns)
    db.executescript(
        "BEGIN; ALTER TABLE files RENAME TO files_new; DROP INDEX files_by_hash_run; "
        "DROP INDEX files_by_dest; DROP INDEX files_by_path; "
        f"CREATE TABLE files ({table}, PRIMARY KEY (source_root, source_rel, run_id)) WITHOUT ROWID; "
        "CREATE INDEX files_by_hash ON files (hash) WHERE status = 'placed'; "
        "CREATE INDEX files_by_dest ON files (dest); "
        f"INSERT INTO files ({listed}) SELECT {listed} FROM files_new; DROP TABLE files_new; "
        "PRAGMA user_version = 1; COMMIT;"
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def fill(fs: Path, leave: int) -> Path:
    """Fill the filesystem at ``fs`` but for about ``leave`` bytes."""

    filler = fs / "filler"
    st = os.statvfs(fs)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, free - leave))
    return filler


def test_a_version_1_journal_on_a_full_dest_is_kept_and_the_user_told_to_free_space(
    tmp_path: Path, small_fs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Upgrading copies the files table: on a DEST without room for the copy the run stops
    before doing anything, the journal stays as it was (version 1, every row), and the user is
    told to free space, not that the journal is damaged and should be moved aside."""
    src, dest = tmp_path / "src", small_fs / "out"
    for i in range(300):
        write_photo(src / f"d{i % 5}" / f"p{i}.jpg", D2015, seed=i)
    assert main(["organize", str(src), str(dest), "--min-size", "0", "--quiet"]) == 0
    as_version_1(journal_of(dest))
    rows = sqlite3.connect(journal_of(dest)).execute("SELECT count(*) FROM files").fetchone()
    filler = fill(small_fs, 4096)
    capsys.readouterr()
    assert main(["organize", str(src), str(dest), "--min-size", "0", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "full" in err and "free" in err, err
    assert "aside" not in err and "damaged" not in err, err
    db = sqlite3.connect(journal_of(dest))
    assert db.execute("PRAGMA user_version").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM files").fetchone() == rows
    db.close()
    filler.unlink()
    assert main(["verify", str(dest)]) == 0
    assert main(["organize", str(src), str(dest), "--min-size", "0", "--quiet"]) == 0


def test_a_journal_the_placer_process_cannot_write_for_a_full_disk_stops_the_run_as_disk_full(
    tmp_path: Path, small_fs: Path
) -> None:
    """A placer process journals its batch: when DEST is too full for even that, the run stops
    as it does when the writer's own journal write fails, as a full disk (free space, run
    again), with nothing placed and nothing journaled; a run with room then places it all."""
    from test_place import rows, source_file

    from engine.errors import DiskFull
    from engine.stages.place import Placer
    from engine.stages.placers import PlacerPool
    from engine.store.journal import Journal

    src, dest = small_fs / "src", small_fs / "dest"
    dest.mkdir()
    batch = [source_file(src, f"p{i}.jpg", bytes([i]) * 3000) for i in range(6)]
    for decision in batch:
        decision.action = Action.HARDLINK  # writes no bytes: no space check before the journal
    journal = Journal.open(str(dest / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "hardlink", False, {})
    filler = fill(small_fs, 0)
    placer = Placer(str(src), str(dest), journal, run_id, pool=PlacerPool(1))
    try:
        placer.add(batch)
        with pytest.raises(DiskFull, match="DEST is full"):
            placer.flush()
    finally:
        placer.close()
    assert rows(journal) == {}
    assert not list(dest.glob("2015/*"))
    filler.unlink()
    placer = Placer(str(src), str(dest), journal, run_id, pool=PlacerPool(1))
    try:
        placer.add(batch)
        placer.flush()
    finally:
        placer.close()
    assert rows(journal) == {d.rel: ("done", "placed") for d in batch}
    journal.close()


def test_a_folder_a_later_batch_makes_first_is_journaled_for_undo_with_that_batch(
    tmp_path: Path,
) -> None:
    """With two placer processes, the batch that claims a new folder and the next batch, which
    puts files in it too, may be carried out in either order: the one placer is stopped (busy,
    say), the other makes the folder, places its files and journals them, then the first dies.
    The folder is journaled as the run's own with the batch that made it, so undo can take it
    away again."""
    import signal
    import time

    from test_place import rows, source_file

    from engine.stages.place import Placer
    from engine.stages.placers import PlacerPool
    from engine.store.dest_view import JournalView
    from engine.store.journal import Journal

    src, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    decisions = [source_file(src, f"p{i}.jpg", bytes([i]) * 3000) for i in range(4)]
    for decision in decisions:
        decision.dest = f"2015/06/{decision.rel}"
    journal = Journal.open(str(dest / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
    view = JournalView(journal, str(src), str(dest), run_id)
    pool = PlacerPool(2)
    first = pool._placers[0].process
    os.kill(first.pid, signal.SIGSTOP)
    placer = Placer(
        str(src),
        str(dest),
        journal,
        run_id,
        max_files=2,
        pool=pool,
        depth=3,
        new_folders=view.new_folders,
    )
    try:
        placer.add(decisions[:2])  # to the stopped placer: claims 2015 and 2015/06
        placer.add(decisions[2:])  # to the other one
        waited = time.monotonic()
        while not placer._under_way[1][-1].ready() and time.monotonic() - waited < 30:
            time.sleep(0.01)
        first.kill()
        with pytest.raises(RunError):
            placer.flush()
    finally:
        first.kill()  # never left stopped: closing the pool waits for it
        placer.close()
    assert rows(journal) == {d.rel: ("done", "placed") for d in decisions[2:]}
    assert sorted(journal.made_folders([run_id]) or []) == ["2015", "2015/06"]
    journal.close()


def test_a_run_ends_promptly_while_someone_reads_its_journal(tmp_path: Path) -> None:
    """Someone browsing DEST's journal (a read transaction held open) when a run ends: the
    run's last checkpoint waits a few seconds for them, then leaves the log; it waited as long
    as for the write lock (600 s)."""
    import sys
    import time

    from conftest import ROOT

    src, dest = tmp_path / "src", tmp_path / "dest"
    for i in range(3):
        write_photo(src / f"p{i}.jpg", D2015, seed=i, size=(64, 48))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "engine", "organize", str(src), str(dest), "--quiet"]
    assert subprocess.run([*command, "--min-size", "0"], env=env, timeout=120).returncode == 0
    write_photo(src / "later.jpg", D2015, seed=9, size=(64, 48))
    reader = sqlite3.connect(journal_of(dest))
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM files").fetchall()
        started = time.monotonic()
        done = subprocess.run([*command, "--min-size", "0"], env=env, timeout=120)
        took = time.monotonic() - started
    finally:
        reader.close()
    assert done.returncode == 0
    assert took < 60, took
    assert len(list((dest / "2015").glob("*.jpg"))) == 4
