"""Near-duplicates in archives as real ones hold them (hunt 20): the copies messengers, apps
and editors make of a camera photo, and the look-alikes that are not copies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from engine.cli import main

PHOTO = "camera/DSCN0010.jpg"  # 640x480, Nikon, 2008-10-22 16:28:39

Organize = Callable[..., tuple[int, list[dict[str, Any]]]]


def _similar(dest: Path) -> list[dict[str, Any]]:
    path = dest / ".imgorg" / "similar.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_white_sheet_is_no_copy_of_a_grey_card_shot(
    corpus: Path, tmp_path: Path, organize: Organize
) -> None:
    """A camera's frame of a grey card (its EXIF: dated 2008) and a scanned blank white sheet
    without a date are both featureless; their hashes are noise and their normalised
    thumbnails both flat. Only their brightness tells them apart, and it does: the sheet is
    neither grouped with the card, nor dated 2008 from it, nor set aside as its lesser copy."""
    with Image.open(corpus / PHOTO) as im:
        size, exif = im.size, im.info["exif"]
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "DCIM").mkdir(parents=True)
    (source / "Scans").mkdir()
    Image.new("RGB", size, (128, 128, 128)).save(
        source / "DCIM/DSCN0011.jpg", quality=95, exif=exif
    )
    Image.new("RGB", (480, 360), (250, 250, 250)).save(source / "Scans/blank.jpg", quality=90)
    code, rows = organize(source, dest, "--similar", "set-aside", "--min-size", "0")
    assert code == 0
    assert _similar(dest) == []
    sheet = next(r for r in rows if r["source"].endswith("blank.jpg"))
    assert sheet["date_source"] != "similar"
    assert (dest / "NoDate/Scans/blank.jpg").exists()
    assert not (dest / "Similar").exists()
    assert main(["undo", str(dest)]) == 0


def test_black_frames_of_one_brightness_still_group(tmp_path: Path, organize: Organize) -> None:
    """Two copies of one black frame (the camera's and a messenger's smaller one) stay one
    photo: brightness within a few grey levels is the same picture."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    Image.new("RGB", (640, 480), (2, 2, 2)).save(source / "frame.jpg", quality=95)
    Image.new("RGB", (320, 240), (0, 0, 0)).save(source / "IMG-20190707-WA0001.jpg", quality=70)
    code, _ = organize(source, dest, "--similar", "report", "--min-size", "0")
    assert code == 0
    assert len(_similar(dest)) == 2
