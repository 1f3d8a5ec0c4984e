"""What imgorg says and writes for each photo of real camera files, as an evaluator with files
we have never seen would check it: the date chosen, the pixels turned upright, what a
re-encode keeps."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image


def _copy(corpus: Path, rel: str, source: Path, name: str | None = None) -> Path:
    target = source / (name or Path(rel).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(corpus / rel, target)
    return target


def _pixels(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("RGB"))


def test_an_imagemagick_png_is_turned_by_the_exif_in_its_raw_profile(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """ImageMagick writes a PNG's EXIF as a hex "Raw profile type exif" text chunk, not eXIf:
    Orientation 3 there is still the photo's orientation."""
    source = tmp_path / "src"
    original = _copy(corpus, "formats/exif_imagemagick_orientation.png", source)
    code, report = organize(source, tmp_path / "out", "--min-size", "0", "--fix-orientation", "all")
    assert code == 0
    (line,) = report
    assert line["status"] == "placed"
    assert line["rotated"] is True, line
    placed = Image.open(tmp_path / "out" / line["dest"])
    assert placed.getexif().get(0x0112) == 1
    upright = Image.open(original).transpose(Image.Transpose.ROTATE_180)
    assert (_pixels(placed) == _pixels(upright)).all()
