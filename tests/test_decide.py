"""The coordinator (engine/stages/decide.py) as a pure stage: worker results in, decisions out,
DEST seen only through a ``DestView``. Here that view is a dict of files in memory, so these
tests say what the coordinator decides without SQLite or a disk."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.policy.actions import Action
from engine.policy.keeper import RULES
from engine.policy.naming import Layout
from engine.records import (
    Analysis,
    Candidate,
    Companion,
    CompanionResult,
    DateSource,
    Decision,
    Status,
)
from engine.settings import Mode
from engine.stages.decide import Coordinator, Folders
from engine.store import fsops
from engine.store.dest_view import DestView, JournalView, Slot
from engine.store.journal import Journal, LeftCopy, Placed

SRC, DEST = "/src", "/dest"
FLAT = Folders(Layout.FLAT, "Corrupted", "NoDate", "Duplicates")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class MemoryDest:
    """SOURCE and DEST as path -> bytes, and what earlier runs placed, by content hash."""

    files: dict[str, bytes] = field(default_factory=dict)
    earlier: dict[str, Placed] = field(default_factory=dict)
    same_device: bool = False
    claims: set[str] = field(default_factory=set)

    def placed_with_hash(
        self,
        content_hash: str,
        earlier_runs_only: bool = False,
        still_there: Callable[[Placed], bool] | None = None,
    ) -> Placed | None:
        return self.earlier.get(content_hash)

    def placed_beside(self, content_hash: str, photo: Placed) -> Placed | None:
        return None

    def slot(self, name: str, content_hash: str | None, size: int | None = None) -> Slot:
        if name in self.claims or any(p.dest == name for p in self.earlier.values()):
            return Slot.TAKEN
        data = self.files.get(f"{DEST}/{name}")
        if data is None:
            return Slot.FREE
        return Slot.IDENTICAL if digest(data) == content_hash else Slot.TAKEN

    def claim(self, name: str) -> None:
        self.claims.add(name)

    def held(self, name: str) -> bool:
        return name in self.claims or any(p.dest == name for p in self.earlier.values())

    def same_bytes(self, mine: str, theirs: str) -> bool | None:
        if mine not in self.files or theirs not in self.files:
            return None
        return self.files[mine] == self.files[theirs]

    def left_copy(self, rel: str, content_hash: str) -> LeftCopy | None:
        return None  # no copy run before: nothing to release

    def own_copy(self, rel: str, content_hash: str) -> str | None:
        return None  # no earlier run placed these very files

    def own_link(self, rel: str) -> tuple[str, str] | None:
        return None  # no earlier run placed these very files

    def own_set_aside(self, rel: str) -> tuple[str, str, bool] | None:
        return None  # no earlier run set these very files aside

    def links_with_hash(self, content_hash: str) -> list[Placed]:
        return []  # no symlink run before

    def companions_placed(self, photo: str, folder: str) -> list[tuple[str, str]]:
        return []  # no earlier run placed these very files

    def present(self, name: str, size: int) -> bool | None:
        data = self.files.get(f"{DEST}/{name}")
        return None if data is None else len(data) == size

    def exists(self, path: str) -> bool:
        return path in self.files


def photo(
    view: MemoryDest,
    rel: str,
    data: bytes,
    source: DateSource = DateSource.EXIF,
    companions: Iterable[tuple[str, bytes]] = (),
) -> Analysis:
    """A sound photo of 2015 in SOURCE, with the files travelling with it."""
    view.files[f"{SRC}/{rel}"] = data
    riders = []
    for name, content in companions:
        view.files[f"{SRC}/{name}"] = content
        riders.append(CompanionResult(name, len(content), 0, hash=digest(content)))
    return Analysis(
        rel,
        len(data),
        0,
        hash=digest(data),
        year=2015,
        date="2015-06-01T12:00:00",
        date_source=source,
        companions=riders,
    )


def candidates_of(analyses: list[Analysis]) -> list[Candidate]:
    """The planner's candidates the workers' ``analyses`` came from."""
    return [
        Candidate(
            a.rel,
            a.size,
            a.mtime_ns,
            companions=tuple(Companion(c.rel, c.size, c.mtime_ns) for c in a.companions),
        )
        for a in analyses
    ]


def decide(
    view: DestView,
    analyses: list[Analysis],
    mode: Mode = Mode.COPY,
    folders: Folders = FLAT,
) -> dict[str, Decision]:
    candidates = candidates_of(analyses)
    coordinator = Coordinator(SRC, DEST, view, candidates, folders, move=mode is Mode.MOVE)
    out: list[Decision] = []
    for analysis in analyses:
        out += coordinator.accept(analysis)
    assert coordinator.waiting == 0
    by_rel = {d.rel: d for d in out}
    assert len(by_rel) == len(out), "a file decided twice"
    return by_rel


A, B, C1, C2 = b"A" * 300, b"B" * 300, b"C" * 300, b"c" * 300


def archive(view: MemoryDest) -> list[Analysis]:
    """Copies of A in an album, a camera folder, the trash and as a 'copy'; copies of B dated
    by EXIF and by file name; two different IMG_0003.jpg, one with its RAW."""
    return [
        photo(view, "DCIM/100APPLE/IMG_0001.jpg", A),
        photo(view, ".Trash/IMG_0001.jpg", A),
        photo(view, "Albums/Trip/IMG_0001 copy.jpg", A),
        photo(view, "Albums/Trip/IMG_0001.jpg", A),
        photo(view, "a/IMG_0002.jpg", B, DateSource.FILENAME),
        photo(view, "b/IMG_0002.jpg", B),
        photo(view, "y/IMG_0003.jpg", C2, companions=[("y/IMG_0003.CR2", b"raw")]),
        photo(view, "x/IMG_0003.jpg", C1),
    ]


def outcome(decisions: dict[str, Decision]) -> dict[str, tuple[object, ...]]:
    return {
        rel: (d.status, d.dest, d.duplicate_of, d.action, d.companion_of, d.reason)
        for rel, d in decisions.items()
    }


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(8)))
def test_the_same_decisions_whatever_order_the_workers_finish_in(order: list[int]) -> None:
    reference_view = MemoryDest()
    reference = decide(reference_view, archive(reference_view))
    view = MemoryDest()
    analyses = archive(view)
    shuffled = decide(view, [analyses[i] for i in order])
    assert outcome(shuffled) == outcome(reference)
    assert view.claims == reference_view.claims


RAW, OTHER_RAW = b"R" * 300, b"S" * 300  # the size of the photos: they all wait on one another


def raw_backups(view: MemoryDest) -> list[Analysis]:
    """A DSLR's RAW+JPEG pair whose JPEG was exported to an album with an XMP (the album copy is
    kept; it adopts the RAW), and a backup folder of RAW files: copies of that RAW (one in a
    nested older backup) and another RAW of the same size."""
    return [
        photo(view, "DSLR/IMG_0005.jpg", A, companions=[("DSLR/IMG_0005.CR2", RAW)]),
        photo(view, "Albums/Trip/IMG_0005.jpg", A, companions=[("Albums/Trip/IMG_0005.xmp", B)]),
        photo(view, "RAW backup/IMG_0005.CR2", RAW),
        photo(view, "RAW backup/old/IMG_0005.CR2", RAW),
        photo(view, "RAW backup/IMG_0006.CR2", OTHER_RAW),
    ]


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(5)))
def test_a_raw_standing_alone_repeating_a_pairs_raw_is_its_duplicate_in_any_order(
    order: list[int],
) -> None:
    reference_view = MemoryDest()
    reference = decide(reference_view, raw_backups(reference_view))
    for rel in ("RAW backup/IMG_0005.CR2", "RAW backup/old/IMG_0005.CR2"):
        copy = reference[rel]
        assert (copy.status, copy.duplicate_of, copy.dest) == (
            Status.DUPLICATE,
            "DSLR/IMG_0005.CR2",
            None,
        )
        assert copy.reason == (
            "identical to DSLR/IMG_0005.CR2, which travels with DSLR/IMG_0005.jpg"
        )
    raw = reference["DSLR/IMG_0005.CR2"]
    assert (raw.status, raw.dest) == (Status.PLACED, "2015/IMG_0005.CR2")  # by the album's copy
    assert reference["RAW backup/IMG_0006.CR2"].status is Status.PLACED
    view = MemoryDest()
    analyses = raw_backups(view)
    assert outcome(decide(view, [analyses[i] for i in order])) == outcome(reference)
    assert view.claims == reference_view.claims


def suffix_lookalikes(view: MemoryDest) -> list[Analysis]:
    """Two different IMG_1.jpg, and files whose own names a suffix would give: IMG_1_1.jpg
    (an earlier export's second IMG_1) and IMG_1_1_1.jpg; each of another size."""
    return [
        photo(view, "x/IMG_1.jpg", b"1" * 100),
        photo(view, "y/IMG_1.jpg", b"2" * 101),
        photo(view, "z/IMG_1_1.jpg", b"3" * 102),
        photo(view, "w/IMG_1_1_1.jpg", b"4" * 103),
    ]


@settings(max_examples=30, deadline=None)
@given(st.permutations(range(4)))
def test_a_name_a_suffix_would_give_is_settled_with_that_name_in_any_order(
    order: list[int],
) -> None:
    """``IMG_1_1`` is another name than ``IMG_1`` but the one its second copy's suffix makes:
    they are named together, each file's own name first, then the suffixes in path order."""
    view = MemoryDest()
    analyses = suffix_lookalikes(view)
    got = decide(view, [analyses[i] for i in order])
    assert {rel: d.dest for rel, d in got.items()} == {
        "x/IMG_1.jpg": "2015/IMG_1.jpg",
        "z/IMG_1_1.jpg": "2015/IMG_1_1.jpg",
        "w/IMG_1_1_1.jpg": "2015/IMG_1_1_1.jpg",
        "y/IMG_1.jpg": "2015/IMG_1_2.jpg",
    }


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(3)))
def test_a_lone_pixel_video_and_a_motion_photos_video_are_named_in_any_order(
    order: list[int],
) -> None:
    """``PXL_1.MP`` standing alone, and another ``PXL_1.MP`` travelling with its photo
    ``PXL_1.MP.jpg``, want one name in a flat DEST: they are named together, in path order."""
    view = MemoryDest()
    analyses = [
        photo(view, "a/PXL_1.MP.jpg", A, companions=[("a/PXL_1.MP", b"V" * 500)]),
        photo(view, "b/PXL_1.MP", b"W" * 501),
        photo(view, "c/PXL_1.MP.jpg", B),
    ]
    got = decide(view, [analyses[i] for i in order])
    assert {rel: d.dest for rel, d in got.items()} == {
        "a/PXL_1.MP.jpg": "2015/PXL_1.MP.jpg",
        "a/PXL_1.MP": "2015/PXL_1.MP",
        "b/PXL_1.MP": "2015/PXL_1_1.MP",
        "c/PXL_1.MP.jpg": "2015/PXL_1.MP_1.jpg",
    }


def test_camera_numbers_are_not_taken_for_suffixes() -> None:
    """``IMG_0001`` ends like a suffix, but no file is named ``IMG``: each camera name keeps a
    key of its own, so no file waits for the others of its camera."""
    from engine.stages.decide import name_groups

    rels = [f"DCIM/IMG_{i:04d}.JPG" for i in range(1, 200)] + ["DCIM/IMG_0005_1.JPG"]
    shared, aliases = name_groups(rels, FLAT)
    assert len(aliases) == 1 and shared == {next(iter(aliases.values())): 2}


def test_one_file_named_img_does_not_make_every_camera_name_wait_for_the_last_result() -> None:
    """A suffix is never written with a leading zero (``IMG_1``, never ``IMG_0001``). With one
    ``IMG.JPG`` anywhere in an archive laid out ``--layout flat``, every ``IMG_0001``-style
    name joined its group: a million camera files one group, each decision held until the last
    result arrived (nothing placed before the end, every decision in memory)."""
    from engine.stages.decide import name_groups

    rels = [f"Card {card}/IMG_{i:04d}.JPG" for card in range(3) for i in range(1, 200)]
    shared, aliases = name_groups([*rels, "Misc/IMG.JPG", "Misc/IMG_1.JPG"], FLAT)
    assert sorted(shared.values()) == [2] + [3] * 199
    assert len(aliases) == 1


def test_identical_copies_keep_the_one_the_keeper_rule_names_and_say_why() -> None:
    view = MemoryDest()
    got = decide(view, archive(view))
    kept = got["Albums/Trip/IMG_0001.jpg"]
    assert (kept.status, kept.dest, kept.action) == (
        Status.PLACED,
        "2015/IMG_0001.jpg",
        Action.COPY,
    )
    reasons = {
        ".Trash/IMG_0001.jpg": RULES[0],
        "Albums/Trip/IMG_0001 copy.jpg": RULES[3],
        "DCIM/100APPLE/IMG_0001.jpg": RULES[4],
    }
    for rel, rule in reasons.items():
        twin = got[rel]
        assert twin.status is Status.DUPLICATE and twin.duplicate_of == "Albums/Trip/IMG_0001.jpg"
        assert (
            twin.reason
            == f"identical to Albums/Trip/IMG_0001.jpg; that copy is kept because {rule}"
        )
        assert (twin.dest, twin.action) == (None, Action.NONE)  # copy mode leaves them be
    # an EXIF date beats a date read from the name, though a/ sorts before b/
    assert got["b/IMG_0002.jpg"].status is Status.PLACED
    assert got["a/IMG_0002.jpg"].duplicate_of == "b/IMG_0002.jpg"
    assert RULES[5] in (got["a/IMG_0002.jpg"].reason or "")


def test_colliding_names_get_suffixes_in_path_order_and_companions_follow_their_photo() -> None:
    view = MemoryDest()
    got = decide(view, archive(view))
    assert got["x/IMG_0003.jpg"].dest == "2015/IMG_0003.jpg"
    assert got["y/IMG_0003.jpg"].dest == "2015/IMG_0003_1.jpg"
    raw = got["y/IMG_0003.CR2"]
    assert (raw.status, raw.dest, raw.companion_of) == (
        Status.PLACED,
        "2015/IMG_0003_1.CR2",
        "y/IMG_0003.jpg",
    )
    assert view.claims == {
        "2015/IMG_0001.jpg",
        "2015/IMG_0002.jpg",
        "2015/IMG_0003.jpg",
        "2015/IMG_0003_1.jpg",
        "2015/IMG_0003_1.CR2",
    }


def test_a_name_taken_in_dest_or_claimed_is_skipped_and_identical_bytes_are_not_written_again():
    view = MemoryDest()
    view.files[f"{DEST}/2015/IMG_0001.jpg"] = b"someone else's photo"
    view.files[f"{DEST}/2015/IMG_0002.jpg"] = B  # already there, byte for byte
    view.claims.add("2015/IMG_0003.jpg")  # handed out earlier in this run
    got = decide(view, archive(view))
    assert got["Albums/Trip/IMG_0001.jpg"].dest == "2015/IMG_0001_1.jpg"
    already = got["b/IMG_0002.jpg"]
    assert (already.status, already.dest, already.action) == (
        Status.PLACED,
        "2015/IMG_0002.jpg",
        Action.NONE,
    )
    assert already.note == "an identical file was already at its destination"
    assert "2015/IMG_0002.jpg" not in view.claims
    assert got["x/IMG_0003.jpg"].dest == "2015/IMG_0003_1.jpg"
    assert got["y/IMG_0003.jpg"].dest == "2015/IMG_0003_2.jpg"


def test_a_copy_of_a_file_an_earlier_run_placed_is_its_duplicate() -> None:
    view = MemoryDest()
    analyses = archive(view)
    view.earlier[digest(A)] = Placed(
        SRC, "Old/IMG_0001.jpg", "2015/IMG_0001.jpg", DateSource.EXIF, False, "done"
    )
    view.files[f"{DEST}/2015/IMG_0001.jpg"] = A  # its original has left SOURCE since
    got = decide(view, analyses)
    for rel in ("Albums/Trip/IMG_0001.jpg", ".Trash/IMG_0001.jpg"):
        assert (got[rel].status, got[rel].duplicate_of) == (Status.DUPLICATE, "Old/IMG_0001.jpg")


def test_move_mode_actions_come_from_the_filesystem_and_the_staged_output() -> None:
    for same_device, plain in ((True, Action.MOVE_RENAME), (False, Action.MOVE_COPY)):
        view = MemoryDest(same_device=same_device)
        analyses = archive(view)
        analyses[3].staged = "rotated-IMG_0001.jpg"  # the keeper of A was rotated by its worker
        got = decide(view, analyses, Mode.MOVE)
        assert got["Albums/Trip/IMG_0001.jpg"].action is Action.MOVE_STAGED
        assert got["x/IMG_0003.jpg"].action is plain
        assert got["y/IMG_0003.CR2"].action is plain
        twin = got[".Trash/IMG_0001.jpg"]  # moved aside, as it is
        assert (twin.dest, twin.action) == ("Duplicates/Trash/IMG_0001.jpg", plain)


def test_a_duplicate_photos_own_sidecar_goes_with_the_kept_copy() -> None:
    view = MemoryDest()
    got = decide(
        view,
        [
            photo(view, "b/IMG_5.jpg", A, companions=[("b/IMG_5.jpg.xmp", b"<b rating=5/>")]),
            photo(view, "a/IMG_5.jpg", A, companions=[("a/IMG_5.jpg.xmp", b"<a rating=1/>")]),
            photo(view, "c/IMG_5.jpg", A, companions=[("c/IMG_5.jpg.xmp", b"<a rating=1/>")]),
        ],
    )
    assert got["a/IMG_5.jpg"].dest == "2015/IMG_5.jpg"
    assert got["a/IMG_5.jpg.xmp"].dest == "2015/IMG_5.jpg.xmp"
    adopted = got["b/IMG_5.jpg.xmp"]  # unique: it must not be lost with its duplicate photo
    assert (adopted.status, adopted.companion_of) == (Status.PLACED, "a/IMG_5.jpg")
    assert adopted.dest is not None and adopted.dest not in ("2015/IMG_5.jpg.xmp", None)
    assert adopted.action is Action.COPY
    same = got["c/IMG_5.jpg.xmp"]  # the kept copy's sidecar, byte for byte
    assert (same.status, same.duplicate_of) == (Status.DUPLICATE, "a/IMG_5.jpg.xmp")
    assert got["b/IMG_5.jpg"].status is got["c/IMG_5.jpg"].status is Status.DUPLICATE


def test_a_file_that_cannot_be_compared_with_its_twin_is_an_error_not_a_duplicate() -> None:
    class Unreadable(MemoryDest):
        def same_bytes(self, mine: str, theirs: str) -> bool | None:
            raise PermissionError(13, "Permission denied")

    view = Unreadable()
    got = decide(view, archive(view)[:2])
    assert got["DCIM/100APPLE/IMG_0001.jpg"].status is Status.PLACED
    failed = got[".Trash/IMG_0001.jpg"]
    assert failed.status is Status.ERROR
    assert failed.reason == "cannot compare with its identical twin: Permission denied"


def test_a_runs_view_asks_the_journal_once_not_per_file(tmp_path: Path) -> None:
    """The names and hashes the journal holds are read when the run starts; deciding a file
    then costs no query, and a name handed out, held by an earlier run, or on disk is taken."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    (dest / "2015").mkdir(parents=True)
    (dest / "2015" / "d.jpg").write_bytes(b"d")
    journal = Journal.open(str(tmp_path / "j.sqlite"))
    earlier = journal.begin_run(str(src), str(dest), "copy", False, {})
    held = Decision("old.jpg", Status.PLACED, dest="2015/old.jpg", hash=digest(A))
    gone = Decision("gone.jpg", Status.PLACED, dest="2015/gone.jpg", hash=digest(B))
    journal.record(earlier, str(src), [held], "done")
    journal.record(earlier, str(src), [gone], "done")
    journal.mark_undone([(str(src), "gone.jpg", earlier)])
    run_id = journal.begin_run(str(src), str(dest), "copy", False, {})
    view = JournalView(journal, str(src), str(dest), run_id)
    statements: list[str] = []
    journal.db.set_trace_callback(statements.append)
    view.claim("2015/a.jpg")
    assert view.slot("2015/a.jpg", None) is Slot.TAKEN
    assert view.slot("2015/old.jpg", None) is Slot.TAKEN
    assert view.slot("2015/gone.jpg", None) is Slot.FREE  # its file was undone
    assert view.slot("2016/new.jpg", None) is Slot.FREE
    assert view.slot("2015/d.jpg", fsops.hash_file(str(dest / "2015" / "d.jpg"))) is Slot.IDENTICAL
    assert view.slot("2015/d.jpg", "another hash") is Slot.TAKEN
    assert view.placed_with_hash(digest(B)) is None
    assert view.placed_with_hash(digest(b"never placed")) is None
    assert statements == []
    found = view.placed_with_hash(digest(A))
    assert found is not None and found.dest == "2015/old.jpg"
    assert len(statements) == 1


def copied_pairs(view: MemoryDest) -> list[Analysis]:
    """The same RAW+JPEG pair twice, once in the trash (a copy: its RAW stays a duplicate of the
    album's), and that RAW alone in a backup folder."""
    return [
        photo(view, ".Trash/IMG_0007.jpg", A, companions=[(".Trash/IMG_0007.CR2", RAW)]),
        photo(view, "Trip/IMG_0007.jpg", A, companions=[("Trip/IMG_0007.CR2", RAW)]),
        photo(view, "RAW backup/IMG_0007.CR2", RAW),
    ]


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(3)))
def test_a_raw_standing_alone_names_the_placed_copy_of_a_raw_when_its_pair_is_a_duplicate(
    order: list[int],
) -> None:
    view = MemoryDest()
    analyses = copied_pairs(view)
    got = decide(view, [analyses[i] for i in order])
    assert got["Trip/IMG_0007.CR2"].status is Status.PLACED
    twin = got[".Trash/IMG_0007.CR2"]
    assert (twin.status, twin.duplicate_of) == (Status.DUPLICATE, "Trip/IMG_0007.CR2")
    loose = got["RAW backup/IMG_0007.CR2"]
    assert (loose.status, loose.duplicate_of) == (Status.DUPLICATE, "Trip/IMG_0007.CR2")


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(3)))
def test_a_raw_standing_alone_is_placed_when_the_pair_it_repeats_cannot_be(
    order: list[int],
) -> None:
    """The pair's JPEG lies so deep that its destination would be too long a path: the pair
    is an error and stays in SOURCE, so the RAW standing alone is the one copy DEST gets."""
    nested = Folders(Layout.NESTED, "Corrupted", "NoDate", "Duplicates")
    deep = "/".join(["d" * 200] * 21)
    view = MemoryDest()
    analyses = [
        photo(view, f"{deep}/IMG_0008.jpg", A, companions=[(f"{deep}/IMG_0008.CR2", RAW)]),
        photo(view, "RAW backup/IMG_0008.CR2", RAW),
        photo(view, "other/IMG_0009.jpg", B),
    ]
    got = decide(view, [analyses[i] for i in order], folders=nested)
    assert got[f"{deep}/IMG_0008.jpg"].status is Status.ERROR
    assert got[f"{deep}/IMG_0008.CR2"].status is Status.ERROR
    loose = got["RAW backup/IMG_0008.CR2"]
    assert (loose.status, loose.dest) == (Status.PLACED, "2015/RAW backup/IMG_0008.CR2")


def test_a_raw_standing_alone_is_a_duplicate_of_a_pairs_raw_already_moved_into_dest() -> None:
    """Move mode: the first pair is decided and moved into DEST while the RAW standing alone
    still waits for the second pair (its RAW has the same size); it is then compared with the
    first pair's RAW where that now is."""
    view = MemoryDest()
    first = photo(view, "DSLR/IMG_0010.jpg", b"1" * 100, companions=[("DSLR/IMG_0010.CR2", RAW)])
    second = photo(
        view, "DSLR/IMG_0011.jpg", b"2" * 101, companions=[("DSLR/IMG_0011.CR2", OTHER_RAW)]
    )
    loose = photo(view, "RAW backup/2005-08-03 0010.CR2", RAW)
    got = decide_moving(view, [loose, first, second])
    assert got["DSLR/IMG_0010.CR2"].dest == "2015/IMG_0010.CR2"
    copy = got["RAW backup/2005-08-03 0010.CR2"]
    assert (copy.status, copy.duplicate_of) == (Status.DUPLICATE, "DSLR/IMG_0010.CR2")
    assert copy.dest == "Duplicates/RAW backup/2005-08-03 0010.CR2"


def decide_moving(view: MemoryDest, analyses: list[Analysis]) -> dict[str, Decision]:
    """Move mode, each file leaving SOURCE for DEST as soon as its decision is handed out."""
    candidates = candidates_of(analyses)
    coordinator = Coordinator(SRC, DEST, view, candidates, FLAT, move=True)
    got: dict[str, Decision] = {}
    for analysis in analyses:
        for decision in coordinator.accept(analysis):
            assert decision.rel not in got, "a file decided twice"
            got[decision.rel] = decision
            if decision.dest is not None:
                view.files[f"{DEST}/{decision.dest}"] = view.files.pop(f"{SRC}/{decision.rel}")
    assert coordinator.waiting == 0
    return got


def raw_archive(view: MemoryDest) -> list[Analysis]:
    """Pairs of photos of several sizes whose RAW files share one size; one pair twice (in the
    trash too); backups of those RAW files under other names."""
    return [
        photo(view, "DSLR/IMG_0020.jpg", b"1" * 100, companions=[("DSLR/IMG_0020.CR2", RAW)]),
        photo(view, "DSLR/IMG_0021.jpg", b"2" * 101, companions=[("DSLR/IMG_0021.CR2", OTHER_RAW)]),
        photo(
            view, "Trash/IMG_0021.jpg", b"2" * 101, companions=[("Trash/IMG_0021.CR2", OTHER_RAW)]
        ),
        photo(view, "Backup/a.CR2", RAW),
        photo(view, "Backup/b.CR2", OTHER_RAW),
        photo(view, "Backup/c.CR2", b"T" * 300),
    ]


@settings(max_examples=80, deadline=None)
@given(st.permutations(range(6)))
def test_move_mode_settles_raw_backups_the_same_whatever_order_the_workers_finish_in(
    order: list[int],
) -> None:
    reference_view = MemoryDest()
    reference = decide_moving(reference_view, raw_archive(reference_view))
    assert reference["Backup/a.CR2"].duplicate_of == "DSLR/IMG_0020.CR2"
    assert reference["Backup/b.CR2"].duplicate_of == "DSLR/IMG_0021.CR2"
    assert reference["Backup/c.CR2"].status is Status.PLACED
    view = MemoryDest()
    analyses = raw_archive(view)
    assert outcome(decide_moving(view, [analyses[i] for i in order])) == outcome(reference)


def test_worker_proven_twins_are_compared_once_with_the_pairs_raw() -> None:
    """Three backups of a RAW, proven identical to one another by the worker that read them:
    the writer compares one of them with the pair's RAW, not each (a RAW is tens of MB, a
    video GBs: the writer's reads are the run's one serial part)."""

    class Counting(MemoryDest):
        compared: int = 0

        def same_bytes(self, mine: str, theirs: str) -> bool | None:
            self.compared += 1
            return super().same_bytes(mine, theirs)

    view = Counting()
    backups = [photo(view, f"RAW backup/{n}/IMG_0030.CR2", RAW) for n in (1, 2, 3)]
    for backup in backups:
        backup.twin_of = backups[0].rel
    pair = photo(view, "DSLR/IMG_0030.jpg", A, companions=[("DSLR/IMG_0030.CR2", RAW)])
    got = decide(view, [*backups, pair])
    for backup in backups:
        assert got[backup.rel].duplicate_of == "DSLR/IMG_0030.CR2"
    assert view.compared == 1


SOUND = {"A": b"A" * 100, "B": b"B" * 100, "R": b"R" * 300, "S": b"S" * 301, "T": b"T" * 300}
SIDECARS = {"X": b"x" * 20, "Y": b"y" * 20}
_FOLDERS = st.sampled_from(["a", "b", ".Trash", "Downloads", "backup"])
# (kind, folder, stem, photo's bytes, RAW or video's bytes, sidecar's bytes)
_FILES = st.one_of(
    st.tuples(
        st.just("pair"),
        _FOLDERS,
        st.sampled_from(["IMG_1", "IMG_2"]),
        st.sampled_from("AB"),
        st.sampled_from("RST"),
        st.sampled_from(["", "X", "Y"]),
    ),
    st.tuples(
        st.just("live"),
        _FOLDERS,
        st.sampled_from(["IMG_1", "IMG_3"]),
        st.sampled_from("AB"),
        st.sampled_from("RST"),
        st.just(""),
    ),
    st.tuples(
        st.just("photo"),
        _FOLDERS,
        st.sampled_from(["IMG_1", "p"]),
        st.sampled_from("AB"),
        st.just(""),
        st.just(""),
    ),
    st.tuples(
        st.just("raw"),
        _FOLDERS,
        st.sampled_from(["IMG_1", "r"]),
        st.just(""),
        st.sampled_from("RST"),
        st.just(""),
    ),
    st.tuples(
        st.just("video"),
        _FOLDERS,
        st.sampled_from(["IMG_3", "v"]),
        st.just(""),
        st.sampled_from("RST"),
        st.sampled_from(["", "X"]),
    ),
)


def mixed_archive(
    view: MemoryDest, files: list[tuple[str, ...]], earlier: set[str]
) -> list[Analysis]:
    analyses = []
    for kind, folder, stem, still, raw, sidecar in files:
        base = f"{folder}/{stem}"
        riders = [(f"{base}.xmp", SIDECARS[sidecar])] if sidecar else []
        if kind == "pair":
            riders.append((f"{base}.CR2", SOUND[raw]))
            analyses.append(photo(view, f"{base}.jpg", SOUND[still], companions=riders))
        elif kind == "live":
            analyses.append(
                photo(view, f"{base}.HEIC", SOUND[still], companions=[(f"{base}.MOV", SOUND[raw])])
            )
        elif kind == "photo":
            analyses.append(photo(view, f"{base}.jpg", SOUND[still]))
        else:
            name = f"{base}.MOV" if kind == "video" else f"{base}.CR2"
            analyses.append(photo(view, name, SOUND[raw], companions=riders))
    for key in sorted(earlier):
        view.earlier[digest(SOUND[key])] = Placed(
            "/old", f"old/{key}", f"2014/{key}.old", DateSource.EXIF, False, "done"
        )
        view.files[f"{DEST}/2014/{key}.old"] = SOUND[key]
    return analyses


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_FILES, min_size=1, max_size=8, unique_by=lambda f: (f[1], f[2])),
    st.randoms(use_true_random=False),
    st.booleans(),
    st.sets(st.sampled_from("ABRS"), max_size=2),
)
def test_random_archives_keep_every_content_and_name_placed_files_as_kept_in_any_order(
    files: list[tuple[str, ...]], rng: random.Random, moving: bool, earlier: set[str]
) -> None:
    """Pairs, Live Photos, photos, RAW files and videos standing alone, copies of each other and
    of files earlier runs placed, in copy and move mode, results in a random order: the same
    verdicts as in walk order; every content is placed (or was before); every duplicate names
    a file placed."""
    run = decide_moving if moving else decide
    reference_view = MemoryDest()
    reference = run(reference_view, mixed_archive(reference_view, files, earlier))
    view = MemoryDest()
    analyses = mixed_archive(view, files, earlier)
    rng.shuffle(analyses)
    got = run(view, analyses)

    def verdicts(decisions: dict[str, Decision]) -> dict[str, tuple[object, ...]]:
        return {r: (d.status, d.duplicate_of, d.companion_of) for r, d in decisions.items()}

    assert verdicts(got) == verdicts(reference)
    before = {f"/old/old/{key}" for key in earlier}
    for decision in got.values():
        if decision.status is Status.DUPLICATE and decision.duplicate_of not in before:
            kept = got[decision.duplicate_of or ""]
            assert kept.status is Status.PLACED, (decision.rel, kept.rel, kept.status)
    kept_contents = {d.hash for d in got.values() if d.status is Status.PLACED}
    assert {d.hash for d in got.values()} <= kept_contents | {digest(SOUND[k]) for k in earlier}


def test_the_nth_copy_of_one_name_does_not_try_every_suffix_before_it() -> None:
    """IMG_0001.JPG from a camera's many cards, laid out flat: each file after the first takes
    the next suffix. The n-th file tried the n-1 suffixes before it (5,000 cards: 3 minutes);
    names asked for must grow with the files, not with their square."""

    class Counting(MemoryDest):
        asked = 0

        def slot(self, name: str, content_hash: str | None, size: int | None = None) -> Slot:
            self.asked += 1
            return super().slot(name, content_hash, size)

    asked = []
    for cards in (100, 400):
        view = Counting()
        analyses = [
            photo(view, f"Card {i:03}/IMG_0001.JPG", i.to_bytes(2, "big") * 150)
            for i in range(cards)
        ]
        got = decide(view, analyses)
        assert sorted(d.dest or "" for d in got.values()) == sorted(
            ["2015/IMG_0001.JPG", *(f"2015/IMG_0001_{n}.JPG" for n in range(1, cards))]
        )
        asked.append(view.asked)
    assert asked[1] < 6 * asked[0], asked  # 4x the files: 16x the names when quadratic
