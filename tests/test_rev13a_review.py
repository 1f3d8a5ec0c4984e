"""Review (rev13a) of the session-13 merges (a photo under a video's name, a PNG's XMP after its image
data, companions DEST holds under one name), built from corpus files arranged as real archives."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    CORPUS,
    ENV,
    imgorg,
    needs_strace,
    photos_in,
    read_report,
    run_killed_at,
    tree_digest,
)


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


def test_of_a_photo_and_its_copy_saved_under_a_video_name_the_image_name_is_kept(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A camera JPEG (Orientation 6) in ``Trip/`` and the same bytes saved as
    ``Downloads/MVI_0001.AVI``. A photo under a video's name is placed as it is, never turned:
    the keeper's rule for a video under a video's name kept the ``.AVI`` and set the ``.jpg``
    aside, so the archive held the photo sideways under a name no viewer opens as a photo. The
    ``.jpg`` is kept (turned upright), the ``.AVI`` is its duplicate; undo restores SOURCE."""
    src = tmp_path / "src"
    (src / "Trip").mkdir(parents=True)
    (src / "Downloads").mkdir()
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "Trip" / "canon.jpg")
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "Downloads" / "MVI_0001.AVI")
    before = tree_digest(src)

    out = tmp_path / "out"
    code, report = organize(src, out, "--mode", "move", "--min-size", "0")
    lines = by_source(report)

    assert code == 0, report
    kept, copy = lines["Trip/canon.jpg"], lines["Downloads/MVI_0001.AVI"]
    assert (kept["status"], kept["dest"], kept["rotated"]) == (
        "placed",
        "2015/Trip/canon.jpg",
        True,
    )
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", "Trip/canon.jpg")
    assert copy["reason"].endswith("because it is named as what it is (a video as a video, a photo as an image)")  # fmt: skip
    assert imgorg("verify", str(out))[0] == 0
    assert imgorg("undo", str(out))[0] == 0
    assert tree_digest(src) == before


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def xmp_chunk(text: bytes) -> bytes:
    """An ``XML:com.adobe.xmp`` iTXt chunk holding ``text`` compressed."""
    return png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(text))


def test_a_png_with_thousands_of_xmp_chunks_is_read_in_linear_time(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A PNG (the corpus's hopper.png) whose XMP is followed, after the image data, by 15,000
    more small XMP chunks (each 1 KB of text, 30 bytes stored: the file is 0.8 MB): every packet
    was joined to those before it, one copy of the whole each time, about 120 GB copied in
    all (minutes for one file). It is read in a moment and dated by its first packet."""
    src = tmp_path / "src" / "Scans"
    src.mkdir(parents=True)
    data = (CORPUS / "formats/hopper.png").read_bytes()
    iend = data.rindex(b"IEND") - 4
    dated = b'<x:xmpmeta><rdf:Description exif:DateTimeOriginal="2012-02-02T10:00:00"/></x:xmpmeta>'
    filler = xmp_chunk(b" " * 1000)
    (src / "hopper.png").write_bytes(data[:iend] + xmp_chunk(dated) + filler * 15_000 + data[iend:])

    started = time.monotonic()
    code, report = organize(tmp_path / "src", tmp_path / "out", "--min-size", "0")
    elapsed = time.monotonic() - started

    assert code == 0, report
    (line,) = report
    assert (line["status"], line["date"], line["date_source"]) == (
        "placed",
        "2012-02-02T10:00:00",
        "xmp",
    )
    assert elapsed < 30, elapsed


SIDECARS = {"IMG_1.xmp": "<x:xmpmeta>one</x:xmpmeta>", "IMG_1.XMP": "<x:xmpmeta>two</x:xmpmeta>"}


def rows_of(report: list[dict[str, Any]]) -> dict[str, tuple[str, str | None, str | None]]:
    return {r["source"]: (r["status"], r["dest"], r.get("note")) for r in report}


def test_a_sidecar_whose_name_a_placed_sidecar_of_its_photo_holds_in_another_case_takes_a_suffix(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A copy run placed ``IMG_1.jpg`` and ``IMG_1.xmp``; then Lightroom wrote ``IMG_1.XMP``
    beside them on the card. Its name is one with ``IMG_1.xmp`` in DEST, and the suffix that
    keeps two sidecars of one photo apart looked only at the sidecars still to place: it
    ended as an error ('its name 2008/IMG_1.XMP is taken') at every run, exit 1. It takes
    ``IMG_1.jpg.XMP`` beside its photo (named after it), the placed one keeps its name;
    the next run changes nothing; undo leaves DEST without them and SOURCE as it was."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(CORPUS / "camera/Canon_40D.jpg", src / "IMG_1.jpg")  # 2008
    (src / "IMG_1.xmp").write_text(SIDECARS["IMG_1.xmp"])
    out = tmp_path / "out"
    assert organize(src, out)[0] == 0
    (src / "IMG_1.XMP").write_text(SIDECARS["IMG_1.XMP"])
    before = tree_digest(src)

    code, planned = organize(src, out, "--dry-run")
    code, report = organize(src, out)

    assert code == 0, report
    note = "its name 2008/IMG_1.XMP is one name in DEST with IMG_1.xmp's, so it is named after its photo"
    assert rows_of(report)["IMG_1.XMP"] == ("placed", "2008/IMG_1.jpg.XMP", note)
    assert rows_of(planned)["IMG_1.XMP"] == ("placed", "2008/IMG_1.jpg.XMP", note)
    assert rows_of(report)["IMG_1.xmp"][:2] == ("placed", "2008/IMG_1.xmp")
    assert (out / "2008/IMG_1.xmp").read_text() == SIDECARS["IMG_1.xmp"]
    assert (out / "2008/IMG_1.jpg.XMP").read_text() == SIDECARS["IMG_1.XMP"]
    placed = photos_in(out)
    assert organize(src, out)[0] == 0
    assert photos_in(out) == placed
    assert imgorg("verify", str(out))[0] == 0
    assert imgorg("undo", str(out))[0] == 0
    assert imgorg("undo", str(out))[0] == 0
    assert photos_in(out) == {}
    assert tree_digest(src) == before


@needs_strace
@pytest.mark.parametrize("k", [2, 3, 4])
def test_a_run_killed_between_two_sidecars_dest_holds_as_one_name_resumes_as_if_never_stopped(
    tmp_path: Path, k: int
) -> None:
    """``IMG_1.jpg`` with ``IMG_1.xmp`` and ``IMG_1.XMP`` (one name in DEST): a copy run places
    the photo, ``IMG_1.XMP``, and ``IMG_1.xmp`` as ``IMG_1.jpg.xmp``. Killed just before its k-th
    rename into DEST (the 3rd: after the photo and ``IMG_1.XMP``), the resumed run saw only
    ``IMG_1.xmp`` left to place, found its name taken by ``IMG_1.XMP`` and made it an error
    (exit 1) where the run not stopped places it. The resume ends as that run does."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(CORPUS / "camera/Canon_40D.jpg", src / "IMG_1.jpg")
    for name, text in SIDECARS.items():
        (src / name).write_text(text)
    before = tree_digest(src)
    out = tmp_path / "out"
    argv = ["organize", str(src), str(out), "-j", "1", "--quiet"]

    run_killed_at("renameat2", k, [sys.executable, "-m", "engine", *argv], ENV)
    report = tmp_path / "resumed.jsonl"
    code, said = imgorg(*argv, "--report", str(report))

    assert code == 0, said
    resumed = {r["source"]: (r["status"], r["dest"]) for r in read_report(report)}
    assert resumed == {
        "IMG_1.jpg": ("placed", "2008/IMG_1.jpg"),
        "IMG_1.XMP": ("placed", "2008/IMG_1.XMP"),
        "IMG_1.xmp": ("placed", "2008/IMG_1.jpg.xmp"),
    }
    assert (out / "2008/IMG_1.jpg.xmp").read_text() == SIDECARS["IMG_1.xmp"]
    assert imgorg("verify", str(out))[0] == 0
    while imgorg("undo", str(out))[0] == 0 and photos_in(out):
        pass
    assert photos_in(out) == {}
    assert tree_digest(src) == before


def test_a_sidecar_set_apart_from_its_twin_is_never_named_as_another_photos_sidecar(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """``a/IMG_1.jpg`` with ``IMG_1.xmp`` and ``IMG_1.XMP`` (one name in DEST), and another
    photo, ``c/IMG_1_1.jpg``, flat in the same year folder. The sidecar set apart was named
    ``IMG_1_1.xmp``: beside ``IMG_1_1.jpg`` it is that photo's sidecar to Lightroom, darktable
    and imgorg itself (organizing DEST again, it travelled with ``IMG_1_1.jpg``). It is named
    after its own photo, ``IMG_1.jpg.xmp``, and stays with it when DEST is organized again."""
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "c").mkdir()
    shutil.copy(CORPUS / "camera/Canon_40D.jpg", src / "a" / "IMG_1.jpg")  # 2008
    for name, text in SIDECARS.items():
        (src / "a" / name).write_text(text)
    shutil.copy(CORPUS / "camera/Canon_40D_photoshop_import.jpg", src / "c" / "IMG_1_1.jpg")
    out = tmp_path / "out"

    code, report = organize(src, out, "--layout", "flat", "--min-size", "0")

    assert code == 0, report
    note = "its name 2008/IMG_1.xmp is one name in DEST with a/IMG_1.XMP's, so it is named after its photo"  # fmt: skip
    assert rows_of(report) == {
        "a/IMG_1.jpg": ("placed", "2008/IMG_1.jpg", None),
        "a/IMG_1.XMP": ("placed", "2008/IMG_1.XMP", None),
        "a/IMG_1.xmp": ("placed", "2008/IMG_1.jpg.xmp", note),
        "c/IMG_1_1.jpg": ("placed", "2008/IMG_1_1.jpg", None),
    }
    code, again = organize(out, tmp_path / "again", "--layout", "flat", "--min-size", "0")
    assert code == 0, again
    travelling = {r["source"]: r.get("companion_of") for r in again if r["status"] == "placed"}
    assert travelling["2008/IMG_1.jpg.xmp"] == "2008/IMG_1.jpg"
    assert "2008/IMG_1_1.jpg" not in travelling.values()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes the video")
def test_no_videos_still_takes_a_photo_saved_under_a_video_name(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """``--no-videos`` leaves videos where they are. A camera JPEG saved as ``MVI_0001.AVI`` and
    a PNG saved as ``scan.mov`` are photos, placed as they are without the flag; with it they
    were left in SOURCE, ignored as 'a video (--no-videos)'. They are placed as the photos they
    are, and the real clip beside them stays where it is."""
    src = tmp_path / "src" / "Downloads"
    src.mkdir(parents=True)
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "MVI_0001.AVI")
    shutil.copy(CORPUS / "formats/png_with_exif_and_gps.png", src / "scan.mov")
    made = ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", str(CORPUS / "camera/Canon_40D.jpg")]
    subprocess.run([*made, "-t", "0.4", "-c:v", "mjpeg", str(src / "clip.mp4")], check=True)
    before = tree_digest(tmp_path / "src")

    code, report = organize(tmp_path / "src", tmp_path / "out", "--no-videos", "--min-size", "0")
    rows = rows_of(report)

    assert code == 0, report
    assert rows["Downloads/MVI_0001.AVI"] == (
        "placed",
        "2015/Downloads/MVI_0001.AVI",
        "a photo named as a video (.avi): placed as it is",
    )
    assert rows["Downloads/scan.mov"][:2] == ("placed", "2003/Downloads/scan.mov")
    clip = by_source(report)["Downloads/clip.mp4"]
    assert (clip["status"], clip["reason"]) == ("ignored", "a video (--no-videos)")
    assert (tmp_path / "out/2015/Downloads/MVI_0001.AVI").read_bytes() == (
        src / "MVI_0001.AVI"
    ).read_bytes()
    assert tree_digest(tmp_path / "src") == before
