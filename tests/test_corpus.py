"""The shared corpus of real camera files, organized end to end and checked against its MANIFEST."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import tree_digest

IMAGE_TYPES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".tif",
    ".tiff",
    ".bmp",
    ".gif",
    ".webp",
    ".heic",
    ".heif",
    ".avif",
}


def _all_files(root: Path) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}


def test_corpus_is_sorted_as_its_manifest_says(corpus, manifest, organize, tmp_path):  # type: ignore[no-untyped-def]
    before = tree_digest(corpus)
    dest = tmp_path / "archive"
    code, report = organize(corpus, dest, "--min-size", "0")
    assert code == 0
    assert tree_digest(corpus) == before, "copy mode must never touch SOURCE"

    by_source = {line["source"]: line for line in report}
    assert len(by_source) == len(report), "one report line per file"
    assert set(by_source) == _all_files(corpus)

    kept_of_group: dict[frozenset[str], list[str]] = {}
    for rel, row in manifest.items():
        line = by_source[rel]
        extension = os.path.splitext(rel)[1].lower()
        if extension not in IMAGE_TYPES:
            assert line["status"] == "ignored", rel
            continue
        loads = row["pillow_heif_load"] if extension in (".heic", ".heif") else row["pillow_load"]
        damaged = loads != "True" or row["djpeg"].startswith(("warning", "error"))
        if damaged:
            assert line["status"] == "corrupt", (rel, line)
            assert line["dest"] == f"Corrupted/{rel}"
            assert line["reason"]
            continue
        if row["identical_to"]:
            group = frozenset([rel, *row["identical_to"].split(";")])
            kept_of_group.setdefault(group, [])
            if line["status"] == "placed":
                kept_of_group[group].append(rel)
            else:
                assert line["status"] == "duplicate", (rel, line)
                assert line["duplicate_of"] in group
                assert line["dest"] is None
            continue
        assert line["status"] == "placed", (rel, line)
        dto = row["exiftool_DateTimeOriginal"]
        groups = row["dto_group"].split(",")
        if (
            ("ExifIFD" in groups or "IFD0" in groups)
            and dto[:4].isdigit()
            and 1826 <= int(dto[:4]) <= 2026
        ):
            assert line["year"] == int(dto[:4]), (rel, line)
            # a date the MANIFEST calls an unset clock's default is kept, under its own source
            unset = "clock default" in row["exercises"]
            assert line["date_source"] == ("clock-default" if unset else "exif"), (rel, line)
            assert line["dest"].startswith(f"{dto[:4]}/")
        elif dto[:4].isdigit() and 1826 <= int(dto[:4]) <= 2026 and shutil.which("exiftool"):
            # only in maker notes or XMP: the XMP reader or exiftool finds it
            assert line["year"] == int(dto[:4]), (rel, line)
            assert line["date_source"] in ("xmp", "exiftool"), (rel, line)
        if line["year"] is None:
            assert line["dest"].startswith("NoDate/")
            assert line["date_source"] == "none"
        if not (line["compressed"] or line["rotated"]):
            assert (dest / line["dest"]).read_bytes() == (corpus / rel).read_bytes(), rel

    for group, kept in kept_of_group.items():
        assert len(kept) == 1, (group, kept)

    # dates that only a file name carries
    assert by_source["filename_dates/date_20170101_010101.jpg"]["date_source"] == "filename"
    assert by_source["filename_dates/date_20170101_010101.jpg"]["year"] == 2017
    assert by_source["filename_dates/IMG_20180725_163423-1.png"]["year"] == 2018
    # placeholders and far-future dates are not dates
    for rel in (
        "odd_dates/Nikon E885.jpg",
        "odd_dates/FujiFilm DX-5.jpg",
        "odd_dates/exif_gps.jpg",
    ):
        assert by_source[rel]["year"] is None, rel
    # nothing half-written is left behind
    leftovers = [p for p in _all_files(dest) if ".imgorg-tmp-" in p]
    assert leftovers == []
