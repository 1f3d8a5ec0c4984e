"""Bug hunt 19: a user migrating in phases into one DEST (card dumps copied and moved, DEST
edited between runs, runs undone), built from real camera files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from engine.cli import main

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

TURNED = "phone/Samsung GT-I9000 (Galaxy S).jpg"  # Orientation 6: turned upright in DEST


def _exiftool(target: Path, *edits: str) -> None:
    assert EXIFTOOL is not None
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *edits, str(target)], check=True)


def _card(root: Path, corpus: Path, *files: tuple[str, str]) -> Path:
    """A card at ``root`` holding corpus files (corpus name, path on the card), writable."""
    for name, rel in files:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / name, target)
    return root


def _rows(report: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(line["source"]): line for line in report}


@needs_exiftool
def test_a_turned_copy_the_user_edited_in_dest_stands_for_no_other_cards_copy(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Card A's phone photo was turned upright into DEST; the user then tagged that copy in
    DEST (exiftool) and wiped card A. Card B holds the photo as the phone wrote it: DEST holds
    neither those bytes nor the ones the run wrote, so B's copy is the last of the photo as
    taken and is placed again, as it is beside a copy edited in DEST that was never turned.
    It was called a duplicate of the turned copy ("its re-encoded or turned copy ... is"),
    and the user would wipe card B next."""
    card_a = _card(tmp_path / "A", corpus, (TURNED, "DCIM/IMG_0001.JPG"))
    dest = tmp_path / "dest"
    code, first = organize(card_a, dest)
    assert code == 0 and first[0]["rotated"], first
    placed = dest / str(first[0]["dest"])
    _exiftool(placed, "-Artist=Me")
    shutil.rmtree(card_a)
    card_b = _card(tmp_path / "B", corpus, (TURNED, "DCIM/IMG_0100.JPG"))

    code, second = organize(card_b, dest)

    assert code == 0
    row = _rows(second)["DCIM/IMG_0100.JPG"]
    assert row["status"] == "placed", row
    assert "placed again" in str(row["note"]), row
    assert (dest / str(row["dest"])).exists()


XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    'syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5"/>'
    "</rdf:RDF></x:xmpmeta>"
)


def test_a_move_after_a_copy_releases_the_sidecar_the_copy_run_placed_beside_the_kept_copy(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Card B repeats a photo card A brought, with a rating of its own (an .xmp): the copy run
    of B places the .xmp beside A's copy. The move run of B then takes B out of SOURCE: the
    .xmp's bytes are in DEST (that run's copy), so it is released like B's photos are. It was
    a duplicate of itself ("identical to DCIM/IMG_0001.xmp, like its photo", its own path),
    a second copy of it moved into Duplicates/."""
    card_a = _card(tmp_path / "A", corpus, ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"))
    card_b = _card(tmp_path / "B", corpus, ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"))
    (card_b / "DCIM/IMG_0001.xmp").write_text(XMP)
    dest = tmp_path / "dest"
    assert organize(card_a, dest)[0] == 0
    code, copied = organize(card_b, dest)
    assert code == 0
    sidecar = _rows(copied)["DCIM/IMG_0001.xmp"]
    assert sidecar["status"] == "placed", sidecar

    code, moved = organize(card_b, dest, "--mode", "move")

    assert code == 0
    row = _rows(moved)["DCIM/IMG_0001.xmp"]
    assert row["status"] == "placed", row
    assert row["dest"] == sidecar["dest"], row
    assert "released by this run" in str(row["note"]), row
    assert not (card_b / "DCIM/IMG_0001.xmp").exists()
    assert [p.name for p in dest.rglob("*.xmp")] == [Path(str(sidecar["dest"])).name]
    assert main(["undo", str(dest)]) == 0
    assert (card_b / "DCIM/IMG_0001.xmp").read_text() == XMP
    assert (dest / str(sidecar["dest"])).read_text() == XMP  # the copy run's, not undone


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_a_moved_photo_the_user_refiled_in_dest_is_found_by_verify_and_named_by_undo(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, capsys
) -> None:
    """A card moved into DEST; the user renames the year's subfolder (``2008/DCIM`` ->
    ``2008/Trip``). Verify said each photo there was missing, "DEST held its only copy", and
    undo "missing from DEST and not in SOURCE": the photos are in DEST, under their names with
    their bytes. Verify now says where they are and passes; undo leaves them there, saying
    so, and puts every other photo back on the card."""
    card = _card(
        tmp_path / "B",
        corpus,
        ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"),
        ("camera/Nikon_D70.jpg", "DCIM/IMG_0002.JPG"),
        ("camera/canon-ixus.jpg", "DCIM/IMG_0003.JPG"),
    )
    dest = tmp_path / "dest"
    code, report = organize(card, dest, "--mode", "move")
    assert code == 0
    assert {line["dest"] for line in report} >= {"2008/DCIM/IMG_0001.JPG", "2001/DCIM/IMG_0003.JPG"}
    (dest / "2008/DCIM").rename(dest / "2008/Trip")

    code, out = _cli(capsys, "verify", str(dest))
    assert code == 0, out
    assert "0 missing" in out and "only copy" not in out, out
    assert "moved: 2008/DCIM/IMG_0001.JPG: at 2008/Trip/IMG_0001.JPG" in out, out

    code, out = _cli(capsys, "undo", str(dest))
    assert code == 1, out
    assert "missing from DEST" not in out, out
    assert (
        "2008/DCIM/IMG_0001.JPG: moved since the run (the same name and bytes) to 2008/Trip/IMG_0001.JPG in DEST"
        in out
    ), out
    assert sorted(p.name for p in (dest / "2008/Trip").iterdir()) == [
        "IMG_0001.JPG",
        "IMG_0002.JPG",
    ]
    assert sorted(p.name for p in (card / "DCIM").iterdir()) == ["IMG_0003.JPG"]


def test_undo_of_a_copy_run_keeps_track_of_copies_the_user_refiled_in_dest(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, capsys
) -> None:
    """A card copied into DEST, a subfolder renamed there by the user, the run undone: undo
    counted the refiled copies as removed by hand and forgot them (they stayed in DEST), so
    copying the card again put a second copy of each beside the first. Undo now leaves them,
    says where, keeps them in the journal, and the next copy run finds them done."""
    card = _card(
        tmp_path / "A",
        corpus,
        ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"),
        ("camera/canon-ixus.jpg", "DCIM/IMG_0003.JPG"),
    )
    dest = tmp_path / "dest"
    assert organize(card, dest)[0] == 0
    (dest / "2008/DCIM").rename(dest / "2008/Trip")

    code, out = _cli(capsys, "undo", str(dest))
    assert (
        "2008/DCIM/IMG_0001.JPG: moved since the run (the same name and bytes) to 2008/Trip/IMG_0001.JPG in DEST"
        in out
    ), out
    assert not (dest / "2001").exists()

    assert organize(card, dest)[0] == 0
    held = sorted(str(p.relative_to(dest)) for p in dest.rglob("*.JPG"))
    assert held == ["2001/DCIM/IMG_0003.JPG", "2008/Trip/IMG_0001.JPG"], held
    code, out = _cli(capsys, "verify", str(dest))
    assert code == 0, out


def test_a_move_after_a_copy_releases_photos_the_user_refiled_in_dest_without_a_second_copy(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize, capsys
) -> None:
    """A card copied into DEST, the year's subfolder renamed there by the user, then the card
    moved into DEST to empty it: the move placed each refiled photo "there again" at its old
    name (its copy "gone from DEST"), two copies of the same bytes in DEST, with the sidecar
    beside the new one under a suffix. It now releases them against their copies where the
    user put them (as --restore-missing finds them), verify passes, undo returns the card."""
    card = _card(
        tmp_path / "A",
        corpus,
        ("camera/Canon_40D.jpg", "DCIM/IMG_0001.JPG"),
        ("camera/canon-ixus.jpg", "DCIM/IMG_0003.JPG"),
    )
    (card / "DCIM/IMG_0001.xmp").write_text(XMP)
    before = {p.name: p.read_bytes() for p in (card / "DCIM").iterdir()}
    dest = tmp_path / "dest"
    assert organize(card, dest)[0] == 0
    (dest / "2008/DCIM").rename(dest / "2008/Trip")

    code, report = organize(card, dest, "--mode", "move")

    assert code == 0
    rows = _rows(report)
    assert rows["DCIM/IMG_0001.JPG"]["dest"] == "2008/Trip/IMG_0001.JPG", rows
    assert rows["DCIM/IMG_0001.xmp"]["dest"] == "2008/Trip/IMG_0001.xmp", rows
    assert "released by this run" in str(rows["DCIM/IMG_0001.JPG"]["note"]), rows
    held = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    held = [name for name in held if not name.startswith(".imgorg")]
    assert held == ["2001/DCIM/IMG_0003.JPG", "2008/Trip/IMG_0001.JPG", "2008/Trip/IMG_0001.xmp"]
    assert not (card / "DCIM").exists() or not any((card / "DCIM").iterdir())
    code, out = _cli(capsys, "verify", str(dest))
    assert code == 0 and "0 missing" in out, out
    assert main(["undo", str(dest)]) == 0
    assert {p.name: p.read_bytes() for p in (card / "DCIM").iterdir()} == before
