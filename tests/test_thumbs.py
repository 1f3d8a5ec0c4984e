"""The report's thumbnails: a camera JPEG with an EXIF thumbnail of its very pixels gives the
year view's picture without being decoded, upright; any other is decoded."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from benchmarks.similar import foreign_thumbnail, upright
from engine.formats.thumbs import SAMPLE_SIZE, SIZE, make_thumbnail

XIAOMI = "phone/Xiaomi_Mi_9T_KeyError.jpg"  # 4000x3000 stored, Orientation 6, 320x240 thumbnail
IPHONE = "phone/Apple iPhone 5.jpg"  # 3264x2448 stored, Orientation 3, 160x120 thumbnail


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The byte lengths of the JPEG streams whose pixels were decoded (all of a file, a prefix
    of it for its top rows, or its EXIF thumbnail), in order."""
    sizes: list[int] = []
    load = ImageFile.ImageFile.load

    def recorded(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        if self.tile and isinstance(self.fp, io.BytesIO):
            sizes.append(len(self.fp.getvalue()))
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recorded)
    return sizes


def _difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size, (a.size, b.size)
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())


def _seen_upright(data: bytes, size: tuple[int, int]) -> Image.Image:
    """The photo decoded in full, turned as its Orientation says, fitted to ``size``."""
    picture, _exif = upright(data)
    picture.thumbnail(size, Image.Resampling.LANCZOS)
    return picture


def _shows(thumb: Image.Image, reference: Image.Image) -> bool:
    """Near the reference and far nearer than the reference turned half a turn or mirrored."""
    near = _difference(thumb, reference)
    turned = _difference(thumb, reference.transpose(Image.Transpose.ROTATE_180))
    mirrored = _difference(thumb, reference.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    return near < 16 and near * 3 < min(turned, mirrored)


@pytest.mark.parametrize("name", [XIAOMI, IPHONE])
def test_a_year_view_thumbnail_is_made_upright_from_a_trusted_exif_thumbnail(
    corpus: Path, tmp_path: Path, decoded: list[int], name: str
) -> None:
    data = (corpus / name).read_bytes()
    target = tmp_path / "thumb.jpg"
    assert make_thumbnail(data, str(target), size=SAMPLE_SIZE)
    assert decoded and len(data) not in decoded  # only the thumbnail and the top rows
    with Image.open(target) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 160
        assert _shows(thumb.convert("RGB"), _seen_upright(data, thumb.size))


def test_a_thumbnail_of_another_photo_is_not_shown_the_photo_is_decoded(
    corpus: Path, tmp_path: Path, decoded: list[int]
) -> None:
    """A tool copied the Xiaomi's EXIF segment (its thumbnail too) onto another photo: the
    year view shows that photo's own pixels, decoded, not the Xiaomi's thumbnail."""
    original = (corpus / XIAOMI).read_bytes()
    other, _exif = upright((corpus / "phone" / "iphone_hdr_NO.jpg").read_bytes())
    foreign = foreign_thumbnail(original, other)
    assert foreign is not None
    target = tmp_path / "thumb.jpg"
    assert make_thumbnail(foreign, str(target), size=SAMPLE_SIZE)
    assert len(foreign) in decoded
    with Image.open(target) as thumb:
        shown = thumb.convert("RGB")
    assert _shows(shown, _seen_upright(foreign, shown.size))
    assert not _shows(shown, _seen_upright(original, shown.size))


def test_an_exif_thumbnail_smaller_than_the_picture_asked_for_is_not_enlarged(
    corpus: Path, tmp_path: Path, decoded: list[int]
) -> None:
    """An undated photo's 256-pixel thumbnail is not blown up from a 160x120 EXIF one."""
    data = (corpus / IPHONE).read_bytes()
    target = tmp_path / "thumb.jpg"
    assert make_thumbnail(data, str(target), size=SIZE)
    assert len(data) in decoded
    with Image.open(target) as thumb:
        assert max(thumb.size) == 256
        reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
        reference.thumbnail(thumb.size, Image.Resampling.LANCZOS)
        assert _shows(thumb.convert("RGB"), reference)


def test_two_workers_make_one_contact_sheet_of_thumbnails_per_year(tmp_path: Path) -> None:
    """A year of 40 photos analysed by two worker processes (batches are cut by size, so each
    gets some of every year): 12 year-view thumbnails in all, the most its contact sheet shows,
    not 12 per process."""
    import datetime as dt
    import multiprocessing
    import os
    import uuid

    from conftest import write_photo
    from engine.records import Candidate
    from engine.stages.analyse import SAMPLE_PER_YEAR, WorkerOptions, analyze_all

    source = tmp_path / "src"
    candidates = []
    for i in range(40):
        path = source / f"IMG_{i:04d}.jpg"
        write_photo(path, dt.datetime(2015, 6, 1, 12, i), seed=i)
        candidates.append(Candidate(path.name, path.stat().st_size, path.stat().st_mtime_ns))
    thumbs = tmp_path / "thumbs"
    thumbs.mkdir()
    options = WorkerOptions(
        thumbs_dir=str(thumbs), sample_rate=1.0, run_token=uuid.uuid4().hex, exiftool=False
    )
    fork = multiprocessing.get_context("fork")
    workers = [
        fork.Process(target=analyze_all, args=(str(source), half, options))
        for half in (candidates[::2], candidates[1::2])
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    made = [name for name in os.listdir(thumbs) if name.endswith(".jpg")]
    assert len(made) == SAMPLE_PER_YEAR


def test_a_photo_is_decoded_at_the_smallest_scale_that_covers_its_thumbnail(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1000x750 photo (as a messenger sends them, no EXIF thumbnail) for the year view's
    160-pixel sheet: libjpeg decodes it at a quarter (250x188), not at half the size."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def recorded(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        if self.tile:
            sizes.append(self.size)
        return load(self)

    picture, _exif = upright((corpus / XIAOMI).read_bytes())
    out = io.BytesIO()
    picture.resize((1000, 750), Image.Resampling.LANCZOS).save(out, "JPEG", quality=90)
    monkeypatch.setattr(ImageFile.ImageFile, "load", recorded)
    target = tmp_path / "thumb.jpg"
    assert make_thumbnail(out.getvalue(), str(target), size=SAMPLE_SIZE)
    assert sizes[0] == (250, 188)
    with Image.open(target) as thumb:
        assert thumb.size == (160, 120)
        assert _shows(thumb.convert("RGB"), _seen_upright(out.getvalue(), (160, 120)))


def test_a_runs_contact_sheet_places_are_gone_when_it_ends(tmp_path: Path) -> None:
    """The files by which the workers took the year view's places count only within a run:
    the run removes them, and those an interrupted run left, so that they do not pile up in
    DEST/.imgorg run after run."""
    import datetime as dt

    from conftest import write_photo
    from engine.cli import main

    source, dest = tmp_path / "src", tmp_path / "dest"
    for i in range(6):
        write_photo(source / f"IMG_{i:04d}.jpg", dt.datetime(2015, 6, 1, 12, i), seed=i)
    thumbs = dest / ".imgorg" / "thumbs"
    left = thumbs / ".sample" / "an-interrupted-run"
    left.mkdir(parents=True)
    for place in range(12):
        (left / f"2015-{place}").touch()
    assert main(["organize", str(source), str(dest), "--min-size", "0", "--quiet"]) == 0
    assert not (thumbs / ".sample").exists()
    assert len(list(thumbs.glob("*.jpg"))) == 6
