"""What imgorg says and writes for each photo of real camera files, as an evaluator with files
we have never seen would check it: the date chosen, the pixels turned upright, what a
re-encode keeps."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
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


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def test_a_png_turned_upright_keeps_its_text_colour_and_time_chunks(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """Turning a PNG rewrites its pixels only: its text (dates, descriptions, XMP), colour
    space and modification time chunks stay as they were, and its EXIF says Orientation 1
    in one place only."""
    source = tmp_path / "src"
    original = _copy(corpus, "formats/exif_imagemagick_orientation.png", source)
    _, (line,) = organize(source, tmp_path / "out", "--min-size", "0", "--fix-orientation", "all")
    assert line["rotated"] is True, line
    placed = (tmp_path / "out" / line["dest"]).read_bytes()
    pixel_chunks = {b"IHDR", b"IDAT", b"IEND", b"eXIf"}

    def metadata(data: bytes) -> list[tuple[bytes, bytes]]:
        return sorted(
            (kind, body)
            for kind, body in _png_chunks(data)
            if kind not in pixel_chunks and not body.startswith(b"Raw profile type exif\0")
        )

    assert metadata(placed) == metadata(original.read_bytes())
    assert b"Raw profile type exif" not in placed
    exif = Image.open(tmp_path / "out" / line["dest"]).getexif()
    assert exif.get(0x0112) == 1


def _chroma_reduction(im: Image.Image, turned: bool = False) -> tuple[int, int]:
    """How many luma samples share one chroma sample, across and down (upright if ``turned``)."""
    (_, luma_h, luma_v, _), (_, chroma_h, chroma_v, _) = im.layer[:2]  # type: ignore[attr-defined]
    across, down = luma_h // chroma_h, luma_v // chroma_v
    return (down, across) if turned else (across, down)


def test_a_reencoded_jpeg_keeps_the_chroma_detail_its_camera_stored(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A Canon's 4:2:2 photo stored sideways (Orientation 6), re-encoded and turned: its
    upright picture had full chroma resolution across (4:2:2 turned a quarter is 4:4:0), and
    keeps it."""
    source = tmp_path / "src"
    original = _copy(corpus, "camera/canon_hdr_NO.jpg", source)
    # a third smaller: more than the lossless rewrite can do, so the photo is re-encoded
    flags = ("--min-size", "0", "--compress-above", "1", "--min-saving", "0.34")
    code, (line,) = organize(source, tmp_path / "out", *flags)
    assert code == 0
    assert line["compressed"] is True and line["rotated"] is True, line
    had = _chroma_reduction(Image.open(original), turned=True)
    has = _chroma_reduction(Image.open(tmp_path / "out" / line["dest"]))
    assert (had, has[0] <= had[0] and has[1] <= had[1]) == ((1, 2), True), has


def test_the_subsampling_of_a_reencode_never_drops_chroma_the_camera_kept(corpus: Path) -> None:
    """4:4:0 (Panasonic, Galaxy S7), which the encoder cannot write, becomes 4:4:4, not its
    default 4:2:0; 4:2:2 stays 4:2:2 upright and becomes 4:4:4 turned a quarter."""
    from engine.formats.compress import upright_subsampling

    four_four_four, four_two_two, four_two_zero = 0, 1, 2
    expected = {
        ("camera/Panasonic_DMC-FZ30.jpg", 1): four_four_four,
        ("odd_dates/67-0_length_string.jpg", 1): four_four_four,
        ("camera/canon_hdr_NO.jpg", 1): four_two_two,
        ("camera/canon_hdr_NO.jpg", 3): four_two_two,
        ("camera/canon_hdr_NO.jpg", 6): four_four_four,
        ("phone/Apple iPhone 5.jpg", 8): four_two_zero,
        ("camera/Nikon_D70.jpg", 6): four_four_four,
    }
    for (rel, orientation), subsampling in expected.items():
        assert upright_subsampling(Image.open(corpus / rel), orientation) == subsampling, rel


def test_fix_orientation_none_turns_no_photo_even_one_it_compresses(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """An iPhone 5 photo stored upside down (Orientation 3), compressed losslessly or
    re-encoded under --fix-orientation none: its pixels stay as stored and its tag stays 3."""
    source = tmp_path / "src"
    original = _copy(corpus, "phone/Apple iPhone 5.jpg", source)
    stored = Image.open(original)
    for n, extra in enumerate([(), ("--min-saving", "0.34", "--quality-floor", "30")]):
        dest = tmp_path / f"out{n}"
        flags = ("--compress-above", "2MB", "--fix-orientation", "none", *extra)
        code, (line,) = organize(source, dest, *flags)
        assert code == 0
        assert line["compressed"] in ("lossless", True) and line["rotated"] is False, line
        placed = Image.open(dest / line["dest"])
        assert placed.getexif().get(0x0112) == 3
        assert placed.size == stored.size
        if line["compressed"] == "lossless":
            assert (_pixels(placed) == _pixels(stored)).all()


def test_a_png_is_never_turned_into_a_larger_file(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A tightly compressed PNG (the corpus's hopper.png written at zlib's best, with an
    Orientation 3 eXIf) is not made larger by turning it: where even the encoder's best
    cannot match it, it keeps its tag, as a JPEG does."""
    source = tmp_path / "src"
    source.mkdir()
    exif = Image.Exif()
    exif[0x0112] = 3
    Image.open(corpus / "formats/hopper.png").save(
        source / "hopper.png", optimize=True, exif=exif.tobytes()
    )
    size = (source / "hopper.png").stat().st_size
    code, (line,) = organize(
        source, tmp_path / "out", "--min-size", "0", "--fix-orientation", "all"
    )
    assert code == 0
    assert line["bytes_out"] <= size, line
    placed = Image.open(tmp_path / "out" / line["dest"])
    assert placed.getexif().get(0x0112) == (1 if line["rotated"] else 3)


def test_a_damaged_heic_with_a_camera_date_is_set_aside_not_skipped(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """An iPhone HEIC whose image data does not decode but whose EXIF says 2019-05-26 is a
    damaged photo with a camera date: never skipped for its size (9 KB), set aside as corrupt
    with its date, as a damaged JPEG is."""
    source = tmp_path / "src"
    _copy(corpus, "corrupt/elodie_photo.heic", source)
    code, (line,) = organize(source, tmp_path / "out")
    assert code == 0
    assert line["status"] == "corrupt", line
    assert line["dest"] == "Corrupted/elodie_photo.heic"
    assert (line["date"], line["date_source"]) == ("2019-05-26T10:33:20", "exif")


def test_an_xmp_date_keeps_the_zone_it_states(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """XMP dates carry their zone: ``-07:00`` is local time with its offset; ``Z`` is UTC,
    turned into local time where the file's position gives a zone (a Takeout JSON's geoData
    here), else left in UTC and said so, as for every UTC-only source."""
    source = tmp_path / "src"
    _copy(corpus, "corrupt/invalid-exif.jpg", source)  # xmp:CreateDate 2017-03-13T23:03:09-07:00
    _copy(corpus, "corrupt/image01551.jpg", source)  # xmp:CreateDate 2011-09-23T12:43:03Z
    _copy(corpus, "corrupt/image01551.jpg", source / "tokyo", "shot.jpg")
    (source / "tokyo" / "shot.jpg.json").write_text(
        '{"title": "shot.jpg", "geoData": {"latitude": 35.68, "longitude": 139.69}}'
    )
    code, report = organize(source, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = {line["source"]: line for line in report}
    assert [lines[name]["date_source"] for name in sorted(lines)[:3]] == ["xmp"] * 3
    offset = lines["invalid-exif.jpg"]
    assert (offset["date"], offset["tz_source"]) == ("2017-03-13T23:03:09-07:00", "exif-offset")
    utc = lines["image01551.jpg"]
    assert (utc["date"], utc["tz_source"]) == ("2011-09-23T12:43:03+00:00", "none")
    assert "date in UTC" in utc["note"]
    tokyo = lines["tokyo/shot.jpg"]
    assert (tokyo["date"], tokyo["tz_source"]) == ("2011-09-23T21:43:03+09:00", "gps-position")


def test_an_xmp_offset_dates_the_camera_time_only_when_it_is_the_same_moment(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """The Nikon D70's XMP repeats its EXIF DateTimeOriginal with -04:00: that is its offset.
    An XMP date of another moment (a sidecar written when the file was edited elsewhere, in
    +09:00) says nothing about the zone the camera was in."""
    source = tmp_path / "src"
    _copy(corpus, "camera/Nikon_D70.jpg", source)
    _copy(corpus, "camera/Canon_40D.jpg", source)  # EXIF 2008-05-30 15:56:01, no offset
    (source / "Canon_40D.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        'xmp:CreateDate="2008-07-31T10:38:11+09:00"/></rdf:RDF></x:xmpmeta>'
    )
    code, report = organize(source, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = {line["source"]: line for line in report}
    nikon = lines["Nikon_D70.jpg"]
    assert (nikon["date"], nikon["tz_source"]) == ("2008-03-15T09:52:01-04:00", "exif-offset")
    canon = lines["Canon_40D.jpg"]
    assert (canon["date"], canon["tz_source"]) == ("2008-05-30T15:56:01", "none")


def _with_orientation_type(data: bytes, kind: int) -> bytes:
    """``data`` with its IFD0 Orientation entry's type changed to ``kind`` (value kept)."""
    import struct

    start = data.index(b"Exif\0\0") + 6
    endian = "<" if data[start : start + 2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(endian + "I", data, start + 4)
    (count,) = struct.unpack_from(endian + "H", data, start + ifd0)
    out = bytearray(data)
    for n in range(count):
        entry = start + ifd0 + 2 + 12 * n
        tag, _, _, value = struct.unpack_from(endian + "HHIH", data, entry)
        if tag == 0x0112:
            struct.pack_into(endian + "HHI", out, entry, tag, kind, 1)
            fmt = {8: "h", 9: "i"}[kind]
            out[entry + 8 : entry + 12] = bytes(4)
            struct.pack_into(endian + fmt, out, entry + 8, value)
            return bytes(out)
    raise AssertionError("no Orientation")


def test_a_photo_whose_orientation_has_an_odd_type_is_never_turned_twice(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """The Galaxy S photo (Orientation 6) with its Orientation written as a signed
    SHORT or a signed LONG, as some editors do: viewers read it as 6, so once the pixels are
    turned the tag must say 1, whatever its type."""
    data = (corpus / "phone/Samsung GT-I9000 (Galaxy S).jpg").read_bytes()
    upright = Image.open(corpus / "phone/Samsung GT-I9000 (Galaxy S).jpg").transpose(
        Image.Transpose.ROTATE_270
    )
    for kind in (8, 9):
        source = tmp_path / f"src{kind}"
        source.mkdir()
        (source / "galaxy.jpg").write_bytes(_with_orientation_type(data, kind))
        assert Image.open(source / "galaxy.jpg").getexif()[0x0112] == 6
        for n, flags in enumerate([(), ("--compress-above", "1", "--min-saving", "0.34")]):
            dest = tmp_path / f"out{kind}-{n}"
            code, (line,) = organize(source, dest, *flags)
            assert code == 0
            placed = Image.open(dest / line["dest"])
            tag = placed.getexif().get(0x0112)
            if line["rotated"]:
                assert tag == 1, (kind, flags, line)
                assert placed.size == upright.size
            else:
                assert tag == 6, (kind, flags, line)


def test_a_utc_offset_of_zero_is_an_offset(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A Pixel photo taken in London in winter (OffsetTimeOriginal +00:00) and edited there in
    summer (OffsetTime +01:00, the offset of its last change): its capture offset is +00:00."""
    source = tmp_path / "src"
    photo = _copy(corpus, "camera/exiftool_Google.jpg", source, "london.jpg")
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool writes the offsets")
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-OffsetTimeOriginal=+00:00",
         "-OffsetTimeDigitized=+00:00", "-OffsetTime=+01:00", str(photo)],
        check=True,
    )  # fmt: skip
    code, (line,) = organize(source, tmp_path / "out", "--min-size", "0")
    assert code == 0
    assert (line["date"], line["tz_source"]) == ("2023-10-06T22:53:51+00:00", "exif-offset")


def test_an_edited_copy_lands_in_the_year_its_original_does(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A Takeout folder: a Sony photo taken at midnight on New Year's Day (EXIF 2007-01-01
    00:00:00, local time), its JSON (photoTakenTime 2006-12-31 23:00 UTC: the camera was in
    +01:00; no position) and Google Photos' edited copy. The original is dated by its EXIF,
    so the copy, dated by its original, lands in 2007 too, not in 2006."""
    album = tmp_path / "src" / "Takeout" / "Google Photos" / "Photos from 2007"
    _copy(corpus, "odd_dates/Sony_DSLR-A200.jpg", album, "DSC00001.JPG")
    _copy(corpus, "no_exif/hopper.jpg", album, "DSC00001-edited.JPG")
    (album / "DSC00001.JPG.json").write_text(
        '{"title": "DSC00001.JPG", "photoTakenTime": {"timestamp": "1167606000"},'
        ' "geoData": {"latitude": 0.0, "longitude": 0.0}}'
    )
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = {Path(line["source"]).name: line for line in report}
    assert lines["DSC00001.JPG"]["year"] == 2007, lines["DSC00001.JPG"]
    assert lines["DSC00001.JPG"]["date_source"] == "exif"
    copy = lines["DSC00001-edited.JPG"]
    assert (copy["year"], copy["date_source"]) == (2007, "original"), copy


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_dates_a_file_whose_name_is_not_utf8(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A trail camera photo (its date only in the Reconyx maker note) named in Latin-1 on an
    old Windows disk: exiftool names it with a '?' for the byte that is not UTF-8, and its
    answer still dates that file."""
    source = tmp_path / "src"
    source.mkdir()
    name = b"Wildkamera M\xe4rz.jpg".decode("utf-8", "surrogateescape")
    shutil.copyfile(corpus / "camera/Reconyx_HC500_Hyperfire.jpg", source / name)
    code, (line,) = organize(source, tmp_path / "out")
    assert code == 0
    assert (line["date"], line["date_source"]) == ("2020-03-16T10:00:00", "exiftool"), line


def test_an_animated_png_is_never_flattened_to_turn_it(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """An animated PNG (two frames of the corpus's hopper.png) with EXIF Orientation 6, under
    --fix-orientation all: turning would keep only its first frame, so it keeps its bytes and
    its tag, and the note says why."""
    source = tmp_path / "src"
    source.mkdir()
    first = Image.open(corpus / "formats/hopper.png").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    first.save(
        source / "wave.png",
        save_all=True,
        append_images=[first.transpose(Image.Transpose.FLIP_LEFT_RIGHT)],
        duration=200,
        exif=exif.tobytes(),
    )
    code, (line,) = organize(
        source, tmp_path / "out", "--min-size", "0", "--fix-orientation", "all"
    )
    assert code == 0
    assert line["status"] == "placed" and line["rotated"] is False, line
    assert (tmp_path / "out" / line["dest"]).read_bytes() == (source / "wave.png").read_bytes()
    assert "orientation kept as a tag" in line["note"]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    import zlib

    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def test_a_16_bit_colour_png_is_not_reduced_to_8_bits_to_turn_it(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A 48-bit PNG as scanners and raw converters write it (hopper.png's pixels at 16 bits a
    channel), with EXIF Orientation 6: the imaging library reads such a file at 8 bits, so
    turning it would throw half of each sample away; it keeps its bytes and its tag."""
    import zlib

    pixels = _pixels(Image.open(corpus / "formats/hopper.png")).astype(">u2") * 257
    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(
                b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x10\x02\0\0\0"
            ),
            _png_chunk(b"eXIf", exif.tobytes()[6:]),
            _png_chunk(b"IDAT", zlib.compress(rows)),
            _png_chunk(b"IEND", b""),
        ]
    )
    source = tmp_path / "src"
    source.mkdir()
    (source / "scan.png").write_bytes(data)
    code, (line,) = organize(
        source, tmp_path / "out", "--min-size", "0", "--fix-orientation", "all"
    )
    assert code == 0
    assert line["status"] == "placed" and line["rotated"] is False, line
    assert (tmp_path / "out" / line["dest"]).read_bytes() == data
    assert "orientation kept as a tag" in line["note"]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool writes the XMP")
def test_a_turned_photo_says_orientation_1_in_its_xmp_too(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """The Galaxy S photo (Orientation 6) after an editor wrote its XMP (tiff:Orientation 6, as
    Lightroom and exiftool do): once the pixels are turned, a viewer reading the XMP must not
    turn them again, losslessly turned or re-encoded."""
    source = tmp_path / "src"
    photo = _copy(corpus, "phone/Samsung GT-I9000 (Galaxy S).jpg", source, "galaxy.jpg")
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-XMP-tiff:Orientation#=6", str(photo)],
        check=True,
    )
    for n, flags in enumerate([(), ("--compress-above", "1", "--min-saving", "0.34")]):
        dest = tmp_path / f"out{n}"
        code, (line,) = organize(source, dest, *flags)
        assert code == 0 and line["rotated"] is True, line
        said = subprocess.run(
            ["exiftool", "-s3", "-n", "-XMP-tiff:Orientation", "-IFD0:Orientation", str(dest / line["dest"])],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert said == ["1", "1"], (flags, said)


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_a_maker_note_date_with_subseconds_keeps_its_offset(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A FLIR thermal photo whose EXIF dates were stripped by an editor: only its FLIR record
    dates it, as ``2012:02:11 14:17:08.253+01:00``; the offset after the fraction of a
    second is its offset."""
    source = tmp_path / "src"
    photo = _copy(corpus, "camera/exiftool_FLIR.jpg", source, "flir.jpg")
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-EXIF:DateTimeOriginal=", "-EXIF:CreateDate=",
         "-EXIF:ModifyDate=", str(photo)],
        check=True,
    )  # fmt: skip
    code, (line,) = organize(source, tmp_path / "out", "--min-size", "0")
    assert code == 0
    assert (line["date"], line["date_source"], line["tz_source"]) == (
        "2012-02-11T14:17:08+01:00",
        "exiftool",
        "exif-offset",
    ), line


def test_a_jpeg_the_imaging_library_cannot_open_keeps_its_camera_date(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """The Canon 40D photo with its frame header damaged (precision 12 where 8 was written):
    every marker is in place but no decoder opens it. Its EXIF still says 2008-05-30, so it is
    a damaged camera photo: set aside with its date, not skipped as a small undated image."""
    from engine.formats import jpeg

    data = bytearray((corpus / "camera/Canon_40D.jpg").read_bytes())
    sof = next(s.start for s in jpeg.check_jpeg(bytes(data)).segments if s.marker == 0xC0)
    assert data[sof + 4] == 8
    data[sof + 4] = 12
    source = tmp_path / "src"
    source.mkdir()
    (source / "IMG_0001.JPG").write_bytes(bytes(data))
    code, (line,) = organize(source, tmp_path / "out")
    assert code == 0
    assert line["status"] == "corrupt", line
    assert (line["date"], line["date_source"]) == ("2008-05-30T15:56:01", "exif"), line


def test_a_takeout_photo_taken_before_1970_keeps_its_year(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """A scanned family photo whose date was set in Google Photos to 1965: Takeout writes its
    photoTakenTime as a negative timestamp. That is its date, not the upload's creationTime."""
    album = tmp_path / "src" / "Takeout" / "Google Photos" / "Scans"
    _copy(corpus, "no_exif/noexif.jpg", album, "scan0001.jpg")
    (album / "scan0001.jpg.json").write_text(
        '{"title": "scan0001.jpg", "photoTakenTime": {"timestamp": "-157766400"},'
        ' "creationTime": {"timestamp": "1571650290"}}'
    )
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    assert code == 0
    line = next(line for line in report if line["source"].endswith("scan0001.jpg"))
    assert (line["date"], line["date_source"]) == ("1965-01-01T00:00:00+00:00", "takeout"), line


def test_a_takeout_upload_time_never_dates_a_photo(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A Takeout JSON without photoTakenTime (an item Google Photos holds no capture time for)
    still has creationTime: when it was uploaded, years after the photo. The photo's dated file
    name is its date, and without one it is undated, never filed under its upload's year."""
    album = tmp_path / "src" / "Takeout" / "Google Photos" / "Photos from 2019"
    upload = ' "creationTime": {"timestamp": "1571650290"}}'  # 2019-10-21
    _copy(corpus, "no_exif/noexif.jpg", album, "IMG_20120704_101500.jpg")
    (album / "IMG_20120704_101500.jpg.json").write_text(
        '{"title": "IMG_20120704_101500.jpg",' + upload
    )
    _copy(corpus, "no_exif/noexif.jpg", album, "scan.jpg")
    (album / "scan.jpg").write_bytes((album / "scan.jpg").read_bytes() + b"\0")  # other bytes
    (album / "scan.jpg.json").write_text('{"title": "scan.jpg",' + upload)
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = {Path(line["source"]).name: line for line in report}
    named = lines["IMG_20120704_101500.jpg"]
    assert (named["year"], named["date_source"]) == (2012, "filename"), named
    assert (lines["scan.jpg"]["year"], lines["scan.jpg"]["date_source"]) == (None, "none")


def _with_xmp_after_image_data(png: bytes, packet: bytes, compressed: bool) -> bytes:
    """``png`` with an iTXt ``XML:com.adobe.xmp`` chunk holding ``packet`` right before IEND,
    after the image data, as some editors write it."""
    import zlib

    text = zlib.compress(packet) if compressed else packet
    body = b"XML:com.adobe.xmp\0" + (b"\1\0" if compressed else b"\0\0") + b"\0\0" + text
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + _png_chunk(b"iTXt", body) + png[iend:]


def test_a_png_whose_xmp_follows_its_image_data_is_dated_by_it(
    tmp_path: Path, corpus: Path, organize
) -> None:  # type: ignore[no-untyped-def]
    """The XMP packet Photoshop Elements wrote into a Canon IXUS photo (DateTimeOriginal
    2004-08-27 13:52:55+02:00), in an iTXt chunk after the image data of real PNGs (plain and
    compressed), dates them as exiftool reads it, under ``xmp``: before, the PNG reader took
    XMP only before the image data, so one went undated (or to exiftool's weaker rank, below
    the file name of the other, a phone's ``IMG_20180725_163423-1.png``)."""
    packet = Image.open(corpus / "camera/Canon_DIGITAL_IXUS_400.jpg").info["xmp"]
    source = tmp_path / "src"
    source.mkdir()
    for name, original, compressed in [
        ("scan.png", "formats/hopper.png", False),
        ("IMG_20180725_163423-1.png", "filename_dates/IMG_20180725_163423-1.png", True),
    ]:
        png = (corpus / original).read_bytes()
        (source / name).write_bytes(_with_xmp_after_image_data(png, packet, compressed))

    code, report = organize(source, tmp_path / "out", "--min-size", "0")

    assert code == 0
    for line in report:
        assert line["status"] == "placed", line
        assert (line["date"], line["date_source"]) == ("2004-08-27T13:52:55+02:00", "xmp"), line
        assert line["dest"].startswith("2004/")
    exiftool = shutil.which("exiftool")
    if exiftool is not None:
        read = subprocess.run(
            [exiftool, "-j", "-G", "-XMP:DateTimeOriginal", str(source / "scan.png")],
            capture_output=True,
            check=True,
        )
        assert '"XMP:DateTimeOriginal": "2004:08:27 13:52:55+02:00"' in read.stdout.decode()
