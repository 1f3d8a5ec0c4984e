"""A RAW or Live Photo video standing alone with sidecars of its own (a ``RAW backup/`` folder's
``IMG_0001.CR2`` + ``IMG_0001.CR2.xmp``, a Takeout export's ``IMG_0001.MOV`` +
``IMG_0001.MOV.json``), byte for byte the RAW or video a photo keeps beside it, is a duplicate
of that one, as one standing alone without sidecars is: DEST got the same bytes twice. Its
sidecars go as a duplicate photo's do: one whose bytes the kept family holds is a duplicate too,
any other (the user's edits in the backup's XMP) goes with the kept RAW or video."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_companions import assert_every_unique_file_kept, beside, by_source
from test_decide import (
    OTHER_RAW,
    RAW,
    SOUND,
    MemoryDest,
    candidates_of,
    decide,
    decide_moving,
    digest,
    mixed_archive,
    photo,
)
from test_family_review import raw_from
from test_formats import heic, needs_ffmpeg, video

from conftest import tree_digest
from engine.policy.naming import Layout
from engine.records import Analysis, Decision, Status
from engine.stages.decide import Coordinator, Folders

NESTED = Folders(Layout.NESTED, "Corrupted", "NoDate", "Duplicates")
RATED = b'<x:xmpmeta><rdf:Description xmp:Rating="3"/></x:xmpmeta>'  # Lightroom's, on the card
EDITED = b'<x:xmpmeta><rdf:Description xmp:Rating="5" crs:CropTop="0.1"/></x:xmpmeta>'
CARD = "Card/DCIM/100CANON"
JPEG = b"J" * 150  # the pair's photo: another size than its RAW, settled as soon as it arrives
# A move run over ``card_and_backup`` renames its seven files one by one (renameat2): the pair
# (JPEG, RAW, XMP), the older backup's RAW and XMP, the edits, the backup's RAW. Killed before
# the pair's RAW, before the older backup, before the edits, before the RAW they came with.
KILLED_AT = (2, 4, 6, 7)


def sided_backups(view: MemoryDest) -> list[Analysis]:
    """A RAW+JPEG pair with Lightroom's XMP, and a backup folder of that RAW three times over,
    each with an XMP of its own: the user's edits, the card's XMP again, the edits again; and
    a RAW of its own of the same size, with the card's XMP."""
    return [
        photo(
            view,
            "DSLR/IMG_0005.jpg",
            JPEG,
            companions=[("DSLR/IMG_0005.CR2", RAW), ("DSLR/IMG_0005.xmp", RATED)],
        ),
        photo(
            view,
            "RAW backup/IMG_0005.CR2",
            RAW,
            companions=[("RAW backup/IMG_0005.CR2.xmp", EDITED)],
        ),
        photo(
            view,
            "RAW backup/old/IMG_0005.CR2",
            RAW,
            companions=[("RAW backup/old/IMG_0005.xmp", RATED)],
        ),
        photo(
            view,
            "RAW backup/new/IMG_0005.CR2",
            RAW,
            companions=[("RAW backup/new/IMG_0005.CR2.xmp", EDITED)],
        ),
        photo(
            view,
            "RAW backup/IMG_0006.CR2",
            OTHER_RAW,
            companions=[("RAW backup/IMG_0006.CR2.xmp", RATED)],
        ),
    ]


def verdicts(decisions: dict[str, Decision]) -> dict[str, tuple[object, ...]]:
    return {
        rel: (d.status, d.dest, d.duplicate_of, d.companion_of, d.action, d.reason)
        for rel, d in decisions.items()
    }


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(5)))
def test_a_raw_standing_alone_with_its_sidecars_is_the_pairs_duplicate_in_any_order(
    order: list[int],
) -> None:
    reference_view = MemoryDest()
    reference = decide(reference_view, sided_backups(reference_view), folders=NESTED)
    raw = reference["DSLR/IMG_0005.CR2"]
    assert (raw.status, raw.dest) == (Status.PLACED, "2015/DSLR/IMG_0005.CR2")
    for rel in (
        "RAW backup/IMG_0005.CR2",
        "RAW backup/old/IMG_0005.CR2",
        "RAW backup/new/IMG_0005.CR2",
    ):
        copy = reference[rel]
        assert (copy.status, copy.duplicate_of, copy.dest) == (
            Status.DUPLICATE,
            "DSLR/IMG_0005.CR2",
            None,
        ), rel
    edits = reference["RAW backup/IMG_0005.CR2.xmp"]  # the user's edits: beside the kept RAW
    assert (edits.status, edits.dest, edits.companion_of) == (
        Status.PLACED,
        "2015/DSLR/IMG_0005.CR2.xmp",
        "DSLR/IMG_0005.CR2",
    )
    rated = reference["RAW backup/old/IMG_0005.xmp"]  # the card's XMP again
    assert (rated.status, rated.duplicate_of, rated.dest) == (
        Status.DUPLICATE,
        "DSLR/IMG_0005.xmp",
        None,
    )
    again = reference["RAW backup/new/IMG_0005.CR2.xmp"]  # the edits again
    assert (again.status, again.duplicate_of) == (Status.DUPLICATE, "RAW backup/IMG_0005.CR2.xmp")
    own = reference["RAW backup/IMG_0006.CR2"], reference["RAW backup/IMG_0006.CR2.xmp"]
    assert [d.status for d in own] == [Status.PLACED, Status.PLACED]
    placed = [d.hash for d in reference.values() if d.status is Status.PLACED]
    assert placed.count(digest(RAW)) == 1 and placed.count(digest(EDITED)) == 1
    view = MemoryDest()
    analyses = sided_backups(view)
    got = decide(view, [analyses[i] for i in order], folders=NESTED)
    assert verdicts(got) == verdicts(reference)
    assert view.claims == reference_view.claims


def copied_pairs(view: MemoryDest) -> list[Analysis]:
    """A RAW+JPEG pair with its XMP twice (in the trash too: a duplicate, its RAW and XMP with
    it), and the RAW alone in a backup folder with that XMP again and one of its own."""
    return [
        photo(
            view,
            ".Trash/IMG_0007.jpg",
            JPEG,
            companions=[(".Trash/IMG_0007.CR2", RAW), (".Trash/IMG_0007.CR2.xmp", RATED)],
        ),
        photo(
            view,
            "Trip/IMG_0007.jpg",
            JPEG,
            companions=[("Trip/IMG_0007.CR2", RAW), ("Trip/IMG_0007.CR2.xmp", RATED)],
        ),
        photo(
            view,
            "RAW backup/IMG_0007.CR2",
            RAW,
            companions=[
                ("RAW backup/IMG_0007.CR2.xmp", RATED),
                ("RAW backup/IMG_0007.pp3", EDITED),
            ],
        ),
    ]


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(3)))
def test_a_sidecar_repeating_a_duplicate_pairs_names_the_placed_one_in_any_order(
    order: list[int],
) -> None:
    """The backup's RAW and XMP repeat those of the pair in the trash, themselves duplicates:
    each names the file placed, the pair's in ``Trip/``; its RawTherapee edits go beside it."""
    view = MemoryDest()
    analyses = copied_pairs(view)
    got = decide(view, [analyses[i] for i in order])
    loose = got["RAW backup/IMG_0007.CR2"]
    assert (loose.status, loose.duplicate_of) == (Status.DUPLICATE, "Trip/IMG_0007.CR2")
    rated = got["RAW backup/IMG_0007.CR2.xmp"]
    assert (rated.status, rated.duplicate_of) == (Status.DUPLICATE, "Trip/IMG_0007.CR2.xmp")
    edits = got["RAW backup/IMG_0007.pp3"]
    assert (edits.status, edits.dest, edits.companion_of) == (
        Status.PLACED,
        "2015/IMG_0007.pp3",
        "Trip/IMG_0007.CR2",
    )
    assert got["Trip/IMG_0007.CR2"].dest == "2015/IMG_0007.CR2"


def decide_moving_in_batches(
    view: MemoryDest, analyses: list[Analysis], folders: Folders = NESTED
) -> tuple[dict[str, Decision], dict[str, int]]:
    """Move mode, each file leaving SOURCE as soon as its decision is handed out: the decisions
    and the batch (the worker result) each was handed out with."""
    coordinator = Coordinator("/src", "/dest", view, candidates_of(analyses), folders, move=True)
    got: dict[str, Decision] = {}
    batch: dict[str, int] = {}
    for n, analysis in enumerate(analyses):
        for decision in coordinator.accept(analysis):
            assert decision.rel not in got, "a file decided twice"
            got[decision.rel], batch[decision.rel] = decision, n
            if decision.dest is not None:
                view.files[f"/dest/{decision.dest}"] = view.files.pop(f"/src/{decision.rel}")
    assert coordinator.waiting == 0
    return got, batch


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(5)))
def test_move_mode_sets_the_copies_aside_and_moves_their_edits_beside_the_kept_raw(
    order: list[int],
) -> None:
    """Move mode: each copy goes to Duplicates/ with the sidecars whose bytes DEST holds; the
    edits go beside the kept RAW, never after their RAW (a crash between the two would leave
    them in SOURCE without it); whatever the order, and wherever the pair already went."""
    reference_view = MemoryDest()
    reference, _ = decide_moving_in_batches(reference_view, sided_backups(reference_view))
    assert reference["RAW backup/IMG_0005.CR2"].dest == "Duplicates/RAW backup/IMG_0005.CR2"
    rated = reference["RAW backup/old/IMG_0005.xmp"]
    assert (rated.dest, rated.duplicate_of) == (
        "Duplicates/RAW backup/old/IMG_0005.xmp",
        "DSLR/IMG_0005.xmp",
    )
    edits = reference["RAW backup/IMG_0005.CR2.xmp"]
    assert (edits.status, edits.dest) == (Status.PLACED, "2015/DSLR/IMG_0005.CR2.xmp")
    view = MemoryDest()
    analyses = sided_backups(view)
    got, batch = decide_moving_in_batches(view, [analyses[i] for i in order])
    assert verdicts(got) == verdicts(reference)
    assert batch["RAW backup/IMG_0005.CR2.xmp"] <= batch["RAW backup/IMG_0005.CR2"]
    assert sorted(view.files) == sorted(reference_view.files)
    assert not [path for path in view.files if path.startswith("/src/")]


def test_a_raw_standing_alone_with_its_sidecar_is_placed_with_it_when_the_pair_cannot_be() -> None:
    """The pair lies so deep its destination would be too long a path: the backup's RAW is the
    one copy DEST gets, its XMP beside it."""
    deep = "/".join(["d" * 200] * 21)
    view = MemoryDest()
    analyses = [
        photo(view, f"{deep}/IMG_0008.jpg", JPEG, companions=[(f"{deep}/IMG_0008.CR2", RAW)]),
        photo(
            view,
            "RAW backup/IMG_0008.CR2",
            RAW,
            companions=[("RAW backup/IMG_0008.CR2.xmp", EDITED)],
        ),
    ]
    for order in (analyses, analyses[::-1]):
        got = decide(MemoryDest(files=dict(view.files)), order, folders=NESTED)
        assert got[f"{deep}/IMG_0008.CR2"].status is Status.ERROR
        loose, edits = got["RAW backup/IMG_0008.CR2"], got["RAW backup/IMG_0008.CR2.xmp"]
        assert (loose.status, loose.dest) == (Status.PLACED, "2015/RAW backup/IMG_0008.CR2")
        assert (edits.status, edits.dest, edits.companion_of) == (
            Status.PLACED,
            "2015/RAW backup/IMG_0008.CR2.xmp",
            "RAW backup/IMG_0008.CR2",
        )


_FOLDERS = st.sampled_from(["a", "b", ".Trash", "backup"])
# (kind, folder, stem, photo's bytes, RAW or video's bytes, sidecar's bytes), as test_decide's
# random archives, the RAW files and videos standing alone with sidecars of their own
_FILES = st.one_of(
    st.tuples(
        st.just("pair"),
        _FOLDERS,
        st.sampled_from(["IMG_1", "IMG_2"]),
        st.sampled_from("AB"),
        st.sampled_from("RS"),
        st.sampled_from(["", "X", "Y"]),
    ),
    st.tuples(
        st.just("live"),
        _FOLDERS,
        st.just("IMG_3"),
        st.sampled_from("AB"),
        st.sampled_from("RS"),
        st.just(""),
    ),
    st.tuples(
        st.sampled_from(["raw", "video"]),
        _FOLDERS,
        st.sampled_from(["IMG_1", "IMG_3", "r"]),
        st.just(""),
        st.sampled_from("RST"),
        st.sampled_from(["", "X", "Y"]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_FILES, min_size=2, max_size=7, unique_by=lambda f: (f[1], f[2])),
    st.randoms(use_true_random=False),
    st.booleans(),
    st.sets(st.sampled_from("RS"), max_size=1),
)
def test_random_archives_never_place_a_pairs_raw_or_video_twice(
    files: list[tuple[str, ...]], rng: random.Random, moving: bool, earlier: set[str]
) -> None:
    """Pairs, Live Photos, RAW files and videos standing alone with sidecars or without, copies
    of each other and of files earlier runs placed, copy and move mode, results in a random
    order: the same verdicts as in walk order; no file standing alone is placed with bytes a
    photo's RAW or video placed holds; every content is placed (or was before); every
    duplicate names a file placed."""
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
    placed = [d for d in got.values() if d.status is Status.PLACED]
    carried = {d.hash for d in placed if d.companion_of is not None and d.hash in MOVABLE}
    alone = [d.rel for d in placed if d.companion_of is None and d.hash in carried]
    assert not alone
    before = {f"/old/old/{key}" for key in earlier}
    for decision in got.values():
        if decision.status is Status.DUPLICATE and decision.duplicate_of not in before:
            kept = got[decision.duplicate_of or ""]
            assert kept.status is Status.PLACED, (decision.rel, kept.rel, kept.status)
    kept_contents = {d.hash for d in placed}
    assert {d.hash for d in got.values()} <= kept_contents | {digest(SOUND[k]) for k in earlier}


MOVABLE = {digest(SOUND[k]) for k in "RST"}


# Real archives ------------------------------------------------------------------------------


def card_and_backup(src: Path, corpus: Path) -> bytes:
    """A Canon card shot RAW+JPEG, Lightroom's XMP of the RAW beside it; a ``RAW backup``
    folder with that RAW twice: once with the XMP of the user's edits, once (an older backup)
    with the card's XMP again. Returns the RAW's bytes."""
    card = src / CARD
    card.mkdir(parents=True)
    shutil.copyfile(corpus / "camera/Canon_40D.jpg", card / "IMG_0001.JPG")
    raw = raw_from(corpus / "camera/Canon_40D.jpg")
    (card / "IMG_0001.CR2").write_bytes(raw)
    (card / "IMG_0001.xmp").write_bytes(RATED)
    backup = src / "RAW backup"
    (backup / "2008").mkdir(parents=True)
    (backup / "IMG_0001.CR2").write_bytes(raw)
    (backup / "IMG_0001.CR2.xmp").write_bytes(EDITED)
    (backup / "2008" / "IMG_0001.CR2").write_bytes(raw)
    (backup / "2008" / "IMG_0001.xmp").write_bytes(RATED)
    return raw


def outcomes(report: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        line["source"]: (line["status"], line["dest"], line["duplicate_of"], line["companion_of"])
        for line in report
    }


def placed_outside_duplicates(dest: Path) -> dict[str, str]:
    return {
        rel: sha
        for rel, (sha, _) in tree_digest(dest).items()
        if not rel.startswith(("Duplicates/", ".imgorg/"))
    }


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_raw_backup_with_its_own_sidecars_keeps_the_pair_whole(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """The backup's RAW files are duplicates of the pair's, its copy of the card's XMP one of
    that XMP; the edits go beside the kept RAW. The same with one worker or two; a copy run
    done again changes nothing; a move run is verified and undone."""
    from engine.cli import main

    pristine = tmp_path / "pristine"
    raw = card_and_backup(pristine, corpus)
    before = tree_digest(pristine)
    runs = []
    for jobs in ("1", "2"):
        src, dest = tmp_path / f"Pictures{jobs}", tmp_path / f"out{jobs}"
        shutil.copytree(pristine, src)
        code, report = organize(src, dest, "--min-size", "0", "--mode", mode, "--jobs", jobs)
        assert code == 0, [line for line in report if line["status"] == "error"]
        lines = by_source(report)
        assert sorted(lines) == sorted(before) and len(report) == len(before)
        pair_raw = lines[f"{CARD}/IMG_0001.CR2"]
        assert pair_raw["status"] == "placed" and beside(pair_raw, lines[f"{CARD}/IMG_0001.JPG"])
        for rel in ("RAW backup/IMG_0001.CR2", "RAW backup/2008/IMG_0001.CR2"):
            assert (lines[rel]["status"], lines[rel]["duplicate_of"]) == (
                "duplicate",
                f"{CARD}/IMG_0001.CR2",
            ), lines[rel]
        edits = lines["RAW backup/IMG_0001.CR2.xmp"]
        assert (edits["status"], edits["dest"], edits["companion_of"]) == (
            "placed",
            pair_raw["dest"] + ".xmp",
            f"{CARD}/IMG_0001.CR2",
        ), edits
        rated = lines["RAW backup/2008/IMG_0001.xmp"]
        assert (rated["status"], rated["duplicate_of"]) == ("duplicate", f"{CARD}/IMG_0001.xmp")
        placed = placed_outside_duplicates(dest)
        assert list(placed.values()).count(before[f"{CARD}/IMG_0001.CR2"][0]) == 1
        assert (dest / pair_raw["dest"]).read_bytes() == raw
        assert_every_unique_file_kept(before, dest, report)
        runs.append(outcomes(report))
        if mode == "move":
            assert tree_digest(src) == {}
            assert sorted(rel for rel in tree_digest(dest) if rel.startswith("Duplicates/")) == [
                "Duplicates/RAW backup/2008/IMG_0001.CR2",
                "Duplicates/RAW backup/2008/IMG_0001.xmp",
                "Duplicates/RAW backup/IMG_0001.CR2",
            ]
        else:
            assert tree_digest(src) == before
            code, again = organize(src, dest, "--min-size", "0", "--jobs", jobs)
            assert code == 0 and placed_outside_duplicates(dest) == placed
            assert outcomes(again) == runs[-1]
        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert tree_digest(src) == before
    assert runs[0] == runs[1]


@needs_ffmpeg
@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_live_photo_video_exported_with_its_json_is_a_duplicate_of_the_pairs(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
    mode: str,
) -> None:
    """An iPhone's Live Photo, and its video exported alone by Google Takeout with the JSON
    Takeout writes beside it (a description the user typed): the video is placed once, beside
    its photo, and the JSON, its own words, beside it."""
    src = tmp_path / "iPhone"
    dcim = src / "DCIM" / "100APPLE"
    heic(dcim / "IMG_0001.HEIC", dt.datetime(2021, 7, 4, 15, 30))
    video(dcim / "IMG_0001.MOV", creation="2021-07-04T15:30:00Z")
    export = src / "Takeout" / "Google Photos" / "Photos from 2021"
    export.mkdir(parents=True)
    shutil.copyfile(dcim / "IMG_0001.MOV", export / "IMG_0001.MOV")
    said = {
        "title": "IMG_0001.MOV",
        "description": "the lake at four",
        "photoTakenTime": {"timestamp": "1625412600"},
    }
    (export / "IMG_0001.MOV.json").write_text(json.dumps(said))
    before = tree_digest(src)
    dest = tmp_path / "out"

    code, report = organize(src, dest, "--min-size", "0", "--mode", mode)

    assert code == 0
    lines = by_source(report)
    movie = lines["DCIM/100APPLE/IMG_0001.MOV"]
    assert movie["status"] == "placed" and beside(movie, lines["DCIM/100APPLE/IMG_0001.HEIC"])
    loose = lines["Takeout/Google Photos/Photos from 2021/IMG_0001.MOV"]
    assert (loose["status"], loose["duplicate_of"]) == ("duplicate", "DCIM/100APPLE/IMG_0001.MOV")
    words = lines["Takeout/Google Photos/Photos from 2021/IMG_0001.MOV.json"]
    assert (words["status"], words["dest"], words["companion_of"]) == (
        "placed",
        movie["dest"] + ".json",
        "DCIM/100APPLE/IMG_0001.MOV",
    )
    kept = placed_outside_duplicates(dest)
    assert list(kept.values()).count(before["DCIM/100APPLE/IMG_0001.MOV"][0]) == 1
    assert_every_unique_file_kept(before, dest, report)
    if mode == "move":
        from engine.cli import main

        assert tree_digest(src) == {}
        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_move_killed_among_the_backups_resumes_to_the_same_dest(
    tmp_path: Path, corpus: Path
) -> None:
    """A move run over the card and its RAW backup, SIGKILLed before one of its renames: the same command resumes it to the DEST a run never stopped makes,
    verify passes, undo gives SOURCE back byte for byte."""
    import test_crash_points as points

    from conftest import imgorg

    pristine = tmp_path / "pristine"
    card_and_backup(pristine, corpus)
    before = tree_digest(pristine)
    clean = tmp_path / "clean"
    shutil.copytree(pristine, clean / "src")
    code, out = imgorg(*points.command(clean / "src", clean / "dest", "move")[3:])
    assert code == 0, out
    expected = placed_outside_duplicates(clean / "dest")
    assert list(expected.values()).count(before[f"{CARD}/IMG_0001.CR2"][0]) == 1
    broken = {}
    for k in KILLED_AT:
        src, dest = tmp_path / f"killed{k}" / "src", tmp_path / f"killed{k}" / "dest"
        shutil.copytree(pristine, src)
        points.kill_at(src, dest, "move", "renameat2", k)
        if tree_digest(src) in ({}, before):
            broken[k] = "not killed half-way"
            continue
        code, out = imgorg(*points.command(src, dest, "move")[3:])
        if code != 0:
            broken[k] = f"resume exit {code}: {out[-300:]}"
        elif placed_outside_duplicates(dest) != expected:
            broken[k] = f"DEST differs: {placed_outside_duplicates(dest)}"
        elif imgorg("verify", str(dest))[0] != 0:
            broken[k] = "verify failed"
        elif imgorg("undo", str(dest))[0] != 0 or tree_digest(src) != before:
            broken[k] = f"undo left SOURCE {sorted(tree_digest(src))}"
    assert not broken, broken


def test_a_move_after_a_copy_run_releases_the_backups_edits_it_placed_beside_the_kept_raw(
    tmp_path: Path,
    corpus: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """The card and its RAW backup copied, then moved to empty them: the edits the copy run
    placed beside the kept RAW are that file's copy (released, not a second copy in
    Duplicates/ nor a duplicate of themselves); verify passes; two undos give SOURCE back."""
    from engine.cli import main

    src, dest = tmp_path / "src", tmp_path / "dest"
    card_and_backup(src, corpus)
    before = tree_digest(src)
    code, first = organize(src, dest, "--min-size", "0")
    assert code == 0
    placed = placed_outside_duplicates(dest)
    edits = by_source(first)["RAW backup/IMG_0001.CR2.xmp"]
    assert edits["status"] == "placed", edits
    code, second = organize(src, dest, "--min-size", "0", "--mode", "move")
    assert code == 0
    moved = by_source(second)["RAW backup/IMG_0001.CR2.xmp"]
    assert (moved["status"], moved["dest"]) == ("placed", edits["dest"]), moved
    assert placed_outside_duplicates(dest) == placed
    assert not any(rel.endswith("IMG_0001.CR2.xmp") for rel in tree_digest(dest / "Duplicates"))
    assert tree_digest(src) == {}
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(src) == before
