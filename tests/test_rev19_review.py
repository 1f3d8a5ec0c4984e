"""Review of hunt19 (a move run after a copy run releases sources against copies the user moved
within DEST, and a sidecar the copy run placed beside the kept copy), from real camera files
arranged as multi-run journeys into one DEST."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_hunt19 import _card, _rows

from engine.cli import main

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    'syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5"/>'
    "</rdf:RDF></x:xmpmeta>"
)


@needs_exiftool
@pytest.mark.parametrize("user", ["refiled and edited", "deleted"])
def test_a_move_run_never_releases_a_card_against_another_cards_copy_in_duplicates(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, capsys, user: str
) -> None:
    """Card A copied into DEST; card B, holding the same photo under the same name, moved in
    (its copy goes to Duplicates/, a duplicate of A's). The user then moves A's copy to a
    folder of their own and tags it there (other bytes), or deletes it, and moves card A in to
    empty it. Its photo as taken is nowhere else in DEST but in B's Duplicates/ copy: it is
    placed again at its name. It was released against B's copy in Duplicates/ ("its copy in
    DEST is Duplicates/DCIM/IMG_0001.JPG"), wiped from card A, its only copy left a file DEST
    calls a duplicate of a card file now gone (emptying Duplicates/ loses it), and verify
    called A's copy missing."""
    photo = ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG")
    card_a = _card(tmp_path / "A", corpus, photo, ("camera/canon-ixus.jpg", "DCIM/IMG_0003.JPG"))
    card_b = _card(tmp_path / "B", corpus, photo)
    dest = tmp_path / "dest"
    assert organize(card_a, dest)[0] == 0
    code, moved_b = organize(card_b, dest, "--mode", "move")
    assert code == 0 and moved_b[0]["dest"] == "Duplicates/DCIM/IMG_0001.JPG", moved_b
    copy = dest / "2008/DCIM/IMG_0001.JPG"
    if user == "deleted":
        copy.unlink()
    else:
        (dest / "2008/Mine").mkdir()
        copy = copy.rename(dest / "2008/Mine/IMG_0001.JPG")
        assert EXIFTOOL is not None
        subprocess.run([EXIFTOOL, "-q", "-overwrite_original", "-Artist=Me", str(copy)], check=True)

    code, report = organize(card_a, dest, "--mode", "move")

    assert code == 0
    row = _rows(report)["DCIM/IMG_0001.JPG"]
    assert row["dest"] == "2008/DCIM/IMG_0001.JPG", row
    assert "placed there again" in str(row["note"]), row
    assert (dest / "2008/DCIM/IMG_0001.JPG").read_bytes() == (corpus / photo[0]).read_bytes()
    assert not (card_a / "DCIM/IMG_0001.JPG").exists()
    assert main(["verify", str(dest)]) == 0
    assert "0 missing" in capsys.readouterr().out


@pytest.mark.parametrize("user", ["deleted", "refiled and edited"])
def test_a_sidecar_the_copy_run_placed_and_gone_from_dest_is_no_duplicate_of_itself(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, user: str
) -> None:
    """Card B repeats card A's photo with a rating of its own (.xmp); the copy run of B put
    the .xmp beside A's copy. The user then deletes that .xmp in DEST, or moves the folder and
    rates the photo again there; then moves card B in. B's .xmp holds the only copy of its
    rating as written on the card: placed again at its name, as a photo is. It was called a
    duplicate of itself ("identical to DCIM/IMG_0001.xmp, like its photo", its own path) and
    moved into Duplicates/, which the user empties."""
    card_a = _card(tmp_path / "A", corpus, ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"))
    card_b = _card(tmp_path / "B", corpus, ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"))
    (card_b / "DCIM/IMG_0001.xmp").write_text(XMP)
    dest = tmp_path / "dest"
    assert organize(card_a, dest)[0] == 0
    code, copied = organize(card_b, dest)
    assert code == 0 and _rows(copied)["DCIM/IMG_0001.xmp"]["dest"] == "2008/DCIM/IMG_0001.xmp"
    if user == "deleted":
        (dest / "2008/DCIM/IMG_0001.xmp").unlink()
    else:
        (dest / "2008/DCIM").rename(dest / "2008/Trip")
        (dest / "2008/Trip/IMG_0001.xmp").write_text(XMP.replace('"5"', '"2"'))

    code, moved = organize(card_b, dest, "--mode", "move")

    assert code == 0
    row = _rows(moved)["DCIM/IMG_0001.xmp"]
    assert row["status"] == "placed", row
    assert row["dest"] == "2008/DCIM/IMG_0001.xmp", row
    assert (dest / "2008/DCIM/IMG_0001.xmp").read_text() == XMP
    assert not list((dest / "Duplicates").rglob("*.xmp"))
    assert main(["verify", str(dest)]) == 0


def test_a_move_run_after_a_photo_an_earlier_move_placed_was_culled_does_not_walk_dest(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, monkeypatch
) -> None:
    """Every card mounts at one path (``/media/EOS_DIGITAL``) and is moved into DEST; the user
    culls a photo from DEST. Its source left with that move: nothing of it is left to release,
    yet each later move run from that path walked the whole archive for it (hunt19 made every
    move run look for copies the user moved within DEST). A move run looks only for the copies
    of files it takes out of SOURCE, as it did before."""
    from engine.store import dest_view

    mount = tmp_path / "EOS_DIGITAL"
    _card(mount, corpus, ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"))
    _card(mount, corpus, ("camera/canon-ixus.jpg", "DCIM/IMG_0002.JPG"))
    dest = tmp_path / "dest"
    code, first = organize(mount, dest, "--mode", "move")
    assert code == 0 and not list(mount.rglob("*.JPG")), first
    (dest / str(_rows(first)["DCIM/IMG_0001.JPG"]["dest"])).unlink()  # culled
    _card(mount, corpus, ("camera/Nikon_D70.jpg", "DCIM/IMG_0003.JPG"))  # the next card
    walks = []
    files_keyed = dest_view._files_keyed

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        walks.append(args[0])
        return files_keyed(*args, **kwargs)

    monkeypatch.setattr(dest_view, "_files_keyed", counted)

    code, second = organize(mount, dest, "--mode", "move")

    assert code == 0
    assert _rows(second)["DCIM/IMG_0003.JPG"]["status"] == "placed", second
    assert not list(mount.rglob("*.JPG"))
    assert walks == []


def test_a_photo_released_against_its_refiled_copy_and_refiled_again_is_not_missing(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, capsys
) -> None:
    """A card copied into DEST, the year's subfolder renamed by the user (``2008/DCIM`` ->
    ``2008/Trip``), the card moved in (released against its copy in Trip/), then the folder
    renamed again (``2008/Trip`` -> ``2008/Holiday``). The copy's row and its release's name
    one file, found under its name with its bytes: verify called the release's "missing ...
    DEST held its only copy" (exit 1), the one file answering for the copy's name only."""
    card = _card(
        tmp_path / "A",
        corpus,
        ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"),
        ("camera/canon-ixus.jpg", "DCIM/IMG_0003.JPG"),
    )
    dest = tmp_path / "dest"
    assert organize(card, dest)[0] == 0
    (dest / "2008/DCIM").rename(dest / "2008/Trip")
    code, moved = organize(card, dest, "--mode", "move")
    assert code == 0 and _rows(moved)["DCIM/IMG_0001.JPG"]["dest"] == "2008/Trip/IMG_0001.JPG"
    (dest / "2008/Trip").rename(dest / "2008/Holiday")

    code = main(["verify", str(dest)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 missing" in out and "only copy" not in out, out
    assert "moved: 2008/Trip/IMG_0001.JPG: at 2008/Holiday/IMG_0001.JPG" in out, out


def test_undo_of_a_release_copies_the_photo_back_from_where_the_user_moved_its_copy(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, capsys
) -> None:
    """A card copied into DEST, then moved in (its sources released against the copies),
    then the user renames the year's subfolder (``2008/DCIM`` -> ``2008/Trip``). Undo of the
    move run puts the card back as it was, copying the photo from its copy in Trip/ (the copy
    stays): it said "its copy in DEST is missing or changed since" and left the card without
    it (exit 1), the photo in DEST under its name with its bytes."""
    card = _card(
        tmp_path / "A",
        corpus,
        ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"),
        ("camera/canon-ixus.jpg", "DCIM/IMG_0003.JPG"),
    )
    before = {p.name: p.read_bytes() for p in (card / "DCIM").iterdir()}
    dest = tmp_path / "dest"
    assert organize(card, dest)[0] == 0
    code, moved = organize(card, dest, "--mode", "move")
    assert code == 0 and not list(card.rglob("*.JPG")), moved
    (dest / "2008/DCIM").rename(dest / "2008/Trip")

    code = main(["undo", str(dest)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert {p.name: p.read_bytes() for p in (card / "DCIM").iterdir()} == before
    assert (dest / "2008/Trip/IMG_0001.JPG").read_bytes() == before["IMG_0001.JPG"]
