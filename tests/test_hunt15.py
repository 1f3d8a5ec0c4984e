"""Quality hunt 15: what a compressed or turned JPEG keeps, from real camera files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops

from engine.formats import jpeg

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


def _segments(path: Path, marker: int) -> list[bytes]:
    data = path.read_bytes()
    return [data[s.start : s.end] for s in jpeg.check_jpeg(data).segments if s.marker == marker]


def _with_segment(data: bytes, segment: bytes) -> bytes:
    return data[:2] + segment + data[2:]


def test_a_reencode_turning_a_photo_carries_a_split_icc_profile_and_extended_xmp(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A guard (this passed before): the jolla phone photo saved sideways (Orientation 6, the
    Nikon's EXIF) with a 150 KB ICC profile over three APP2 segments, an extended-XMP APP1
    segment and a comment, re-encoded upright, keeps every one of them byte for byte, and
    colours close to the original's."""
    with Image.open(corpus / "phone" / "jolla.jpg") as im:
        pixels = im.convert("RGB").resize((1632, 1224))
    with Image.open(corpus / "camera" / "Nikon_D70.jpg") as im:
        icc = bytearray(im.info["icc_profile"])
        exif = im.getexif()
    icc += bytes(150_000 - len(icc))
    icc[:4] = len(icc).to_bytes(4, "big")
    exif[0x0112] = 6
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=95, icc_profile=bytes(icc), exif=exif, comment=b"kept")
    body = b"http://ns.adobe.com/xmp/extension/\x00" + b"0" * 32 + (9).to_bytes(4, "big")
    body += (0).to_bytes(4, "big") + b"<x:xmpmeta"
    extended = b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
    folder = tmp_path / "src" / "2008"
    folder.mkdir(parents=True)
    original = folder / "IMG_0001.jpg"
    original.write_bytes(_with_segment(out.getvalue(), extended))
    code, report = organize(
        tmp_path / "src", tmp_path / "out", "--compress-above", "10KB", "--min-saving", "0.35"
    )
    assert code == 0
    (line,) = report
    assert line["rotated"] and line["compressed"] is True, line
    placed = tmp_path / "out" / line["dest"]
    assert len(_segments(original, 0xE2)) == 3
    assert _segments(placed, 0xE2) == _segments(original, 0xE2)
    assert extended in _segments(placed, 0xE1)
    assert _segments(placed, 0xFE) == _segments(original, 0xFE)
    with Image.open(original) as before, Image.open(placed) as after:
        upright = np.asarray(before.transpose(Image.Transpose.ROTATE_270), dtype=float)
        assert np.abs(upright - np.asarray(after, dtype=float)).mean() < 3


def _ycck(pixels: Image.Image, exif: Image.Exif) -> bytes:
    """``pixels`` as a YCCK JPEG (what Photoshop writes for CMYK): Pillow writes CMYK with an
    Adobe marker saying no transform, inverted as Adobe stores it; these components are the
    YCbCr of the C, M, Y planes, and the marker is then made to say YCCK."""
    c, m, y, k = pixels.convert("CMYK").split()
    luma, blue, red = Image.merge("RGB", (c, m, y)).convert("YCbCr").split()
    stored = [ImageChops.invert(band) for band in (luma, blue, red)]
    out = io.BytesIO()
    Image.merge("CMYK", (*stored, k)).save(out, "JPEG", quality=95, subsampling=0, exif=exif)
    data = bytearray(out.getvalue())
    adobe = data.find(b"\xff\xee")
    assert data[adobe + 4 : adobe + 9] == b"Adobe"
    data[adobe + 15] = 2  # transform: YCCK
    return bytes(data)


def test_a_ycck_jpeg_turned_upright_keeps_its_colours(  # type: ignore[no-untyped-def]
    tmp_path: Path, corpus: Path, organize
) -> None:
    """A guard (this passed before): a YCCK JPEG made from the jolla photo, upside down
    (Orientation 3), is turned losslessly with its Adobe marker kept: its colours come out
    as they went in, not inverted."""
    with Image.open(corpus / "phone" / "jolla.jpg") as im:
        pixels = im.convert("RGB").resize((816, 608))
    with Image.open(corpus / "camera" / "Nikon_D70.jpg") as im:
        exif = im.getexif()
    exif[0x0112] = 3
    folder = tmp_path / "src" / "Scans"
    folder.mkdir(parents=True)
    original = folder / "print.jpg"
    original.write_bytes(_ycck(pixels, exif))
    code, report = organize(tmp_path / "src", tmp_path / "out")
    assert code == 0
    (line,) = report
    assert line["rotated"] and not line["compressed"], line
    placed = tmp_path / "out" / line["dest"]
    with Image.open(original) as before, Image.open(placed) as after:
        assert after.mode == "CMYK" and after.getexif()[0x0112] == 1
        upright = np.asarray(before.transpose(Image.Transpose.ROTATE_180), dtype=float)
        assert np.abs(upright - np.asarray(after, dtype=float)).mean() < 0.5
