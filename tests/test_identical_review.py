"""Review of the move run's release of a source whose name in DEST already holds the bytes it
would write (copied there by hand, no journal knows them): what must not be taken for DEST's
copy of a photo."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import imgorg, photos_in

FLAGS = ("--jobs", "1", "--min-size", "0", "--quiet")
MOVE = ("--mode", "move", *FLAGS)
TURNED = "camera/canon_hdr_NO.jpg"  # Orientation 6, 2048x1536: turned losslessly in DEST


def test_a_turned_photo_is_not_released_against_a_symbolic_link_in_dest(
    tmp_path: Path, corpus: Path
) -> None:
    """DEST's name for a turned photo is a symbolic link to a file elsewhere holding the turned
    bytes (a folder of links into another disk). A link holds no bytes: the move run took the
    photo out of SOURCE into .imgorg/originals, which `finalize` deletes, leaving DEST with a
    link to bytes imgorg does not keep. The name is taken, not identical: the photo is moved
    in beside the link under a suffixed name (its original kept below DEST), the link left as
    it is."""
    card, dest, scratch, elsewhere = (tmp_path / n for n in ("card", "dest", "scratch", "else"))
    (card / "DCIM").mkdir(parents=True)
    shutil.copy2(corpus / TURNED, card / "DCIM" / "IMG_0001.jpg")
    assert imgorg("organize", str(card), str(scratch), *FLAGS)[0] == 0
    (rel,) = photos_in(scratch)
    elsewhere.mkdir()
    shutil.copy2(scratch / rel, elsewhere / "turned.jpg")
    (dest / rel).parent.mkdir(parents=True)
    os.symlink(elsewhere / "turned.jpg", dest / rel)
    before, report = photos_in(card), tmp_path / "move.jsonl"
    code, out = imgorg("organize", str(card), str(dest), *MOVE, "--report", str(report))
    assert code == 0, out
    assert not photos_in(card)
    (line,) = map(json.loads, report.read_text().splitlines())
    assert line["status"] == "placed" and line["dest"] != rel, line
    placed = dest / line["dest"]
    assert not placed.is_symlink() and placed.read_bytes() == (scratch / rel).read_bytes()
    originals = (dest / ".imgorg" / "originals").rglob("*.jpg")
    assert [p.read_bytes() for p in originals] == [(corpus / TURNED).read_bytes()]
    assert os.readlink(dest / rel) == str(elsewhere / "turned.jpg")
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(card) == before
