"""The placer (engine/stages/place.py) on real files: decisions in, files in DEST and rows in
the journal out, in group commits (planned -> temporary names -> no-replace renames -> done)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_safety import mount_tmpfs

from engine.policy.actions import Action, SourceAfter, Writes
from engine.records import Decision, Status
from engine.stages.place import DiskFull, Placer
from engine.store import fsops
from engine.store.journal import ORIGINALS, Journal


def source_file(src: Path, rel: str, data: bytes) -> Decision:
    """A file in SOURCE and the decision to copy it to ``2015/<name>``."""
    path = src / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    st = path.stat()
    digest = fsops.hash_file(str(path))
    return Decision(
        rel,
        Status.PLACED,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        dest=f"2015/{os.path.basename(rel)}",
        hash=digest,
        out_hash=digest,
        bytes_out=st.st_size,
        action=Action.COPY,
        ino=st.st_ino,
        ctime_ns=st.st_ctime_ns,
    )


def rows(journal: Journal) -> dict[str, tuple[str, str]]:
    found = journal.db.execute("SELECT source_rel, state, status FROM files").fetchall()
    return {os.fsdecode(rel): (state, status) for rel, state, status in found}


def test_a_batch_is_planned_then_written_to_temporary_names_then_renamed_then_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    batch = [source_file(src, f"p{i}.jpg", bytes([i]) * 5000) for i in range(4)]
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
    seen: list[str] = []
    rename = fsops.rename_noreplace

    def watched_rename(temp: str, final: str) -> None:
        rel = os.path.basename(final)
        if not seen:  # the first rename: every file of the batch is written, none renamed
            for d in batch:
                placed = dest / str(d.dest)
                assert Path(fsops.temp_name(str(placed))).read_bytes() == (src / d.rel).read_bytes()
                assert not placed.exists()
            assert set(rows(journal).values()) == {("planned", "placed")}
        assert temp == fsops.temp_name(final)
        seen.append(rel)
        rename(temp, final)

    monkeypatch.setattr(fsops, "rename_noreplace", watched_rename)
    placer = Placer(str(src), str(dest), journal, run_id, max_files=100)
    placer.add(batch)
    assert seen == [] and rows(journal) == {}  # below the batch size: nothing happens yet
    placer.flush()
    assert seen == [f"p{i}.jpg" for i in range(4)]
    assert set(rows(journal).values()) == {("done", "placed")}
    assert sorted(os.listdir(dest / "2015")) == seen  # no temporary file left
    for d in batch:
        assert (dest / str(d.dest)).read_bytes() == (src / d.rel).read_bytes()
    assert placer.placed == 4


def test_an_existing_file_at_the_destination_is_never_replaced(tmp_path: Path) -> None:
    """A file that appeared at a decided name after the decision: an error, and its bytes
    stay; the rest of the batch is placed."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    batch = [source_file(src, name, name.encode() * 100) for name in ("a.jpg", "b.jpg")]
    (dest / "2015").mkdir(parents=True)
    (dest / "2015" / "a.jpg").write_bytes(b"someone else's")
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
    placer = Placer(str(src), str(dest), journal, run_id)
    placer.add(batch)
    placer.flush()
    assert (dest / "2015" / "a.jpg").read_bytes() == b"someone else's"
    assert (dest / "2015" / "b.jpg").read_bytes() == (src / "b.jpg").read_bytes()
    assert sorted(os.listdir(dest / "2015")) == ["a.jpg", "b.jpg"]
    got = {d.rel: d for d in journal.decisions(run_id, str(src))}
    assert got["a.jpg"].status is Status.ERROR
    assert got["a.jpg"].reason == "its destination appeared during the run"
    assert (got["a.jpg"].dest, got["a.jpg"].action) == (None, Action.NONE)
    assert got["b.jpg"].status is Status.PLACED and got["b.jpg"].action is Action.COPY


def test_a_full_dest_places_what_fits_and_leaves_the_rest_to_redo(tmp_path: Path) -> None:
    dest = mount_tmpfs(tmp_path / "fs", "24m")
    try:
        src = tmp_path / "src"
        # 16 MB stay in reserve: two 4 MB files fit in 24 MB, the third does not
        batch = [source_file(src, f"p{i}.jpg", os.urandom(4_000_000)) for i in range(5)]
        journal = Journal.open(str(tmp_path / "j.sqlite"))
        run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
        placer = Placer(str(src), str(dest), journal, run_id)
        placer.add(batch)
        with pytest.raises(DiskFull, match="DEST is full"):
            placer.flush()
        assert rows(journal) == {"p0.jpg": ("done", "placed"), "p1.jpg": ("done", "placed")}
        assert sorted(os.listdir(dest / "2015")) == ["p0.jpg", "p1.jpg"]
        assert set(journal.done_files(str(src))) == {"p0.jpg", "p1.jpg"}
        # with room again, the same decisions for the rest place them
        subprocess.run(["mount", "-o", "remount,size=64m", str(dest)], check=True)
        again = Placer(
            str(src), str(dest), journal, journal.begin_run(str(src), str(dest), "copy", False, {})
        )
        again.add(batch[2:])
        again.flush()
        assert sorted(os.listdir(dest / "2015")) == [f"p{i}.jpg" for i in range(5)]
        for d in batch:
            assert (dest / str(d.dest)).read_bytes() == (src / d.rel).read_bytes()
        journal.close()
    finally:
        subprocess.run(["umount", "-l", str(dest)], check=False)


@pytest.mark.parametrize("action", [a for a in Action if a.touches_dest])
def test_each_action_does_to_the_source_what_its_row_says(tmp_path: Path, action: Action) -> None:
    src, dest, stage = tmp_path / "src", tmp_path / "dest", tmp_path / "stage"
    stage.mkdir()
    dest.mkdir()
    decision = source_file(src, "Trip/a.jpg", b"original bytes" * 100)
    original = (src / "Trip/a.jpg").read_bytes()
    placed_bytes = original
    if action.writes is Writes.STAGED_FILE:  # the worker's rotated or re-encoded output
        placed_bytes = b"new bytes" * 100
        (stage / "a-out.jpg").write_bytes(placed_bytes)
        decision.staged, decision.out_hash = "a-out.jpg", fsops.hash_file(str(stage / "a-out.jpg"))
        decision.bytes_out = len(placed_bytes)
    decision.action = action
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "move", False, {})
    placer = Placer(str(src), str(dest), journal, run_id, stage_dir=str(stage))
    placer.add([decision])
    placer.flush()
    assert (dest / "2015" / "a.jpg").read_bytes() == placed_bytes
    (row,) = journal.written()
    assert row.action is action
    assert row.source_removed is action.removes_source
    assert (src / "Trip/a.jpg").exists() is (action.source_after is SourceAfter.STAYS)
    kept = dest / ORIGINALS / str(run_id) / "Trip/a.jpg"
    assert kept.exists() is action.keeps_original
    if action.keeps_original:
        assert kept.read_bytes() == original and row.original is not None


def test_a_row_of_the_batch_journaled_again_before_done_is_marked_done_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch is marked done by the ids its rows were written under; a row written again in
    the meantime (under a new id) is marked by its path instead, never left planned."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    batch = [source_file(src, f"p{i}.jpg", bytes([i]) * 5000) for i in range(4)]
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
    rename = fsops.rename_noreplace

    def rename_after_journaling_one_again(temp: str, final: str) -> None:
        if os.path.basename(final) == "p0.jpg":
            journal.record(run_id, str(src), [batch[2]], "planned")
        rename(temp, final)

    monkeypatch.setattr(fsops, "rename_noreplace", rename_after_journaling_one_again)
    placer = Placer(str(src), str(dest), journal, run_id, max_files=100)
    placer.add(batch)
    placer.flush()
    assert rows(journal) == {f"p{i}.jpg": ("done", "placed") for i in range(4)}
    ids = journal.db.execute("SELECT id FROM files ORDER BY id").fetchall()
    assert [i for (i,) in ids] == [1, 2, 4, 5]


def test_batches_journaled_by_a_placer_process_while_the_writer_journals_failures(
    tmp_path: Path,
) -> None:
    """With placer processes, each batch is journaled by its placer (planned, then done for the
    files in place) while the writer journals the files that failed and decides the next: both
    write the one journal, every row ends done, none is lost or left planned."""
    from engine.stages.placers import PlacerPool

    src, dest = tmp_path / "src", tmp_path / "dest"
    dest.mkdir()
    decisions = [source_file(src, f"f{i // 10}/p{i}.jpg", bytes([i]) * 3000) for i in range(60)]
    for d in decisions[5::7]:  # vanish after analysis: the placer cannot copy them
        (src / d.rel).unlink()
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
    pool = PlacerPool(2)
    placer = Placer(str(src), str(dest), journal, run_id, max_files=8, pool=pool, depth=3)
    try:
        for start in range(0, len(decisions), 3):
            placer.add(decisions[start : start + 3])
        placer.flush()
    finally:
        placer.close()
    found = rows(journal)
    vanished = {d.rel for d in decisions[5::7]}
    assert found == {d.rel: ("done", "error" if d.rel in vanished else "placed") for d in decisions}
    assert placer.placed == len(decisions) - len(vanished)
    for d in decisions:
        assert (dest / str(d.dest)).exists() is (d.rel not in vanished)
