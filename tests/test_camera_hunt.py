"""Files from cameras and phones the shared corpus lacks, made here with Pillow, exiftool and
ffmpeg, and organised as an archive holds them; exiftool's reading of each source is the truth."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps

from benchmarks.make_archive import photo

EXIFTOOL = shutil.which("exiftool")
FFMPEG = shutil.which("ffmpeg")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")


def by_source(report):  # type: ignore[no-untyped-def]
    return {line["source"]: line for line in report}


def exif_block(date: str, orientation: int | None = None) -> bytes:
    """An EXIF block (with its ``Exif\\0\\0`` header) saying when, and which way is up."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    exif.get_ifd(0x8769)[36867] = date
    return exif.tobytes()


def app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def plain_jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG without metadata whose sides are whole MCUs (every turn is lossless)."""
    buffer = io.BytesIO()
    photo(*size, seed=3).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def exiftool_tags(path: Path) -> dict[str, object]:
    assert EXIFTOOL is not None
    done = subprocess.run(
        [EXIFTOOL, "-j", "-G1", "-a", "-n", str(path)], capture_output=True, check=True
    )
    tags: dict[str, object] = json.loads(done.stdout)[0]
    return tags


def upright(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def looks_alike(a: Image.Image, b: Image.Image) -> bool:
    if a.size != b.size:
        return False
    return (
        max(v for v, _ in (band.getextrema() for band in ImageChops.difference(a, b).split())) < 24
    )


@needs_exiftool
def test_an_exif_block_after_the_image_data_is_not_read(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """A writer that appends its EXIF segment after the scan: no reader (exiftool, libjpeg,
    Pillow, a browser) looks there, so every viewer shows the photo as stored and nothing dates
    it. Read as EXIF, its Orientation 6 had the photo turned on its side and its date taken."""
    src = tmp_path / "src"
    src.mkdir()
    data = plain_jpeg()
    eoi = data.rindex(b"\xff\xd9")
    late = data[:eoi] + app1(exif_block("2007:07:07 07:07:07", 6)) + data[eoi:]
    (src / "scan.jpg").write_bytes(late)
    truth = exiftool_tags(src / "scan.jpg")
    assert "ExifIFD:DateTimeOriginal" not in truth and "IFD0:Orientation" not in truth

    # Compressing it (jpegtran, a re-encode) would move the block before the image data.
    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--compress-above", "1")
    line = by_source(report)["scan.jpg"]
    assert code == 0 and line["status"] == "placed"
    assert line["year"] is None and line["dest"] == "NoDate/scan.jpg"
    assert not line["rotated"]
    placed = tmp_path / "out" / line["dest"]
    assert looks_alike(upright(placed), upright(src / "scan.jpg"))
    assert "IFD0:Orientation" not in exiftool_tags(placed)


def test_a_photo_whose_orientation_tag_cannot_be_reset_is_not_turned(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An app that wrote the ``Exif\\0\\0`` header twice: Pillow-based viewers still read its
    Orientation 6, but the in-place reset to 1 cannot parse the block. Turning the pixels then
    left the tag at 6, so those viewers turned the photo a second time."""
    src = tmp_path / "src"
    src.mkdir()
    data = plain_jpeg()
    doubled = data[:2] + app1(b"Exif\x00\x00" + exif_block("2006:06:06 06:06:06", 6)) + data[2:]
    (src / "app.jpg").write_bytes(doubled)
    with Image.open(src / "app.jpg") as im:
        assert im.getexif().get(0x0112) == 6

    for flags in (("--no-compress",), ("--compress-above", "1", "--target-size", "20000")):
        out = tmp_path / f"out{len(flags)}"
        code, report = organize(src, out, "--min-size", "0", *flags)
        line = by_source(report)["app.jpg"]
        assert code == 0 and line["status"] == "placed"
        placed = out / line["dest"]
        # Whatever a viewer makes of the tag, it sees the photo as it saw the source.
        assert looks_alike(upright(placed), upright(src / "app.jpg"))
        assert not line["rotated"] and "orientation kept as a tag" in line["note"]
    assert (tmp_path / "out1" / "2006" / "app.jpg").read_bytes() == doubled


@needs_ffmpeg
def test_an_android_video_named_in_local_time_lands_in_its_local_year(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An Android camera names a video by local time (``VID_20181231_213000.mp4``, Samsung's
    ``20181231_213000.mp4``) and writes ``creation_time`` in UTC; without GPS the two clocks of
    one phone give the offset. Taken at 21:30 on New Year's Eve in New York (02:30 UTC on New
    Year's Day), it belongs to 2018, not 2019."""
    assert FFMPEG is not None
    src = tmp_path / "src" / "DCIM" / "Camera"
    src.mkdir(parents=True)
    for name, utc in (
        ("VID_20181231_213000.mp4", "2019-01-01T02:30:01Z"),
        ("20181231_213000.mp4", "2019-01-01T02:29:58Z"),
        ("VID_20190615_120000.mp4", "2019-06-20T09:00:00Z"),  # edited days later: no zone
    ):
        command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"]
        command += ["-t", "1", "-metadata", f"creation_time={utc}", "-c:v", "mjpeg"]
        subprocess.run([*command, str(src / name)], check=True)

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    for name, date in (
        ("VID_20181231_213000.mp4", "2018-12-31T21:30:01-05:00"),
        ("20181231_213000.mp4", "2018-12-31T21:29:58-05:00"),
    ):
        line = lines[f"DCIM/Camera/{name}"]
        assert (line["date"], line["tz_source"], line["year"]) == (date, "filename", 2018)
        assert line["dest"].startswith("2018/")
    far = lines["DCIM/Camera/VID_20190615_120000.mp4"]
    assert (far["date"], far["tz_source"]) == ("2019-06-20T09:00:00+00:00", "none")


def test_a_3d_camera_mpo_file_is_organised_whole(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Fujifilm's REAL 3D cameras and the Nintendo 3DS write ``.MPO`` files (two JPEGs, one
    per eye, in one Multi-Picture file): a photo, dated by its EXIF, placed byte for byte
    (never re-encoded, which would drop the second image), not left behind as "not an image"."""
    src = tmp_path / "src"
    src.mkdir()
    left = photo(640, 480, seed=1)
    buffer = io.BytesIO()
    left.save(
        buffer,
        "MPO",
        save_all=True,
        append_images=[photo(640, 480, seed=2)],
        exif=exif_block("2011:08:08 08:08:08"),
        quality=95,
    )
    (src / "DSCF0001.MPO").write_bytes(buffer.getvalue())

    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--compress-above", "1")
    line = by_source(report)["DSCF0001.MPO"]
    assert code == 0 and (line["status"], line["year"]) == ("placed", 2011)
    placed = tmp_path / "out" / line["dest"]
    assert placed.read_bytes() == buffer.getvalue()
    with Image.open(placed) as im:
        assert getattr(im, "n_frames", 1) == 2


def test_a_raw_beside_its_jpeg_keeps_its_own_sidecar(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """darktable names its sidecar after the RAW's whole name (``DSC_0002.NEF.xmp``); with the
    camera's JPEG beside the RAW, the RAW travels with the JPEG, and its sidecar must too: it
    was left behind as "a sidecar without its photo" (in move mode, away from its RAW)."""
    src = tmp_path / "src" / "2016-11 Trip"
    src.mkdir(parents=True)
    taken = exif_block("2016:11:30 23:59:00")
    photo(64, 48, seed=4).save(src / "DSC_0002.NEF", "TIFF", exif=taken)
    photo(64, 48, seed=4).save(src / "DSC_0002.JPG", "JPEG", quality=90, exif=taken)
    edits = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><darktable history="crop"/></x:xmpmeta>'
    (src / "DSC_0002.NEF.xmp").write_text(edits)

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0", "--mode", "move")
    lines = by_source(report)
    assert code == 0
    sidecar = lines["2016-11 Trip/DSC_0002.NEF.xmp"]
    assert sidecar["status"] == "placed" and sidecar["companion_of"] == "2016-11 Trip/DSC_0002.JPG"
    raw = tmp_path / "out" / lines["2016-11 Trip/DSC_0002.NEF"]["dest"]
    assert (raw.parent / "DSC_0002.NEF.xmp").read_text() == edits
    assert not any(p.is_file() for p in (tmp_path / "src").rglob("*"))


def test_names_from_facebook_and_a_12_hour_mac_are_read(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Facebook strips EXIF from the photos it saves and names them by the moment saved, in
    milliseconds since 1970 (UTC); a Mac on a 12-hour clock names a screenshot "... at 11.30.00
    PM". The first went to NoDate, the second was dated 11:30 in the morning."""
    src = tmp_path / "src" / "Phone"
    src.mkdir(parents=True)
    photo(64, 48, seed=5).save(src / "FB_IMG_1561939200000.jpg", "JPEG")  # 2019-07-01 00:00 UTC
    photo(64, 48, seed=6).save(src / "Screen Shot 2018-12-31 at 11.30.00 PM.png", "PNG")

    code, report = organize(tmp_path / "src", tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    facebook = lines["Phone/FB_IMG_1561939200000.jpg"]
    assert (facebook["date"], facebook["date_source"]) == ("2019-07-01T00:00:00+00:00", "filename")
    assert facebook["dest"] == "2019/Phone/FB_IMG_1561939200000.jpg"
    mac = lines["Phone/Screen Shot 2018-12-31 at 11.30.00 PM.png"]
    assert (mac["date"], mac["year"]) == ("2018-12-31T23:30:00", 2018)


@needs_ffmpeg
def test_a_video_dated_at_the_unix_epoch_is_undated(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Apps and phones that never set a clock write a zero Unix time into the movie header:
    ``creation_time`` 1970-01-01, which outranked the date in the file's name, and, with no
    such name, exiftool's reading of the same header put the video in 1970."""
    assert FFMPEG is not None
    src = tmp_path / "src"
    src.mkdir()
    for name, seconds in (("VID_20190616_101010.mp4", 5), ("clip.mp4", 7)):
        command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"]
        command += ["-t", "1", "-metadata", f"creation_time=1970-01-01T00:00:0{seconds}Z"]
        subprocess.run([*command, "-c:v", "mjpeg", str(src / name)], check=True)

    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    named = lines["VID_20190616_101010.mp4"]
    assert (named["date"], named["date_source"]) == ("2019-06-16T10:10:10", "filename")
    clip = lines["clip.mp4"]
    assert clip["dest"] == "NoDate/clip.mp4" and "clock never set" in clip["note"]


def test_olympus_and_panasonic_raws_are_dated_from_their_own_exif(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An Olympus ORF starts ``IIRO`` (``IIRS``, ``MMOR``) and a Panasonic RW2 ``IIU``: TIFF
    with a magic of their own, which the RAW reader did not take for TIFF. They were left to
    the costly exiftool batch, and undated where exiftool is not installed."""
    src = tmp_path / "src"
    src.mkdir()
    buffer = io.BytesIO()
    taken = Image.Exif()
    taken.get_ifd(0x8769)[36867] = "2016:12:31 23:59:00"
    photo(64, 48, seed=7).save(buffer, "TIFF", exif=taken.tobytes())
    tiff = buffer.getvalue()
    (src / "P1010001.ORF").write_bytes(b"IIRO" + tiff[4:])
    (src / "P1000001.RW2").write_bytes(b"IIU\x00" + tiff[4:])
    if EXIFTOOL is not None:
        assert exiftool_tags(src / "P1010001.ORF")["ExifIFD:DateTimeOriginal"] == (
            "2016:12:31 23:59:00"
        )

    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    for name in ("P1010001.ORF", "P1000001.RW2"):
        line = lines[name]
        assert (line["date"], line["date_source"]) == ("2016-12-31T23:59:00", "exif"), line
        assert line["dest"] == f"2016/{name}"


@needs_exiftool
def test_a_jpeg_turned_only_by_its_xmp_orientation_is_made_upright(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An editor that keeps XMP but no EXIF Orientation (tiff:Orientation 6): exiftool's
    Orientation and Pillow's exif_transpose both say it is on its side. It was placed as
    stored, the only JPEG orientation the engine did not fix."""
    assert EXIFTOOL is not None
    src = tmp_path / "src"
    src.mkdir()
    (src / "edit.jpg").write_bytes(plain_jpeg())
    subprocess.run(
        [EXIFTOOL, "-q", "-overwrite_original", "-XMP-tiff:Orientation#=6", str(src / "edit.jpg")],
        check=True,
    )
    assert exiftool_tags(src / "edit.jpg")["XMP-tiff:Orientation"] == 6

    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--no-compress")
    line = by_source(report)["edit.jpg"]
    assert code == 0 and line["rotated"]
    placed = tmp_path / "out" / line["dest"]
    assert exiftool_tags(placed)["XMP-tiff:Orientation"] == 1
    with Image.open(placed) as im:
        assert im.size == (480, 640) and im.getexif().get(0x0112) in (None, 1)
    assert looks_alike(upright(placed), upright(src / "edit.jpg"))


@needs_ffmpeg
def test_a_photo_without_a_date_takes_the_one_of_its_raw_or_live_photo_video(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A Live Photo whose HEIC was converted to JPEG without its EXIF, and a JPEG an editor
    stripped beside the camera's RAW: the MOV (Apple's local creation date) and the RAW (its
    EXIF) say when; the family went to NoDate."""
    assert FFMPEG is not None
    src = tmp_path / "src"
    src.mkdir()
    photo(64, 48, seed=8).save(src / "IMG_0001.JPG", "JPEG")
    command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1"]
    command += ["-metadata", "creation_time=2019-01-01T04:30:00Z", "-movflags", "use_metadata_tags"]
    command += ["-metadata", "com.apple.quicktime.creationdate=2018-12-31T23:30:00-0500"]
    subprocess.run([*command, "-c:v", "mjpeg", str(src / "IMG_0001.MOV")], check=True)
    photo(64, 48, seed=9).save(src / "IMG_0002.JPG", "JPEG")
    taken = Image.Exif()
    taken.get_ifd(0x8769)[36867] = "2016:07:01 12:00:00"
    photo(64, 48, seed=9).save(src / "IMG_0002.CR2", "TIFF", exif=taken.tobytes())

    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    live, still = lines["IMG_0001.JPG"], lines["IMG_0002.JPG"]
    assert (live["date"], live["date_source"]) == ("2018-12-31T23:30:00-05:00", "companion")
    assert (
        live["dest"] == "2018/IMG_0001.JPG" and lines["IMG_0001.MOV"]["dest"] == "2018/IMG_0001.MOV"
    )
    assert (still["date"], still["date_source"]) == ("2016-07-01T12:00:00", "companion")
    assert lines["IMG_0002.CR2"]["dest"] == "2016/IMG_0002.CR2"
    assert "travelling with it" in still["note"]


@needs_exiftool
def test_a_turned_photo_keeps_its_exif_thumbnail_turned_too(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Cameras and phones store a 160x120 preview in EXIF (IFD1). Turning the photo unlinked
    it, so the placed file lost six EXIF tags and its preview; now the preview is turned the
    same way and every other tag is as it was."""
    assert EXIFTOOL is not None
    src = tmp_path / "src"
    src.mkdir()
    data = plain_jpeg()
    (src / "IMG_0001.JPG").write_bytes(data)
    preview = tmp_path / "preview.jpg"
    with Image.open(io.BytesIO(data)) as im:
        im.resize((160, 120)).save(preview, "JPEG", quality=80)
    command = [EXIFTOOL, "-q", "-overwrite_original", "-Orientation#=6", "-Make=Apple"]
    command += ["-DateTimeOriginal=2015:05:05 05:05:05", f"-ThumbnailImage<={preview}"]
    subprocess.run([*command, str(src / "IMG_0001.JPG")], check=True)

    reencode = (
        "--compress-above",
        "1",
        "--target-size",
        str(len(data) // 2),
        "--quality-floor",
        "20",
    )
    for n, flags in enumerate((("--no-compress",), reencode)):
        code, report = organize(src, tmp_path / f"out{n}", "--min-size", "0", *flags)
        line = by_source(report)["IMG_0001.JPG"]
        assert code == 0 and line["rotated"] and (line["quality"] is None) == (n == 0)
        placed = tmp_path / f"out{n}" / line["dest"]
        before, after = exiftool_tags(src / "IMG_0001.JPG"), exiftool_tags(placed)
        kept = ("System:", "File:", "SourceFile", "Composite:", "ExifTool:")
        lost = [tag for tag in before if not tag.startswith(kept) and tag not in after]
        assert lost == [] and after["IFD0:Orientation"] == 1
        small = subprocess.run(
            [EXIFTOOL, "-b", "-ThumbnailImage", str(placed)], capture_output=True, check=True
        ).stdout
        with Image.open(io.BytesIO(small)) as im:
            assert im.size == (120, 160)
            wanted = upright(src / "IMG_0001.JPG").resize((120, 160))
            assert looks_alike(im.convert("RGB"), wanted)


def test_a_jpeg_missing_only_its_end_marker_is_placed_and_a_cut_one_set_aside(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Some programs leave out the end-of-image marker: every viewer shows the photo whole
    (libjpeg only warns), yet it went to Corrupted with the copies cut short. A file cut
    inside its image data, and a progressive one (which cannot be told from one cut after a
    scan), are still set aside."""
    src = tmp_path / "src"
    src.mkdir()
    whole = io.BytesIO()
    photo(640, 480, seed=10).save(whole, "JPEG", quality=90, exif=exif_block("2014:02:02 02:02:02"))
    data = whole.getvalue()
    progressive = io.BytesIO()
    photo(640, 480, seed=10).save(progressive, "JPEG", quality=90, progressive=True)
    (src / "no_end.jpg").write_bytes(data[:-2])
    (src / "cut.jpg").write_bytes(data[: len(data) // 2])
    (src / "progressive.jpg").write_bytes(progressive.getvalue()[:-2])

    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    kept = lines["no_end.jpg"]
    assert (kept["status"], kept["dest"]) == ("placed", "2014/no_end.jpg")
    assert "image data is complete" in kept["note"]
    assert (tmp_path / "out" / kept["dest"]).read_bytes() == data[:-2]
    assert lines["cut.jpg"]["status"] == "corrupt"
    assert lines["progressive.jpg"]["status"] == "corrupt"


@needs_ffmpeg
def test_a_video_whose_position_is_in_its_3gpp_location_box_lands_in_its_local_year(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """An MP4 records where it was shot in the 3GPP ``loci`` box (ffmpeg's ``location`` in an
    MP4, phones that write 3GP user data) or in a ``location`` key (``use_metadata_tags``);
    MediaInfo shows neither, so the video, shot at 21:00 on New Year's Eve in New York (02:00
    UTC), stayed in UTC and in the next year."""
    assert FFMPEG is not None
    src = tmp_path / "src"
    src.mkdir()
    for name, flags in (("loci.mp4", ()), ("keys.mp4", ("-movflags", "use_metadata_tags"))):
        command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"]
        command += ["-t", "1", "-metadata", "creation_time=2019-01-01T02:00:00Z"]
        command += ["-metadata", "location=+40.7128-074.0060/", *flags, "-c:v", "mjpeg"]
        subprocess.run([*command, str(src / name)], check=True)
    if EXIFTOOL is not None:
        assert "UserData:LocationInformation" in exiftool_tags(src / "loci.mp4")

    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    for name in ("loci.mp4", "keys.mp4"):
        line = lines[name]
        assert (line["date"], line["tz_source"]) == ("2018-12-31T21:00:00-05:00", "gps-position")
        assert line["dest"] == f"2018/{name}"


@needs_ffmpeg
def test_a_video_recorded_date_with_its_offset_outranks_its_utc_creation_time(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A camera or an export writes the local moment of recording with its offset in the
    ``©day`` atom (exiftool's ContentCreateDate) beside the UTC ``creation_time``; the UTC one
    was read first, so a video shot at 23:30 on New Year's Eve in New York went to the next
    year."""
    assert FFMPEG is not None
    src = tmp_path / "src"
    src.mkdir()
    for name in ("MVI_0001.MOV", "clip.mp4"):
        command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"]
        command += ["-t", "1", "-metadata", "creation_time=2019-01-01T04:30:00Z"]
        command += ["-metadata", "date=2018-12-31T23:30:00-0500", "-c:v", "mjpeg"]
        subprocess.run([*command, str(src / name)], check=True)
    if EXIFTOOL is not None:
        tags = exiftool_tags(src / "MVI_0001.MOV")
        assert tags["UserData:ContentCreateDate"] == "2018:12:31 23:30:00-05:00"

    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    for name in ("MVI_0001.MOV", "clip.mp4"):
        line = lines[name]
        assert (line["date"], line["year"]) == ("2018-12-31T23:30:00-05:00", 2018), line


@needs_ffmpeg
def test_videos_of_older_phones_camcorders_and_screen_recorders_are_organised(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """.3g2 (CDMA phones), .wmv (Windows phones), .mpg (MPEG movie cameras), .mkv and .webm
    (screen recorders) were "not an image type" and left behind; they are videos, dated from
    their container, and one copied half-way is set aside."""
    assert FFMPEG is not None
    src = tmp_path / "src"
    src.mkdir()
    for name, codec in (
        ("clip.3g2", "libx264"),
        ("clip.wmv", "wmv2"),
        ("clip.mkv", "libx264"),
        ("clip.webm", "libvpx"),
        ("MOV00001.MPG", "mpeg2video"),
    ):
        command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25"]
        command += ["-t", "1", "-metadata", "creation_time=2019-06-01T12:00:00Z"]
        subprocess.run([*command, "-c:v", codec, str(src / name)], check=True)
    whole = (src / "clip.mkv").read_bytes()
    (src / "cut.mkv").write_bytes(whole[: len(whole) // 2])

    code, report = organize(src, tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    for name in ("clip.3g2", "clip.wmv", "clip.mkv", "clip.webm"):
        assert (lines[name]["status"], lines[name]["dest"]) == ("placed", f"2019/{name}")
    assert lines["MOV00001.MPG"]["dest"] == "NoDate/MOV00001.MPG"  # MPEG-PS holds no date
    assert lines["cut.mkv"]["status"] == "corrupt"


def test_a_scan_whose_year_alone_is_known_lands_in_that_year(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Scanning software writes a photo whose year alone is known as DateTimeOriginal
    "1985:00:00 00:00:00" (and its month as "1985:07:00 ..."), as exiftool shows it. Read
    as no date, the scan was filed under the year it was scanned (IFD0 DateTime)."""
    src = tmp_path / "src" / "Scans"
    src.mkdir(parents=True)
    for name, taken in (("beach.jpg", "1985:00:00 00:00:00"), ("party.jpg", "1985:07:00 00:00:00")):
        exif = Image.Exif()
        exif[0x0132] = "2015:03:01 10:00:00"  # when it was scanned
        exif.get_ifd(0x8769)[36867] = taken
        photo(64, 48, seed=11).save(src / name, "JPEG", exif=exif.tobytes())
        if EXIFTOOL is not None:
            assert exiftool_tags(src / name)["ExifIFD:DateTimeOriginal"] == taken

    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    lines = by_source(report)
    assert code == 0
    assert (lines["Scans/beach.jpg"]["year"], lines["Scans/beach.jpg"]["date_source"]) == (
        1985,
        "exif",
    )
    assert lines["Scans/party.jpg"]["date"] == "1985-07-01T00:00:00"


@needs_ffmpeg
def test_a_camera_video_is_dated_by_the_thm_beside_it(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """Canon and Nikon compacts wrote each video as an AVI with no date in it and a ``.THM``
    beside it: a small JPEG whose EXIF says when. The video went to NoDate."""
    assert FFMPEG is not None
    src = tmp_path / "src" / "DCIM" / "100CANON"
    src.mkdir(parents=True)
    command = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1"]
    subprocess.run([*command, "-c:v", "mjpeg", str(src / "MVI_0001.AVI")], check=True)
    photo(160, 120, seed=12).save(
        src / "MVI_0001.THM", "JPEG", exif=exif_block("2005:08:09 10:11:12")
    )

    code, report = organize(tmp_path / "src", tmp_path / "out")
    lines = by_source(report)
    assert code == 0
    video = lines["DCIM/100CANON/MVI_0001.AVI"]
    assert (video["date"], video["date_source"]) == ("2005-08-09T10:11:12", "companion")
    assert lines["DCIM/100CANON/MVI_0001.THM"]["dest"].startswith("2005/")


@needs_exiftool
def test_a_png_dated_only_by_its_creation_time_text(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    """PNG's own date is the "Creation Time" text chunk (exiftool's PNG:CreationTime), which
    exiftool was never asked for: such a PNG went to NoDate."""
    assert EXIFTOOL is not None
    src = tmp_path / "src"
    src.mkdir()
    photo(64, 48, seed=13).save(src / "drawing.png", "PNG")
    command = [EXIFTOOL, "-q", "-overwrite_original", "-PNG:CreationTime=2010:01:02 03:04:05"]
    subprocess.run([*command, str(src / "drawing.png")], check=True)

    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    (line,) = report
    assert code == 0
    assert (line["date"], line["date_source"]) == ("2010-01-02T03:04:05", "exiftool")
