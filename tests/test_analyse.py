"""The worker (engine/stages/analyse.py) on real camera files: the date evidence it gathers,
one entry per source it looked at, and the date ``resolve_date`` picks from it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from engine.dates.raw import raw_dates
from engine.records import Analysis, Candidate, DateSource, Status
from engine.settings import AnalyseOptions, CompressOptions
from engine.stages.analyse import Found, WorkerOptions, analyze, content_hash, gather
from engine.stages.walk import plan

EXTENSIONS = frozenset({".jpg", ".tif", ".dng"})
OPTIONS = WorkerOptions(compress=CompressOptions(enabled=False), exiftool=False)
CANON_40D = "camera/Canon_40D.jpg"  # DateTimeOriginal 2008-05-30, IFD0 DateTime 2008-07-31
# A Photoshop re-save: no DateTimeOriginal, only IFD0 DateTime (2008-07-31 10:05:49).
RESAVED = "camera/Canon_40D_photoshop_import.jpg"
RESAVED_AT = dt.datetime(2008, 7, 31, 10, 5, 49)


def _arrange(source: Path, corpus: Path, files: dict[str, str]) -> None:
    """``files``: path below ``source`` -> corpus file to copy there."""
    for rel, original in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / original, source / rel)


def _evidence(source: Path, rel: str, options: WorkerOptions = OPTIONS) -> Found:
    (candidate,) = [c for c in plan(str(source), EXTENSIONS).candidates if c.rel == rel]
    found = gather(str(source), candidate, options)
    assert isinstance(found, Found), found
    return found


def _analysis(source: Path, rel: str, options: WorkerOptions = OPTIONS) -> Analysis:
    (candidate,) = [c for c in plan(str(source), EXTENSIONS).candidates if c.rel == rel]
    return analyze(str(source), candidate, options)


def test_a_camera_photo_gives_capture_and_last_changed_dates_apart(
    corpus: Path, tmp_path: Path
) -> None:
    _arrange(tmp_path, corpus, {"DCIM/100CANON/IMG_0001.jpg": CANON_40D})
    evidence = dict(_evidence(tmp_path, "DCIM/100CANON/IMG_0001.jpg").evidence)
    assert evidence[DateSource.EXIF] == dt.datetime(2008, 5, 30, 15, 56, 1)
    assert evidence[DateSource.EXIF_MODIFIED] == dt.datetime(2008, 7, 31, 10, 38, 11)
    assert evidence[DateSource.FILENAME] is None
    assert DateSource.FOLDER not in evidence and DateSource.MTIME not in evidence
    result = _analysis(tmp_path, "DCIM/100CANON/IMG_0001.jpg")
    assert (result.date_source, result.date) == (DateSource.EXIF, "2008-05-30T15:56:01")


def test_a_last_changed_date_alone_is_reported_as_such(corpus: Path, tmp_path: Path) -> None:
    _arrange(tmp_path, corpus, {"scans/scan.jpg": RESAVED})
    evidence = dict(_evidence(tmp_path, "scans/scan.jpg").evidence)
    assert evidence[DateSource.EXIF] is None
    assert evidence[DateSource.EXIF_MODIFIED] == RESAVED_AT
    result = _analysis(tmp_path, "scans/scan.jpg")
    assert (result.date_source, result.year) == (DateSource.EXIF_MODIFIED, 2008)


def test_a_dated_file_name_beats_a_last_changed_date(corpus: Path, tmp_path: Path) -> None:
    _arrange(tmp_path, corpus, {"IMG_20050607_080910.jpg": RESAVED})
    evidence = dict(_evidence(tmp_path, "IMG_20050607_080910.jpg").evidence)
    assert evidence[DateSource.FILENAME] == dt.datetime(2005, 6, 7, 8, 9, 10)
    assert evidence[DateSource.EXIF_MODIFIED] == RESAVED_AT
    result = _analysis(tmp_path, "IMG_20050607_080910.jpg")
    assert (result.date_source, result.date) == (DateSource.FILENAME, "2005-06-07T08:09:10")


def test_a_takeout_json_beats_a_last_changed_date(corpus: Path, tmp_path: Path) -> None:
    _arrange(tmp_path, corpus, {"Takeout/Photos from 2001/scan.jpg": RESAVED})
    taken = int(dt.datetime(2001, 6, 15, 12, 0, tzinfo=dt.UTC).timestamp())
    (tmp_path / "Takeout/Photos from 2001/scan.jpg.json").write_text(
        json.dumps({"title": "scan.jpg", "photoTakenTime": {"timestamp": str(taken)}})
    )
    found = _evidence(tmp_path, "Takeout/Photos from 2001/scan.jpg")
    evidence = dict(found.evidence)
    assert evidence[DateSource.TAKEOUT] is not None
    assert evidence[DateSource.TAKEOUT].replace(tzinfo=None) == dt.datetime(2001, 6, 15, 12, 0)
    assert evidence[DateSource.XMP_SIDECAR] is None
    assert evidence[DateSource.EXIF_MODIFIED] == RESAVED_AT
    result = _analysis(tmp_path, "Takeout/Photos from 2001/scan.jpg")
    assert (result.date_source, result.year) == (DateSource.TAKEOUT, 2001)


def test_an_edited_copy_is_dated_by_its_original(corpus: Path, tmp_path: Path) -> None:
    _arrange(tmp_path, corpus, {"Trip/IMG_1.jpg": CANON_40D, "Trip/IMG_1-edited.jpg": RESAVED})
    evidence = dict(_evidence(tmp_path, "Trip/IMG_1-edited.jpg").evidence)
    assert evidence[DateSource.ORIGINAL] == dt.datetime(2008, 5, 30, 15, 56, 1)
    assert evidence[DateSource.EXIF_MODIFIED] == RESAVED_AT
    result = _analysis(tmp_path, "Trip/IMG_1-edited.jpg")
    assert (result.date_source, result.date) == (DateSource.ORIGINAL, "2008-05-30T15:56:01")
    assert DateSource.ORIGINAL not in dict(_evidence(tmp_path, "Trip/IMG_1.jpg").evidence)


def test_folder_and_mtime_are_evidence_only_when_asked_for(corpus: Path, tmp_path: Path) -> None:
    _arrange(tmp_path, corpus, {"2015/Summer/hopper.jpg": "no_exif/hopper.jpg"})
    os.utime(tmp_path / "2015/Summer/hopper.jpg", (1_262_347_200, 1_262_347_200))  # 2010-01-01
    rel = "2015/Summer/hopper.jpg"
    assert {s for s, _ in _evidence(tmp_path, rel).evidence}.isdisjoint(
        {DateSource.FOLDER, DateSource.MTIME}
    )
    assert _analysis(tmp_path, rel).date_source is DateSource.NONE
    both = WorkerOptions(
        analyse=AnalyseOptions(min_size=0, date_from_folder=True, date_from_mtime=True),
        compress=CompressOptions(enabled=False),
        exiftool=False,
    )
    evidence = dict(_evidence(tmp_path, rel, both).evidence)
    assert evidence[DateSource.FOLDER] == dt.datetime(2015, 1, 1)
    assert evidence[DateSource.MTIME] is not None and evidence[DateSource.MTIME].year in (
        2009,
        2010,
    )
    result = _analysis(tmp_path, rel, both)
    assert (result.date_source, result.year) == (DateSource.FOLDER, 2015)


def test_a_raw_file_gives_capture_and_last_changed_dates_apart(
    corpus: Path, tmp_path: Path
) -> None:
    # A DNG is a TIFF: this one has DateTimeOriginal 2013-09-07 and IFD0 DateTime 2019-12-08.
    _arrange(tmp_path, corpus, {"DSC_0001.dng": "formats/tif-with-iptc-icc-xmp.tif"})
    found = _evidence(tmp_path, "DSC_0001.dng")
    assert found.result.format == "DNG"
    evidence = dict(found.evidence)
    assert evidence[DateSource.EXIF] == dt.datetime(2013, 9, 7, 6, 45, 12)
    assert evidence[DateSource.EXIF_MODIFIED] == dt.datetime(2019, 12, 8, 11, 10, 39)
    result = _analysis(tmp_path, "DSC_0001.dng")
    assert (result.date_source, result.year) == (DateSource.EXIF, 2013)


@pytest.mark.parametrize("layout", ["last-changed first", "capture first"])
def test_raw_capture_date_in_a_later_structure_wins(corpus: Path, layout: str) -> None:
    """CR3 keeps IFD0 (DateTime) and the EXIF directory (DateTimeOriginal) in separate boxes."""
    changed_only = (corpus / "formats/exiftool_ExifTool.tif").read_bytes()  # DateTime 2004
    captured = (corpus / "formats/piexif_01.tif").read_bytes()  # DateTimeOriginal 2006
    first = layout == "last-changed first"
    shot, changed = raw_dates(b"".join([changed_only, captured] if first else [captured]))
    assert shot == dt.datetime(2006, 2, 14, 22, 0, 58)
    assert changed == (dt.datetime(2004, 2, 20, 8, 7, 49) if first else shot)


@pytest.mark.parametrize("ext", [".PEF", ".nrw", ".SRW", ".rwl", ".3fr", ".iiq", ".kdc"])
def test_raw_files_of_every_tiff_based_kind_are_taken_and_dated(
    corpus: Path, tmp_path: Path, ext: str
) -> None:
    """A Pentax PEF, a Samsung SRW, a Leica RWL ... is a TIFF like a DNG: taken as RAW (not
    'not an image type') and dated from its EXIF."""
    from engine.formats.kinds import DEFAULT_EXTENSIONS, Kind, kind_of

    name = f"IMGP0001{ext}"
    assert kind_of(name, DEFAULT_EXTENSIONS) is Kind.RAW
    _arrange(tmp_path, corpus, {name: "formats/tif-with-iptc-icc-xmp.tif"})
    result = _analysis(tmp_path, name)
    assert (result.date_source, result.year) == (DateSource.EXIF, 2013)


def test_a_sidecar_following_its_placed_photo_is_hashed_and_copied_not_inspected(
    tmp_path: Path,
) -> None:
    """An XMP that appeared beside a photo an earlier run placed is a candidate of its own
    (engine/commands/organize.py sidecars_following): its worker hashes and copies its bytes
    and leaves it at that; inspected as a photo it came back corrupt ("not a JPEG")."""
    folder = tmp_path / "src" / "2008"
    folder.mkdir(parents=True)
    xmp = folder / "IMG_4001.xmp"
    xmp.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>')
    st = xmp.stat()
    stage = tmp_path / "stage"
    stage.mkdir()
    options = WorkerOptions(
        compress=CompressOptions(enabled=False),
        exiftool=False,
        stage_dir=str(stage),
        copy_to_stage=True,
        run_token="t",
    )
    candidate = Candidate("2008/IMG_4001.xmp", st.st_size, st.st_mtime_ns, "sidecar")
    result = analyze(str(tmp_path / "src"), candidate, options)
    assert result.status is Status.PLACED and result.reason is None and result.note is None
    assert result.hash == content_hash(xmp.read_bytes()) and result.format is None
    assert result.copied is not None
    assert (stage / result.copied).read_bytes() == xmp.read_bytes()
