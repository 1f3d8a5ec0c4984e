"""Bug hunt 17: archive shapes from camcorder cards, iPhone edits and Android bursts and RAW
shots, built from real camera files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

_SHOT = "PXL_20181231_233000123"


def _exiftool(target: Path, *edits: str) -> None:
    assert EXIFTOOL is not None
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *edits, str(target)], check=True)


def _pixel_raw_shot(corpus: Path, folder: Path, description: str = "") -> None:
    """A Pixel's RAW+JPEG shot at 2019-01-01 00:30 (+01:00), 2018-12-31 23:30 in UTC as its
    name says: the cover photo dated by its EXIF, the DNG (a TIFF, as a DNG is) undated."""
    folder.mkdir(parents=True, exist_ok=True)
    cover, raw = folder / f"{_SHOT}.RAW-01.COVER.jpg", folder / f"{_SHOT}.RAW-02.ORIGINAL.dng"
    shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", cover)
    shutil.copyfile(corpus / "formats" / "exiftool_ExifTool.tif", raw)
    _exiftool(cover, "-AllDates=2019:01:01 00:30:00", "-OffsetTimeOriginal=+01:00")
    _exiftool(raw, "-AllDates=")
    if description:
        for path in (cover, raw):
            _exiftool(path, f"-ImageDescription={description}")
    edits = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><darktable history="{description}"/></x:xmpmeta>'
    (folder / f"{raw.name}.xmp").write_text(edits)


@needs_exiftool
def test_a_pixel_raw_travels_with_its_cover_photo_into_its_year(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A Pixel names a RAW+JPEG shot ``x.RAW-01.COVER.jpg`` and ``x.RAW-02.ORIGINAL.dng``: two
    stems, so the DNG was a photo of its own, dated by its UTC name (2018) while its cover
    went to its EXIF's 2019: one shot split over two years. Lightroom's ``.xmp`` of the DNG,
    named by its stem, goes with it."""
    camera = tmp_path / "src" / "Camera"
    _pixel_raw_shot(corpus, camera)
    lightroom = camera / f"{_SHOT}.RAW-02.ORIGINAL.xmp"
    lightroom.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>')

    code, report = organize(tmp_path / "src", tmp_path / "dest")

    assert code == 0
    rows = {Path(line["source"]).name: line for line in report}
    cover, raw = rows[f"{_SHOT}.RAW-01.COVER.jpg"], rows[f"{_SHOT}.RAW-02.ORIGINAL.dng"]
    assert cover["dest"] == f"2019/Camera/{_SHOT}.RAW-01.COVER.jpg", cover
    assert raw["dest"] == f"2019/Camera/{_SHOT}.RAW-02.ORIGINAL.dng", raw
    assert raw["companion_of"] == cover["source"], raw
    sidecar = rows[lightroom.name]
    assert sidecar["dest"] == f"2019/Camera/{lightroom.name}", sidecar
    assert sidecar["companion_of"] == cover["source"], sidecar


@needs_exiftool
def test_a_pixel_raw_keeps_its_cover_photos_suffix_and_new_name(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Two phones' shots of one name in one folder: the second cover is suffixed and its DNG
    and the DNG's darktable sidecar with it (``..._1.dng``, ``..._1.dng.xmp``, not a DNG of the
    first cover's name); renamed, they take the cover's new stem, as a RAW beside its JPEG."""
    src = tmp_path / "src"
    _pixel_raw_shot(corpus, src / "a")
    _pixel_raw_shot(corpus, src / "b", description="the other phone")

    code, _ = organize(src, tmp_path / "flat", "--layout", "flat")
    assert code == 0
    placed = sorted(p.name for p in (tmp_path / "flat" / "2019").iterdir())
    assert placed == [
        f"{_SHOT}.RAW-01.COVER.jpg",
        f"{_SHOT}.RAW-01.COVER_1.jpg",
        f"{_SHOT}.RAW-02.ORIGINAL.dng",
        f"{_SHOT}.RAW-02.ORIGINAL.dng.xmp",
        f"{_SHOT}.RAW-02.ORIGINAL_1.dng",
        f"{_SHOT}.RAW-02.ORIGINAL_1.dng.xmp",
    ]
    second = (tmp_path / "flat" / "2019" / f"{_SHOT}.RAW-02.ORIGINAL_1.dng.xmp").read_text()
    assert "the other phone" in second

    code, _ = organize(src, tmp_path / "renamed", "--rename", "{date:%Y%m%d_%H%M%S}")
    assert code == 0
    renamed = sorted(p.name for p in (tmp_path / "renamed" / "2019").rglob("*.*"))
    assert (
        renamed
        == ["20190101_003000.dng"] * 2
        + ["20190101_003000.dng.xmp"] * 2
        + ["20190101_003000.jpg"] * 2
    )
