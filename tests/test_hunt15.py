"""Quality hunt 15: what a compressed or turned JPEG keeps, from real camera files."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

_EXIF_IFD, _PIXEL_X, _PIXEL_Y = 0x8769, 0xA002, 0xA003


def _exif_dimensions(path: Path) -> tuple[int, int]:
    exif_ifd = Image.open(path).getexif().get_ifd(_EXIF_IFD)
    return exif_ifd[_PIXEL_X], exif_ifd[_PIXEL_Y]


def test_a_reencoded_photo_keeps_the_cameras_exif_dimensions(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """Photos made smaller after the camera (exif.org's 600x450 Fujifilm says 2400x1800 in its
    EXIF, the 640x480 Kodak 1280x960), re-encoded neither turned nor scaled, keep those
    dimensions: exiftool derives the sensor size, and so the 35 mm equivalent focal length,
    from them. Before, the re-encode wrote the file's own size there (the Fujifilm's 8.7 mm
    lens then read as 119.5 mm equivalent instead of 29.9 mm), where the lossless rewrite and
    the original keep them."""
    card = tmp_path / "src" / "2000" / "DCIM"
    card.mkdir(parents=True)
    names = ("fujifilm-finepix40i.jpg", "kodak-dc240.jpg")
    for name in names:
        shutil.copyfile(corpus / "camera" / name, card / name)
    code, report = organize(
        tmp_path / "src",
        tmp_path / "out",
        "--compress-above",
        "10KB",
        "--min-saving",
        "0.35",
        "--quality-floor",
        "30",
    )
    assert code == 0
    lines = {Path(line["source"]).name: line for line in report}
    for name in names:
        line = lines[name]
        assert line["compressed"] is True and not line["rotated"], line
        before, after = card / name, tmp_path / "out" / line["dest"]
        assert Image.open(after).size == Image.open(before).size
        assert _exif_dimensions(after) == _exif_dimensions(before) != Image.open(before).size


def _made_smaller(source: Path, target: Path, size: tuple[int, int]) -> None:
    """The photo as a resizing tool that keeps EXIF byte for byte writes it (a copy made
    smaller for e-mail): the camera's Orientation, dimensions and thumbnail stay."""
    with Image.open(source) as im:
        im.resize(size, Image.Resampling.LANCZOS).save(target, quality=90, exif=im.info["exif"])


def test_a_smaller_copy_turned_upright_keeps_the_cameras_dimensions_turned(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """The Canon SX60's sideways photo (2048x1536, Orientation 6, a focal-plane resolution),
    made 1024x768 by a tool that kept its EXIF, is turned upright losslessly, and re-encoded
    upright where it must be compressed: its EXIF then says 1536x2048, the camera's picture
    turned, as the original would turned. Before, it said 768x1024, which halves the sensor
    exiftool derives and doubles the 35 mm equivalent focal length it shows."""
    camera = corpus / "camera" / "canon_hdr_NO.jpg"
    emailed = tmp_path / "src" / "2015" / "Emailed"
    emailed.mkdir(parents=True)
    _made_smaller(camera, emailed / "IMG_0001.JPG", (1024, 768))
    assert _exif_dimensions(emailed / "IMG_0001.JPG") == (2048, 1536)
    runs = {
        "turned": (),
        "re-encoded": ("--compress-above", "10KB", "--min-saving", "0.35"),
    }
    for name, flags in runs.items():
        code, report = organize(tmp_path / "src", tmp_path / name, *flags)
        assert code == 0
        (line,) = report
        assert line["rotated"] and line["compressed"] is (name == "re-encoded"), line
        placed = tmp_path / name / line["dest"]
        assert Image.open(placed).size == (768, 1024)
        assert Image.open(placed).getexif()[0x0112] == 1
        assert _exif_dimensions(placed) == (1536, 2048), name


def test_a_phone_photo_turned_by_its_reencode_says_its_new_size_in_ifd0_too(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """The Xiaomi Mi 9T writes the pixel dimensions twice: in the EXIF sub-IFD and as IFD0's
    ImageWidth/ImageLength (4000x3000, stored sideways, Orientation 6). Turned upright by its
    re-encode (its 3000 rows are not whole 16-row blocks, so no lossless turn), both say
    3000x4000. Before, IFD0 still said 4000x3000, which readers such as Android's
    ExifInterface report as the photo's width and height."""
    camera = tmp_path / "src" / "DCIM" / "Camera"
    camera.mkdir(parents=True)
    shutil.copyfile(corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg", camera / "IMG_0001.jpg")
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-saving", "0.35")
    assert code == 0
    (line,) = report
    assert line["rotated"] and line["compressed"] is True, line
    placed = tmp_path / "out" / line["dest"]
    assert Image.open(placed).size == (3000, 4000)
    ifd0 = Image.open(placed).getexif()
    assert (ifd0[0x0100], ifd0[0x0101], ifd0[0x0112]) == (3000, 4000, 1)
    assert _exif_dimensions(placed) == (3000, 4000)
