"""--mode hardlink and --mode symlink: a year view of SOURCE made of links, no copies.

Built from corpus photos: an oversized phone JPEG (which copy mode would re-encode), a rotated
one (which copy mode would turn) and a byte-duplicate in a second folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_safety import mount_tmpfs

from conftest import corpus_or_skip, imgorg, tree_digest
from engine.cli import main

PHONE = "phone/HMD_Nokia_8.3_5G.jpg"
ROTATED = "orientation/Portrait_6.jpg"


def archive(root: Path) -> None:
    corpus = corpus_or_skip()
    (root / "phone").mkdir(parents=True)
    (root / "album").mkdir()
    shutil.copy2(corpus / PHONE, root / "phone" / "big.jpg")
    shutil.copy2(corpus / ROTATED, root / "phone" / "turned.jpg")
    shutil.copy2(corpus / PHONE, root / "album" / "big.jpg")  # a byte-duplicate


def placed(report: list[dict]) -> list[dict]:
    return [line for line in report if line["status"] == "placed"]


@pytest.mark.parametrize("mode", ["hardlink", "symlink"])
def test_a_link_mode_makes_a_year_view_of_links_and_undo_removes_them(
    tmp_path: Path, organize, mode: str
) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    before = tree_digest(src)
    code, report = organize(src, dest, "--mode", mode, "--compress-above", "100KB")
    assert code == 0
    lines = placed(report)
    assert len(lines) == 2 and [x["status"] for x in report].count("duplicate") == 1
    for line in lines:
        path, origin = dest / line["dest"], src / line["source"]
        assert not line["compressed"] and not line["rotated"]  # a link shows the source's bytes
        if mode == "hardlink":
            assert not path.is_symlink() and path.stat().st_ino == origin.stat().st_ino
        else:
            assert path.is_symlink() and os.readlink(path) == str(origin)
    assert tree_digest(src) == before  # SOURCE untouched
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert not [p for p in dest.rglob("*") if p.is_file() and ".imgorg" not in p.parts]
    assert tree_digest(src) == before


def test_undo_of_a_symlink_view_drops_a_link_whose_target_is_gone(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    code, _ = organize(src, dest, "--mode", "symlink")
    assert code == 0
    (src / "phone" / "turned.jpg").unlink()  # the user deleted a photo after the run
    main(["undo", str(dest)])
    assert not [p for p in dest.rglob("*") if p.is_symlink()]
    assert not (src / "phone" / "turned.jpg").exists()  # a dangling link is not "moved back"


def test_undo_of_a_hardlink_view_puts_back_a_photo_whose_source_name_is_gone(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A hard link is the file itself: if SOURCE lost its name, the link is the only copy."""
    src, dest = tmp_path / "src", tmp_path / "out"
    archive(src)
    data = (src / "phone" / "turned.jpg").read_bytes()
    code, _ = organize(src, dest, "--mode", "hardlink")
    assert code == 0
    (src / "phone" / "turned.jpg").unlink()
    assert main(["undo", str(dest)]) == 0
    assert (src / "phone" / "turned.jpg").read_bytes() == data


def test_hardlinks_across_filesystems_are_refused_up_front(
    tmp_path: Path, organize, capsys
) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    archive(src)
    other = mount_tmpfs(tmp_path / "fs", "32m")
    try:
        code, report = organize(src, other / "out", "--mode", "hardlink")
        assert code == 2 and not report
        assert "one filesystem" in capsys.readouterr().err
        assert not [p for p in (other / "out").rglob("*.jpg")]
    finally:
        subprocess.run(["umount", "-l", str(other)], check=False)


# --- a later run over the same SOURCE --------------------------------------------------------

NIKON = "camera/DSCN0010.jpg"  # 2008
CANON = "camera/canon-ixus.jpg"  # 2001
RATING = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
    '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/></rdf:RDF></x:xmpmeta>'
)


def card(root: Path) -> None:
    corpus = corpus_or_skip()
    (root / "DCIM").mkdir(parents=True)
    shutil.copy2(corpus / NIKON, root / "DCIM" / "IMG_1.jpg")
    shutil.copy2(corpus / CANON, root / "DCIM" / "IMG_2.jpg")


def in_dest(dest: Path) -> dict[str, Path]:
    """DEST's files and links (not its own folder): path below DEST -> path."""
    return {
        str(p.relative_to(dest)): p
        for p in dest.rglob("*")
        if ".imgorg" not in p.parts and (p.is_symlink() or p.is_file())
    }


@pytest.mark.parametrize("mode", ["symlink", "hardlink", "copy"])
def test_a_sidecar_new_beside_a_placed_photo_joins_it_and_undo_takes_back_only_it(
    tmp_path: Path, organize, mode: str
) -> None:  # type: ignore[no-untyped-def]
    """Lightroom wrote a rating beside a photo an earlier run placed; the same command runs
    again. The photo stays placed once (a symlink run linked it a second time, as
    IMG_1_1.jpg with IMG_1_1.xmp); the sidecar goes beside it. Undo takes back the sidecar,
    then the rest."""
    src, dest = tmp_path / "card", tmp_path / "view"
    card(src)
    assert organize(src, dest, "--mode", mode)[0] == 0
    first = sorted(in_dest(dest))
    assert first == ["2001/DCIM/IMG_2.jpg", "2008/DCIM/IMG_1.jpg"]
    (src / "DCIM" / "IMG_1.xmp").write_text(RATING)
    before = tree_digest(src)
    code, report = organize(src, dest, "--mode", mode)
    assert code == 0
    held = in_dest(dest)
    assert sorted(held) == [*first, "2008/DCIM/IMG_1.xmp"], sorted(held)
    by_source = {line["source"]: line for line in report}
    assert by_source["DCIM/IMG_1.jpg"]["dest"] == "2008/DCIM/IMG_1.jpg"
    assert by_source["DCIM/IMG_1.jpg"]["note"] == "already placed by an earlier run"
    sidecar = by_source["DCIM/IMG_1.xmp"]
    assert (sidecar["status"], sidecar["companion_of"]) == ("placed", "DCIM/IMG_1.jpg")
    for rel, path in held.items():
        assert path.is_symlink() == (mode == "symlink"), rel
    assert held["2008/DCIM/IMG_1.xmp"].read_text() == RATING
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0  # the second run: the sidecar alone
    assert sorted(in_dest(dest)) == first
    assert main(["undo", str(dest)]) == 0
    assert not in_dest(dest)
    assert tree_digest(src) == before  # SOURCE untouched, the sidecar included


def test_a_photo_a_symlink_run_found_linked_again_is_no_copy_for_a_later_copy_run(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A symlink view, a sidecar that appeared since, the view made again (the photo found
    already linked). A copy run of the same card says that DEST holds only links to its 3
    files; a second card holding the same photo is copied: DEST holds only a link to the first
    card's photo, so the second card's photo is copied, not called a duplicate of that link."""
    src, dest, other = tmp_path / "card", tmp_path / "view", tmp_path / "card2"
    card(src)
    assert organize(src, dest, "--mode", "symlink")[0] == 0
    (src / "DCIM" / "IMG_1.xmp").write_text(RATING)
    assert organize(src, dest, "--mode", "symlink")[0] == 0
    assert sorted(in_dest(dest)) == [
        "2001/DCIM/IMG_2.jpg",
        "2008/DCIM/IMG_1.jpg",
        "2008/DCIM/IMG_1.xmp",
    ]
    code, out = imgorg("organize", str(src), str(dest), "--mode", "copy", "--plain")
    assert code == 0
    assert "3 of them are in DEST only as symbolic links" in out, out
    (other / "DCIM").mkdir(parents=True)
    shutil.copy2(corpus_or_skip() / NIKON, other / "DCIM" / "IMG_1.jpg")
    code, report = organize(other, dest)
    assert code == 0
    [line] = report
    assert line["status"] == "placed", line
    copy = dest / line["dest"]
    assert not copy.is_symlink()
    assert copy.read_bytes() == (other / "DCIM" / "IMG_1.jpg").read_bytes()


@pytest.mark.parametrize("mode", ["symlink", "hardlink"])
def test_a_sidecar_edited_in_source_stays_at_its_link(tmp_path: Path, organize, mode: str) -> None:  # type: ignore[no-untyped-def]
    """Lightroom rewrote a linked photo's sidecar in SOURCE; the same command runs again. The
    view's name for it already shows the edit (the link's target, the one file of both): the
    photo and the sidecar stay as they are, and verify names the sidecar changed since the
    first run, nothing more (not a link where a copy was written, nor a second link)."""
    src, dest = tmp_path / "card", tmp_path / "view"
    card(src)
    (src / "DCIM" / "IMG_1.xmp").write_text(RATING)
    assert organize(src, dest, "--mode", mode)[0] == 0
    first = sorted(in_dest(dest))
    assert "2008/DCIM/IMG_1.xmp" in first
    with open(src / "DCIM" / "IMG_1.xmp", "r+") as sidecar:  # rewritten in place
        sidecar.write(RATING.replace('Rating="4"', 'Rating="5"'))
    code, report = organize(src, dest, "--mode", mode)
    assert code == 0
    assert sorted(in_dest(dest)) == first
    by_source = {line["source"]: line for line in report}
    assert by_source["DCIM/IMG_1.xmp"]["dest"] == "2008/DCIM/IMG_1.xmp"
    assert by_source["DCIM/IMG_1.jpg"]["dest"] == "2008/DCIM/IMG_1.jpg"
    assert imgorg("verify", str(dest)) == (
        1,
        "verified 4 files: 0 missing, 1 changed\n  changed: 2008/DCIM/IMG_1.xmp\n",
    )


def card_with_a_copy_in_an_album(src: Path) -> None:
    """A card's photo ``DCIM/IMG_2.jpg`` and the same bytes in ``album/``, with a sidecar
    there: the album's copy is the one kept."""
    (src / "DCIM").mkdir(parents=True)
    (src / "album").mkdir()
    shutil.copy2(corpus_or_skip() / CANON, src / "DCIM" / "IMG_2.jpg")
    shutil.copy2(corpus_or_skip() / CANON, src / "album" / "IMG_2.jpg")
    (src / "album" / "IMG_2.xmp").write_text(RATING)


@pytest.mark.parametrize("mode", ["symlink", "hardlink"])
@pytest.mark.parametrize("repeats", [False, True], ids=["its-own-sidecar", "a-repeated-sidecar"])
def test_a_sidecar_new_beside_a_duplicate_goes_with_the_kept_copy(
    tmp_path: Path, organize, mode: str, repeats: bool
) -> None:  # type: ignore[no-untyped-def]
    """The card's photo is also in an album folder, the copy the first run kept. A sidecar
    appears beside the card's copy: the photo stays a duplicate (a symlink run linked it on
    its own, the view then showing it twice) and its sidecar goes with the kept copy, or is a
    duplicate where it repeats the kept copy's own."""
    src, dest = tmp_path / "card", tmp_path / "view"
    card_with_a_copy_in_an_album(src)
    assert organize(src, dest, "--mode", mode)[0] == 0
    first = sorted(in_dest(dest))
    assert first == ["2001/album/IMG_2.jpg", "2001/album/IMG_2.xmp"]
    (src / "DCIM" / "IMG_2.xmp").write_text(RATING if repeats else RATING.replace("4", "2"))
    before = tree_digest(src)
    code, report = organize(src, dest, "--mode", mode)
    assert code == 0
    by_source = {line["source"]: line for line in report}
    photo, sidecar = by_source["DCIM/IMG_2.jpg"], by_source["DCIM/IMG_2.xmp"]
    assert (photo["status"], photo["duplicate_of"]) == ("duplicate", "album/IMG_2.jpg")
    if repeats:
        assert (sidecar["status"], sidecar["duplicate_of"]) == ("duplicate", "album/IMG_2.xmp")
        assert sorted(in_dest(dest)) == first
        return
    # beside the kept copy its name is the kept copy's own sidecar's: on its own, in its year
    assert (sidecar["status"], sidecar["dest"]) == ("placed", "2001/DCIM/IMG_2.xmp")
    assert sorted(in_dest(dest)) == ["2001/DCIM/IMG_2.xmp", *first]
    assert main(["undo", str(dest)]) == 0
    assert sorted(in_dest(dest)) == first
    assert tree_digest(src) == before


def test_a_symlink_view_undone_after_a_run_that_found_its_links_is_made_whole_again(
    tmp_path: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A symlink view; a photo touched on the card (a viewer set its time), so the next run
    finds it at its link and changes nothing; undo then takes back the view itself. Made
    again, the view links every photo: the run that found the link does not stand for it."""
    src, dest = tmp_path / "card", tmp_path / "view"
    card(src)
    assert organize(src, dest, "--mode", "symlink")[0] == 0
    linked = sorted(in_dest(dest))
    os.utime(src / "DCIM" / "IMG_2.jpg")
    code, report = organize(src, dest, "--mode", "symlink")
    assert code == 0
    assert {line["source"]: line["note"] for line in report}["DCIM/IMG_2.jpg"] == (
        "already placed by an earlier run"
    )
    assert main(["undo", str(dest)]) == 0  # the view's run: the other changed nothing
    assert not in_dest(dest)
    assert organize(src, dest, "--mode", "symlink")[0] == 0
    assert sorted(in_dest(dest)) == linked
    assert all(path.is_symlink() for path in in_dest(dest).values())


DAMAGED = "corrupt/corrupted.jpg"  # damaged image data: set aside in Corrupted/


@pytest.mark.parametrize("mode", ["symlink", "hardlink", "copy"])
@pytest.mark.parametrize("change", ["a-new-sidecar", "touched"])
def test_a_damaged_photo_decided_again_stays_where_it_was_set_aside(
    tmp_path: Path, organize, mode: str, change: str
) -> None:  # type: ignore[no-untyped-def]
    """A damaged photo the first run set aside; since, a sidecar appeared beside it on the
    card, or a viewer touched it. The same command runs again: the photo stays at its one
    name in Corrupted/ (it was set aside a second time, as IMG_5_1.jpg: a symlink run's second
    link to it, a copy run's second copy), the sidecar goes beside it. Undo takes back the
    sidecar, then the rest; verify is clean at each step."""
    src, dest = tmp_path / "card", tmp_path / "view"
    card(src)
    shutil.copy2(corpus_or_skip() / DAMAGED, src / "DCIM" / "IMG_5.jpg")
    assert organize(src, dest, "--mode", mode)[0] == 0
    first = sorted(in_dest(dest))
    assert "Corrupted/DCIM/IMG_5.jpg" in first
    if change == "touched":
        os.utime(src / "DCIM" / "IMG_5.jpg")
    else:
        (src / "DCIM" / "IMG_5.xmp").write_text(RATING)
    before = tree_digest(src)
    code, report = organize(src, dest, "--mode", mode)
    assert code == 0
    sidecar = [] if change == "touched" else ["Corrupted/DCIM/IMG_5.xmp"]
    assert sorted(in_dest(dest)) == sorted([*first, *sidecar])
    photo = {line["source"]: line for line in report}["DCIM/IMG_5.jpg"]
    assert (photo["status"], photo["dest"]) == ("corrupt", "Corrupted/DCIM/IMG_5.jpg")
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert sorted(in_dest(dest)) == (first if sidecar else [])
    assert main(["verify", str(dest)]) == 0
    if sidecar:
        assert main(["undo", str(dest)]) == 0
    assert not in_dest(dest)
    assert main(["verify", str(dest)]) == 0
    assert tree_digest(src) == before


def test_a_photo_edited_in_source_keeps_its_one_link(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A linked photo edited in place on the card (an editor wrote its bytes again under its
    name): the view's link already shows the edit, so the same command run again keeps that
    one link (it linked the photo a second time, as IMG_1_1.jpg); verify names the photo
    changed since the view was made (its count takes the photo's two versions, as for an edited
    sidecar). Undo of the view then leaves DEST empty."""
    src, dest = tmp_path / "card", tmp_path / "view"
    card(src)
    assert organize(src, dest, "--mode", "symlink")[0] == 0
    first = sorted(in_dest(dest))
    with open(src / "DCIM" / "IMG_1.jpg", "ab") as photo:
        photo.write(b"\0" * 16)  # after its end-of-image marker: still a sound photo
    code, report = organize(src, dest, "--mode", "symlink")
    assert code == 0
    assert sorted(in_dest(dest)) == first
    line = {line["source"]: line for line in report}["DCIM/IMG_1.jpg"]
    assert (line["status"], line["dest"]) == ("placed", "2008/DCIM/IMG_1.jpg")
    assert imgorg("verify", str(dest)) == (
        1,
        "verified 3 files: 0 missing, 1 changed\n  changed: 2008/DCIM/IMG_1.jpg\n",
    )
    assert main(["undo", str(dest)]) == 0  # the view's run: the other changed nothing
    assert not in_dest(dest)
    assert imgorg("verify", str(dest))[0] == 0


@pytest.mark.parametrize("mode", ["symlink", "hardlink", "copy"])
def test_a_sidecar_a_kept_copy_adopted_is_not_a_duplicate_of_itself_when_decided_again(
    tmp_path: Path, organize, mode: str
) -> None:  # type: ignore[no-untyped-def]
    """The card's photo is a duplicate of the album's copy, and its own sidecar went with that
    kept copy (on its own in its year: the kept copy's sidecar holds its name). Every file touched since, the same command runs again: the sidecar stays
    where the first run put it, once (it was called a duplicate of itself, its row left
    naming no copy in DEST; or, before a symlink run took a link as the kept copy, linked a
    second time), nor a duplicate of another photo's sidecar holding the same rating, which
    the first run placed too."""
    src, dest = tmp_path / "card", tmp_path / "view"
    card_with_a_copy_in_an_album(src)
    (src / "DCIM" / "IMG_2.xmp").write_text(RATING.replace("4", "2"))
    shutil.copy2(corpus_or_skip() / NIKON, src / "DCIM" / "IMG_1.jpg")
    shutil.copy2(src / "DCIM" / "IMG_2.xmp", src / "DCIM" / "IMG_1.xmp")  # the same rating
    assert organize(src, dest, "--mode", mode)[0] == 0
    first = sorted(in_dest(dest))
    assert first == [
        "2001/DCIM/IMG_2.xmp",
        "2001/album/IMG_2.jpg",
        "2001/album/IMG_2.xmp",
        "2008/DCIM/IMG_1.jpg",
        "2008/DCIM/IMG_1.xmp",
    ]
    for path in src.rglob("*"):
        os.utime(path)  # a sync tool set every time on the card
    code, report = organize(src, dest, "--mode", mode)
    assert code == 0
    assert sorted(in_dest(dest)) == first
    sidecar = {line["source"]: line for line in report}["DCIM/IMG_2.xmp"]
    assert (sidecar["status"], sidecar["dest"]) == ("placed", "2001/DCIM/IMG_2.xmp"), sidecar
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert not in_dest(dest)
