"""A review of the handling of copies gone from DEST (engine/store/dest_view.lost_copies,
``--restore-missing``) and of undo's folder changes: each test a run sequence that went wrong."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import imgorg, photos_in

PLAIN = ("--jobs", "1", "--min-size", "0")
XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/">{}</x:xmpmeta>'


def report_of(path: Path) -> dict[str, dict]:
    return {line["source"]: line for line in map(json.loads, path.read_text().splitlines())}


def organize(card: Path, dest: Path, report: Path, *flags: str) -> str:
    code, out = imgorg("organize", str(card), str(dest), *PLAIN, *flags, "--report", str(report))
    assert code == 0, out
    return out


def a_card_with_sidecars(card: Path, corpus: Path) -> None:
    (card / "DCIM").mkdir(parents=True)
    for name in ("Canon_40D", "Nikon_D70"):
        shutil.copy2(corpus / "camera" / f"{name}.jpg", card / "DCIM" / f"{name}.jpg")
        (card / "DCIM" / f"{name}.xmp").write_text(XMP.format(name))


def copied_again_without_times(card: Path) -> None:
    """The card's files as a plain ``cp`` of them leaves them: every one with a new time."""
    for folder, _, files in os.walk(card):
        for name in files:
            os.utime(os.path.join(folder, name))


def test_a_culled_photos_sidecar_stays_out_with_it_when_the_card_is_copied_again(
    tmp_path: Path, corpus: Path
) -> None:
    """A photo and its XMP culled from DEST, the card's files then touched (a backup made
    with plain ``cp``): every photo is decided again by its bytes. The culled photo was left
    out, but its sidecar went back alone at its name (``_own_name_free`` reclaimed it whatever
    ``--restore-missing`` said): DEST gained an orphan XMP of a photo the user deleted. A
    sidecar culled alone stays out too. With ``--restore-missing`` both come back."""
    card, dest = tmp_path / "card", tmp_path / "dest"
    a_card_with_sidecars(card, corpus)
    organize(card, dest, tmp_path / "1.jsonl")
    folder = dest / "2008" / "DCIM"
    for name in ("Canon_40D.jpg", "Canon_40D.xmp", "Nikon_D70.xmp"):
        (folder / name).unlink()
    culled = photos_in(dest)
    copied_again_without_times(card)

    out = organize(card, dest, tmp_path / "2.jsonl")
    assert photos_in(dest) == culled
    assert "3 files decided again (changed in SOURCE since, by their time)" in out, out
    report = report_of(tmp_path / "2.jsonl")
    for rel in ("DCIM/Canon_40D.jpg", "DCIM/Canon_40D.xmp", "DCIM/Nikon_D70.xmp"):
        assert report[rel]["status"] == "placed", report[rel]
        assert "left out (--restore-missing places it again)" in report[rel]["note"], report[rel]
    assert "missing: 2008/DCIM/Canon_40D.xmp" in imgorg("verify", str(dest))[1]

    organize(card, dest, tmp_path / "3.jsonl", "--restore-missing")
    assert sorted(p.name for p in folder.iterdir()) == [
        "Canon_40D.jpg",
        "Canon_40D.xmp",
        "Nikon_D70.jpg",
        "Nikon_D70.xmp",
    ]
    assert imgorg("verify", str(dest))[0] == 0
