"""Near-duplicates (issue #15): each transformation of a real photo is grouped with it, the hard
negatives are not, the keeper is the original, and a messenger copy takes the camera date."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from test_html_report import browser, open_page  # noqa: F401  (the Chromium fixture)

from benchmarks.similar import (
    TRANSFORMS,
    app1_segment,
    burst_pair,
    foreign_thumbnail,
    scene_pair,
    upright,
)
from conftest import imgorg, tree_digest, write_photo
from engine.records import DateSource
from engine.similar.groups import find_groups
from engine.similar.jpegfast import jpeg_layout, top_rows, without_bars
from engine.similar.keeper import Member
from engine.similar.signature import Signature, signature_of_bytes, stored_grey
from engine.similar.verify import hamming, thumb_correlation
from engine.store.journal import VERSION

PHOTO = "camera/DSCN0010.jpg"  # 640x480, Nikon, 2008, with GPS


def _signature(data: bytes) -> Signature:
    sig = signature_of_bytes(data)
    assert sig is not None
    return sig


def _groups(named: dict[str, bytes]) -> list[set[str]]:
    members = [Member(name, _signature(data)) for name, data in named.items()]
    return [{m.path for m in g.members} for g in find_groups(members)]


@pytest.fixture(scope="module")
def original(corpus: Path) -> bytes:
    return (corpus / PHOTO).read_bytes()


@pytest.mark.parametrize("kind", list(TRANSFORMS))
def test_each_transformation_is_grouped_with_its_original(original: bytes, kind: str) -> None:
    im, exif = upright(original)
    _ext, make = TRANSFORMS[kind]
    assert _groups({"original": original, "copy": make(im, exif)}) == [{"original", "copy"}]


def test_two_shots_of_one_scene_are_not_grouped(original: bytes) -> None:
    im, _exif = upright(original)
    left, right = scene_pair(im)
    assert _groups({"left": left, "right": right}) == []


def test_burst_frames_are_never_grouped_however_alike(original: bytes) -> None:
    im, exif = upright(original)
    first, second = burst_pair(im, exif)
    assert _groups({"first": first, "second": second}) == []


def test_burst_frames_do_not_join_through_a_copy_without_a_camera_date(original: bytes) -> None:
    im, exif = upright(original)
    first, second = burst_pair(im, exif)
    stripped = TRANSFORMS["PNG"][1](im, exif)  # no EXIF: alike to both frames
    groups = _groups({"first": first, "second": second, "png": stripped})
    assert all(not {"first", "second"} <= group for group in groups)


def test_different_photos_of_one_camera_are_not_grouped(corpus: Path) -> None:
    photos = {
        name: (corpus / name).read_bytes()
        for name in ("phone/jolla.jpg", "phone/iphone_hdr_NO.jpg", "phone/Apple iPhone 5.jpg")
    }
    assert _groups(photos) == []


def test_keeper_is_the_largest_then_the_best_quality_then_the_richest(original: bytes) -> None:
    im, exif = upright(original)
    copies = {
        "a-half.jpg": TRANSFORMS["resize 50 %"][1](im, exif),
        "b-q40.jpg": TRANSFORMS["quality 40"][1](im, exif),
        "c-converted.png": TRANSFORMS["PNG"][1](im, exif),
        "d-messenger.jpg": TRANSFORMS["messenger (1600 px, q70, no EXIF)"][1](im, exif),
        "z-original.jpg": original,
    }
    members = [Member(name, _signature(data)) for name, data in copies.items()]
    (group,) = find_groups(members)
    order = [m.path for m in group.members]
    # full size first; among full-size JPEGs the higher quality; the PNG (no quality) after them
    assert order[0] == "z-original.jpg"
    assert order.index("b-q40.jpg") < order.index("c-converted.png") < order.index("a-half.jpg")


def _route(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as im:
        return stored_grey(im, data)[1]


def _drafted(data: bytes) -> Signature:
    """The signature as every JPEG had it before the shortcuts: a 1/8-scale decode."""
    from engine.similar.signature import signature_of_image

    with Image.open(io.BytesIO(data)) as im:
        return signature_of_image(im)


@pytest.mark.parametrize(
    "name", ["phone/Xiaomi_Mi_9T_KeyError.jpg", "phone/Apple iPhone 5.jpg"]
)  # 12 MP with Orientation 6 and a 320x240 thumbnail; 8 MP with Orientation 3, 160x120
def test_camera_original_read_from_its_exif_thumbnail_still_groups_with_its_messenger_copy(
    corpus: Path, name: str
) -> None:
    data = (corpus / name).read_bytes()
    assert _route(data) == "exif thumbnail"
    sig, drafted = _signature(data), _drafted(data)
    assert hamming(sig.phash, drafted.phash) <= 2
    assert thumb_correlation(sig.thumb, drafted.thumb) >= 0.98
    assert (sig.width, sig.height) == (drafted.width, drafted.height)
    copy = _messenger_copy(data)
    assert _route(copy) == "draft"
    assert _groups({"original": data, "copy": copy}) == [{"original", "copy"}]


def test_a_foreign_exif_thumbnail_does_not_group_a_photo_with_the_thumbnails_photo(
    corpus: Path,
) -> None:
    """Another photo carrying the Xiaomi's EXIF segment (its capture time and its thumbnail,
    same shape): its own top rows disagree with the thumbnail, so it is decoded, and it joins
    neither the Xiaomi photo nor its messenger copy."""
    original = (corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg").read_bytes()
    other, _exif = upright((corpus / "phone" / "iphone_hdr_NO.jpg").read_bytes())
    foreign = foreign_thumbnail(original, other)
    assert foreign is not None
    assert app1_segment(original) in foreign
    assert _route(foreign) == "draft"
    named = {"original": original, "copy": _messenger_copy(original), "foreign": foreign}
    assert _groups(named) == [{"original", "copy"}]


def test_a_neighbouring_shot_carrying_the_photos_exif_and_thumbnail_is_decoded(
    corpus: Path,
) -> None:
    """The camera panned by 10 % (the hard negative "two shots of one scene"), saved with the
    first shot's EXIF segment: the top rows match the thumbnail best when shifted, so the
    thumbnail is refused and the pixels keep the two photos apart."""
    original = (corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg").read_bytes()
    with Image.open(io.BytesIO(original)) as im:
        stored = im.convert("RGB")
    out = io.BytesIO()
    stored.crop((400, 0, 4000, 3000)).resize((4000, 3000)).save(out, "JPEG", quality=90)
    panned = out.getvalue()[:2] + app1_segment(original) + out.getvalue()[2:]
    assert _route(panned) == "draft"
    assert _groups({"original": original, "panned": panned}) == []


def test_a_thumbnail_of_another_shape_is_not_used(corpus: Path) -> None:
    """The photo cropped to 16:9 by an editor that kept the 4:3 EXIF thumbnail."""
    original = (corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg").read_bytes()
    with Image.open(io.BytesIO(original)) as im:
        stored = im.convert("RGB")
    out = io.BytesIO()
    stored.crop((0, 375, 4000, 2625)).save(out, "JPEG", quality=85)
    cropped = out.getvalue()[:2] + app1_segment(original) + out.getvalue()[2:]
    assert _route(cropped) == "draft"
    assert _signature(cropped) == _drafted(cropped)


def test_without_a_thumbnail_the_photo_is_decoded(corpus: Path) -> None:
    data = (corpus / "phone" / "HMD_Nokia_8.3_5G.jpg").read_bytes()  # 9 MP, no IFD1
    assert _route(data) == "draft"
    assert _signature(data) == _drafted(data)


def test_letterbox_bars_are_trimmed_from_a_thumbnail_only_when_its_shape_needs_it(
    corpus: Path,
) -> None:
    with Image.open(corpus / "phone" / "iphone_hdr_NO.jpg") as im:
        picture = im.convert("L").resize((160, 107))
    boxed = Image.new("L", (160, 120), 0)
    boxed.paste(picture, (0, 6))  # a 3:2 photo in a 4:3 thumbnail, as Canon writes them
    trimmed = without_bars(boxed, 6000, 4000)
    assert trimmed is not None and trimmed.size == (160, 107)
    assert without_bars(boxed, 4000, 3000) is boxed  # a 4:3 photo: nothing to trim
    assert without_bars(boxed, 4000, 4000) is None  # square: no thumbnail shape fits
    dark = picture.point(lambda v: v // 12)  # a night shot is not a letterbox
    assert without_bars(dark, 6000, 4000) is dark


def test_top_rows_are_read_from_a_prefix_even_when_the_top_holds_most_of_the_file(
    corpus: Path,
) -> None:
    """Grain in the top rows (a photo's noisiest part), a flat wall below: the first prefix
    handed to libjpeg is too short, the decoder says so and a longer one is read."""
    with Image.open(corpus / "phone" / "jolla.jpg") as im:  # 3264x2448
        pixels = im.convert("RGB")
    grain = np.random.default_rng(0).integers(0, 256, (320, 3264, 3), dtype=np.uint8)
    pixels.paste(Image.blend(pixels.crop((0, 0, 3264, 320)), Image.fromarray(grain), 0.5))
    pixels.paste((200, 210, 230), (0, 320, 3264, 2448))
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=95)
    data = out.getvalue()
    layout = jpeg_layout(data)
    assert layout is not None and not layout.progressive
    strip = top_rows(data, layout, 160)
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (1, 1))
        whole = im.convert("L")
    assert strip.size == (408, 20)
    assert strip.tobytes() == whole.crop((0, 0, 408, 20)).tobytes()


def _with_thumbnail(segment: bytes, thumbnail: bytes) -> bytes:
    """The EXIF segment with its IFD1 thumbnail (stored last, as cameras do) replaced."""
    tiff = 10  # marker, length, "Exif\0\0"
    order = "little" if segment[tiff : tiff + 2] == b"II" else "big"

    def number(at: int, size: int) -> int:
        return int.from_bytes(segment[at : at + size], order)

    ifd0 = tiff + number(tiff + 4, 4)
    ifd1 = tiff + number(ifd0 + 2 + 12 * number(ifd0, 2), 4)
    entries = {number(e, 2): e for e in range(ifd1 + 2, ifd1 + 2 + 12 * number(ifd1, 2), 12)}
    start = tiff + number(entries[513] + 8, 4)
    assert start + number(entries[514] + 8, 4) == len(segment)  # the thumbnail ends the segment
    length_field = entries[514] + 8
    body = bytearray(segment[:start] + thumbnail)
    body[length_field : length_field + 4] = len(thumbnail).to_bytes(4, order)
    body[2:4] = (len(body) - 2).to_bytes(2, "big")
    return bytes(body)


def test_a_3_2_photo_with_a_letterboxed_4_3_thumbnail_is_read_from_it(corpus: Path) -> None:
    """As Canon writes them: the thumbnail is 160x120 with black bars above and below."""
    original = (corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg").read_bytes()
    with Image.open(io.BytesIO(original)) as im:
        stored = im.convert("RGB").crop((0, 167, 4000, 2834))  # 4000x2667, Orientation 6 kept
    boxed = Image.new("RGB", (160, 120))
    boxed.paste(stored.resize((160, 107), Image.Resampling.LANCZOS), (0, 6))
    thumbnail, photo = io.BytesIO(), io.BytesIO()
    boxed.save(thumbnail, "JPEG", quality=90)
    stored.save(photo, "JPEG", quality=92)
    segment = _with_thumbnail(app1_segment(original), thumbnail.getvalue())
    data = photo.getvalue()[:2] + segment + photo.getvalue()[2:]
    assert _route(data) == "exif thumbnail"
    sig, drafted = _signature(data), _drafted(data)
    assert (sig.width, sig.height) == (2667, 4000)
    assert hamming(sig.phash, drafted.phash) <= 2
    assert thumb_correlation(sig.thumb, drafted.thumb) >= 0.98
    copy = _messenger_copy(data)
    assert _groups({"original": data, "copy": copy}) == [{"original", "copy"}]


def test_a_multi_picture_jpeg_is_read_like_a_jpeg(corpus: Path) -> None:
    """An MPO (a JPEG followed by more images: Ultra HDR gain maps, previews, 3D pairs), which
    Pillow opens as its own format: read from its EXIF thumbnail or at 1/8 scale like any JPEG,
    never fully decoded, its quality known to the keeper."""
    original = (corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg").read_bytes()
    with Image.open(io.BytesIO(original)) as im:
        stored = im.convert("RGB")
    out = io.BytesIO()
    stored.save(out, "MPO", save_all=True, append_images=[stored.resize((1000, 750))], quality=90)
    bare = out.getvalue()
    with_exif = bare[:2] + app1_segment(original) + bare[2:]
    with Image.open(io.BytesIO(with_exif)) as im:
        assert im.format == "MPO"
    assert _route(with_exif) == "exif thumbnail"
    assert _route(bare) == "draft"
    assert _signature(with_exif).quality == 90
    assert _groups({"original": original, "mpo": with_exif}) == [{"original", "mpo"}]


def test_large_progressive_jpeg_is_read_from_its_dc_scans(corpus: Path) -> None:
    with Image.open(corpus / "phone" / "jolla.jpg") as im:  # 3264x2448, no EXIF thumbnail
        pixels = im.convert("RGB")
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=92, progressive=True)
    data = out.getvalue()
    layout = jpeg_layout(data)
    assert layout is not None and layout.progressive and layout.dc_end is not None
    assert layout.dc_end < len(data) // 5  # the DC scans are a small part of the file
    assert _route(data) == "dc scans"
    sig, drafted = _signature(data), _drafted(data)
    assert hamming(sig.phash, drafted.phash) <= 2
    # within a grey level of a 1/8-scale decode of the whole file (only the last bit of the DC
    # coefficients, sent in a refinement scan after the AC scans, is missing)
    assert max(abs(a - b) for a, b in zip(sig.thumb, drafted.thumb, strict=True)) <= 1


def _messenger_copy(original: bytes) -> bytes:
    im, exif = upright(original)
    return TRANSFORMS["messenger (1600 px, q70, no EXIF)"][1](im, exif)


def test_messenger_copy_takes_the_camera_date_in_the_report(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    from engine.cli import main

    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "camera").mkdir(parents=True)
    (source / "WhatsApp").mkdir()
    shutil.copy(corpus / PHOTO, source / "camera" / "DSCN0010.jpg")
    (source / "WhatsApp" / "IMG-20190707-WA0003.jpg").write_bytes(_messenger_copy(original))
    (source / "other.jpg").write_bytes((corpus / "phone" / "jolla.jpg").read_bytes())
    code, report = organize(source, dest, "--min-size", "0")
    assert code == 0
    placed = {r["source"]: r for r in report}
    assert placed["WhatsApp/IMG-20190707-WA0003.jpg"]["year"] == 2019  # the day it was forwarded

    assert main(["similar", str(dest), "--jobs", "1"]) == 0
    lines = (dest / ".imgorg" / "similar.jsonl").read_text().splitlines()
    records = {r["source"]: r for r in map(json.loads, lines)}
    assert set(records) == {"camera/DSCN0010.jpg", "WhatsApp/IMG-20190707-WA0003.jpg"}
    kept, copy = records["camera/DSCN0010.jpg"], records["WhatsApp/IMG-20190707-WA0003.jpg"]
    assert kept["kept"] and not copy["kept"]
    assert copy["similar_to"] == kept["dest"]
    assert copy["date_source"] == "similar" and copy["date"].startswith("2008-10-22")
    assert copy["date_from"] == kept["dest"]
    assert kept["date_source"] == str(DateSource.EXIF)

    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    names = {
        row[0] for row in db.execute("SELECT hash_name || '/' || hash_version FROM similar_hashes")
    }
    count = db.execute("SELECT COUNT(*) FROM similar_hashes").fetchone()[0]
    db.close()
    assert names == {"phash-dct64/2"} and count == 3
    assert main(["similar", str(dest), "--jobs", "1"]) == 0  # a second call hashes nothing new


def test_signature_reads_a_decoded_jpeg_at_reduced_scale(corpus: Path) -> None:
    data = (corpus / "phone" / "Xiaomi_Mi_9T_KeyError.jpg").read_bytes()
    sig = _signature(data)
    assert (sig.width, sig.height) == (3000, 4000)  # upright size of the full image
    assert sig.capture is not None and sig.capture.startswith("2022:07:16 16:27:30.")
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (64, 64))
        assert max(im.size) <= 500  # libjpeg's 1/8 DCT scaling, not a full decode


def _archive_with_a_messenger_copy(tmp_path: Path, corpus: Path, original: bytes) -> Path:
    source = tmp_path / "src"
    (source / "camera").mkdir(parents=True)
    (source / "WhatsApp").mkdir()
    shutil.copy(corpus / PHOTO, source / "camera" / "DSCN0010.jpg")
    (source / "WhatsApp" / "IMG-20190707-WA0003.jpg").write_bytes(_messenger_copy(original))
    return source


def test_organize_with_similar_hashes_in_the_workers_and_reports_the_group(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    dest = tmp_path / "dest"
    code, report = organize(source, dest, "--min-size", "0", "--similar")
    assert code == 0
    assert {r["status"] for r in report} == {"placed"}  # report mode: nothing set aside
    copy = next(r for r in report if r["source"] == "WhatsApp/IMG-20190707-WA0003.jpg")
    # the messenger copy lands in the camera year, not in the year it was forwarded
    assert copy["dest"] == "2008/WhatsApp/IMG-20190707-WA0003.jpg"
    assert copy["date_source"] == "similar" and copy["date"].startswith("2008-10-22")
    assert copy["similar_to"] == "camera/DSCN0010.jpg"  # the source path it was dated from
    assert "camera/DSCN0010.jpg" in copy["note"]
    camera = next(r for r in report if r["source"] == "camera/DSCN0010.jpg")
    assert camera["date_source"] == "exif" and camera["similar_to"] is None
    # the date's UTC offset came with it, and so says where it came from
    assert camera["tz_source"] == "gps-position"
    assert copy["tz_source"] == "gps-position" and copy["date"] == camera["date"]
    lines = (dest / ".imgorg" / "similar.jsonl").read_text().splitlines()
    records = {r["source"]: r for r in map(json.loads, lines)}
    assert records["camera/DSCN0010.jpg"]["kept"]
    assert records["WhatsApp/IMG-20190707-WA0003.jpg"]["date_source"] == "similar"
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    assert db.execute("SELECT COUNT(*) FROM similar_hashes").fetchone()[0] == 2
    journaled = dict(db.execute("SELECT source_rel, similar_to FROM files").fetchall())
    db.close()
    assert journaled == {
        b"camera/DSCN0010.jpg": None,
        copy["source"].encode(): copy["similar_to"].encode(),
    }


def test_a_journal_from_before_similar_to_still_opens(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    """A DEST organized before ``similar_to`` was journaled: the column is added in place, the
    old rows read back without it, and a later --similar run journals it."""
    from engine.cli import main

    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    shutil.copy(corpus / "phone" / "jolla.jpg", source / "jolla.jpg")
    assert organize(source, dest, "--min-size", "0")[0] == 0
    journal = dest / ".imgorg" / "journal.sqlite"
    with sqlite3.connect(journal) as db:
        db.execute("ALTER TABLE files DROP COLUMN similar_to")
    assert main(["verify", str(dest)]) == 0
    (source / "camera").mkdir()
    (source / "WhatsApp").mkdir()
    shutil.copy(corpus / PHOTO, source / "camera" / "DSCN0010.jpg")
    (source / "WhatsApp" / "IMG-20190707-WA0003.jpg").write_bytes(_messenger_copy(original))
    code, report = organize(source, dest, "--min-size", "0", "--similar")
    assert code == 0
    lines = {r["source"]: r for r in report}
    assert lines["jolla.jpg"]["similar_to"] is None
    assert lines["WhatsApp/IMG-20190707-WA0003.jpg"]["similar_to"] == "camera/DSCN0010.jpg"
    db = sqlite3.connect(journal)
    assert db.execute("PRAGMA user_version").fetchone() == (VERSION,)
    rows = db.execute("SELECT source_rel, similar_to FROM files ORDER BY source_rel").fetchall()
    db.close()
    assert dict(rows)[b"WhatsApp/IMG-20190707-WA0003.jpg"] == b"camera/DSCN0010.jpg"
    assert dict(rows)[b"jolla.jpg"] is None


def test_default_organize_computes_no_signature(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    dest = tmp_path / "dest"
    code, _report = organize(source, dest, "--min-size", "0")
    assert code == 0
    assert not (dest / ".imgorg" / "similar.jsonl").exists()
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert "similar_hashes" not in tables


def test_plan_with_similar_lists_the_groups_in_the_plan_folder(
    tmp_path: Path, corpus: Path, original: bytes
) -> None:
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    out = tmp_path / "plan"
    code = main(
        [
            "plan",
            str(source),
            str(tmp_path / "dest"),
            "--min-size",
            "0",
            "--similar",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    lines = (out / "similar.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert not (tmp_path / "dest").exists()


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and ".imgorg" not in p.parts
    }


def test_set_aside_moves_the_lesser_copy_and_its_sidecar_and_restore_brings_them_back(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    (source / "WhatsApp" / "IMG-20190707-WA0003.jpg.xmp").write_text("<x:xmpmeta/>")
    dest = tmp_path / "dest"
    code, _report = organize(source, dest, "--min-size", "0", "--similar", "set-aside")
    assert code == 0
    copy = "2008/WhatsApp/IMG-20190707-WA0003.jpg"
    assert _files(dest) == {
        "2008/camera/DSCN0010.jpg",
        f"Similar/{copy}",
        f"Similar/{copy}.xmp",
    }
    records = [
        json.loads(line) for line in (dest / ".imgorg/similar.jsonl").read_text().splitlines()
    ]
    assert {r["set_aside_to"] for r in records} == {None, f"Similar/{copy}"}
    assert main(["verify", str(dest)]) == 0  # the journal follows the moved files
    assert main(["similar", str(dest), "--set-aside"]) == 0  # again: nothing more to move
    assert len(_files(dest)) == 3

    assert main(["similar", str(dest), "--restore"]) == 0
    assert _files(dest) == {"2008/camera/DSCN0010.jpg", copy, f"{copy}.xmp"}
    assert not (dest / "Similar").exists()
    assert main(["verify", str(dest)]) == 0


def test_undo_after_set_aside_removes_every_copy_the_run_made(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    dest = tmp_path / "dest"
    before = _files(source)
    code, _report = organize(source, dest, "--min-size", "0", "--similar", "set-aside")
    assert code == 0 and (dest / "Similar").is_dir()
    assert main(["undo", str(dest)]) == 0
    assert _files(dest) == set()
    assert [p.name for p in dest.iterdir()] == [
        ".imgorg"
    ]  # the run's folders, Similar/ too, are gone
    assert _files(source) == before


def test_similar_photos_section_in_chromium(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
    browser: Any,  # noqa: F811  (the fixture imported above)
) -> None:
    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    im, exif = upright(original)
    (source / "export").mkdir()
    (source / "export" / "small.jpg").write_bytes(TRANSFORMS["resize 50 %"][1](im, exif))
    dest = tmp_path / "dest"
    code, _report = organize(source, dest, "--min-size", "0", "--similar")
    assert code == 0
    page = dest / ".imgorg" / "report.html"
    tab, requests, errors = open_page(browser, page)
    try:
        assert not errors, errors
        assert all(u.startswith(("file://", "data:")) for u in requests), requests
        roles = tab.eval_on_selector_all(
            "#similar .similar-group .similar-card", "els => els.map(e => e.dataset.role)"
        )
        assert roles == ["kept", "copy", "copy"]
        loaded = tab.eval_on_selector_all(
            "#similar img.mini", "els => els.map(e => e.complete && e.naturalWidth > 0)"
        )
        assert loaded == [True, True, True]
        caption = tab.inner_text("#similar .similar-card[data-role=kept]")
        assert "640×480" in caption and "2008/camera/DSCN0010.jpg" in caption
        dated = tab.eval_on_selector_all(
            "#similar .similar-card[data-role=copy] .date", "els => els.map(e => e.innerText)"
        )
        assert any("(similar from 2008/camera/DSCN0010.jpg)" in text for text in dated), dated
    finally:
        tab.close()


def test_without_faiss_similar_exits_2_with_the_install_hint(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    dest = tmp_path / "dest"
    assert main(["organize", str(source), str(dest), "--min-size", "0", "--quiet"]) == 0
    monkeypatch.setitem(__import__("sys").modules, "faiss", None)  # as if not installed
    assert main(["organize", str(source), str(dest), "--similar", "--quiet"]) == 2
    assert "pip install 'imgorg[similar]'" in capsys.readouterr().err
    assert main(["similar", str(dest)]) == 2
    assert "pip install 'imgorg[similar]'" in capsys.readouterr().err


def _journal_rows(dest: Path) -> dict[str, tuple[Any, ...]]:
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    rows = db.execute("SELECT source_rel, dest, year, date_source, similar_to FROM files")
    found = {row[0].decode(): row[1:] for row in rows}
    db.close()
    return found


def test_similar_refiles_a_messenger_copy_into_its_groups_year_and_undo_returns_it(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A moved archive, flat layout: the WhatsApp copy (and its sidecar) went to 2019, the
    day it was forwarded. ``imgorg similar`` says it could be re-filed; with ``--refile`` it
    dates it from its camera original and moves both to 2008, where another photo already
    holds the name; the journal follows, verify passes, and undo puts every file back."""
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    copy = "WhatsApp/IMG-20190707-WA0003.jpg"
    (source / f"{copy}.xmp").write_text("<x:xmpmeta/>")
    write_photo(source / "trip" / "IMG-20190707-WA0003.jpg", dt.datetime(2008, 5, 1), seed=3)
    before = tree_digest(source)
    dest = tmp_path / "dest"
    flags = ("--min-size", "0", "--mode", "move", "--no-compress", "--fix-orientation", "none")
    flags += ("--layout", "flat")
    code, report = organize(source, dest, *flags)
    assert code == 0
    assert {r["source"]: r["dest"] for r in report}[copy] == "2019/IMG-20190707-WA0003.jpg"

    placed = _files(dest)
    capsys.readouterr()
    assert main(["similar", str(dest), "--jobs", "1"]) == 0
    said = capsys.readouterr().out
    assert "1 photo is in another year's folder than its group's date says" in said, said
    assert "imgorg similar --refile" in said and _files(dest) == placed  # nothing moved

    assert main(["similar", str(dest), "--jobs", "1", "--refile"]) == 0
    assert "--refile DEST` moves" not in capsys.readouterr().out
    moved = "2008/IMG-20190707-WA0003_1.jpg"  # 2008/IMG-20190707-WA0003.jpg is trip's photo
    assert _files(dest) == {
        "2008/DSCN0010.jpg",
        "2008/IMG-20190707-WA0003.jpg",
        moved,
        f"{moved}.xmp",
    }
    rows = _journal_rows(dest)
    camera = b"camera/DSCN0010.jpg"
    assert rows[copy] == (moved.encode(), 2008, "similar", camera)
    assert rows[f"{copy}.xmp"] == (f"{moved}.xmp".encode(), 2008, "similar", camera)
    assert rows["trip/IMG-20190707-WA0003.jpg"][:3] == (
        b"2008/IMG-20190707-WA0003.jpg",
        2008,
        "exif",
    )
    lines = (dest / ".imgorg" / "similar.jsonl").read_text().splitlines()
    record = next(r for r in map(json.loads, lines) if r["source"] == copy)
    assert (record["dest"], record["refiled_from"]) == (moved, "2019/IMG-20190707-WA0003.jpg")
    assert main(["verify", str(dest)]) == 0

    assert (
        main(["similar", str(dest), "--jobs", "1", "--refile"]) == 0
    )  # again: nothing more to move
    assert len(_files(dest)) == 4 and _journal_rows(dest) == rows
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(source) == before
    assert _files(dest) == set()


def test_similar_leaves_a_copy_placed_by_a_layout_template_where_it_is(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    """Below a month folder (or a name made from the date) the copy's place depends on more
    than its year: it is dated in the report, not moved."""
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    dest = tmp_path / "dest"
    code, _report = organize(source, dest, "--min-size", "0", "--layout", "{year}/{month:02}")
    assert code == 0
    placed = _files(dest)
    assert main(["similar", str(dest), "--jobs", "1", "--refile"]) == 0
    assert _files(dest) == placed
    lines = (dest / ".imgorg" / "similar.jsonl").read_text().splitlines()
    record = next(r for r in map(json.loads, lines) if r["source"].startswith("WhatsApp/"))
    assert record["date_source"] == "similar" and record["refiled_from"] is None


def test_a_refile_interrupted_after_its_rename_is_settled_by_the_next_call(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    """Killed between the rename and the journal's ``done``: the move is still ``planned``,
    the file's row still names its old place and date. The next call finds the file at its
    new place and closes the move with the new date; verify passes."""
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    dest = tmp_path / "dest"
    assert organize(source, dest, "--min-size", "0")[0] == 0
    copy, old = "WhatsApp/IMG-20190707-WA0003.jpg", b"2019/WhatsApp/IMG-20190707-WA0003.jpg"
    assert main(["similar", str(dest), "--jobs", "1", "--refile"]) == 0
    refiled = _journal_rows(dest)[copy]
    assert refiled[1:] == (2008, "similar", b"camera/DSCN0010.jpg")
    with sqlite3.connect(dest / ".imgorg" / "journal.sqlite") as db:
        db.execute("UPDATE similar_moves SET state = 'planned'")
        db.execute(
            "UPDATE files SET dest = ?, year = 2019, date_source = 'filename', similar_to = NULL "
            "WHERE dest = ?",
            (old, refiled[0]),
        )
    # the journal names a place the file has left: verify finds it where the refile put it
    code, said = imgorg("verify", str(dest))
    assert code == 0 and "moved" in said and old.decode() in said, said
    assert main(["similar", str(dest), "--jobs", "1", "--refile"]) == 0
    assert _journal_rows(dest)[copy] == refiled
    assert main(["verify", str(dest)]) == 0


def test_a_copy_gone_from_dest_is_not_refiled_and_nothing_breaks(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    """Its signature is in the journal from an earlier call, the file was deleted by hand
    since: the planned move is dropped, the journal row keeps its place for verify to report."""
    from engine.cli import main

    source = _archive_with_a_messenger_copy(tmp_path, corpus, original)
    dest = tmp_path / "dest"
    assert organize(source, dest, "--min-size", "0")[0] == 0
    assert main(["similar", str(dest), "--jobs", "1"]) == 0
    gone = dest / "2019" / "WhatsApp" / "IMG-20190707-WA0003.jpg"
    assert gone.is_file()
    rows = _journal_rows(dest)
    gone.unlink()
    assert main(["similar", str(dest), "--jobs", "1", "--refile"]) == 0
    assert _journal_rows(dest) == rows and _files(dest) == {"2008/camera/DSCN0010.jpg"}
    db = sqlite3.connect(dest / ".imgorg" / "journal.sqlite")
    assert db.execute("SELECT COUNT(*) FROM similar_moves").fetchone() == (0,)
    db.close()


def test_a_messenger_copy_1400_folders_deep_is_set_aside_and_restored(
    tmp_path: Path,
    corpus: Path,
    original: bytes,
    organize: Callable[..., tuple[int, list[dict[str, Any]]]],
) -> None:
    """``--no-tidy`` keeps a backup gone wrong (``WhatsApp/a/a/.../a``, 1,400 deep) as it is:
    setting its messenger copy aside makes 1,400 folders below ``Similar/``, which
    ``os.makedirs`` does by recursion (the run stopped with a RecursionError once every file
    was placed, its set-aside planned and never made)."""
    from test_messy_archives import _deep_tree, _remove_deep

    from engine.cli import main

    source, dest = tmp_path / "src", tmp_path / "dest"
    try:
        (source / "camera").mkdir(parents=True)
        shutil.copy(corpus / PHOTO, source / "camera" / "DSCN0010.jpg")
        deep = _deep_tree(source / "WhatsApp", 1400)
        copy = os.path.join(deep, "IMG-20190707-WA0003.jpg")
        Path(copy).write_bytes(_messenger_copy(original))
        placed = "2008/" + os.path.relpath(copy, source)

        code, _report = organize(
            source, dest, "--min-size", "0", "--no-tidy", "--similar", "set-aside"
        )

        assert code == 0
        assert os.path.exists(os.path.join(dest, "Similar", placed))
        assert main(["verify", str(dest)]) == 0
        assert main(["similar", str(dest), "--restore"]) == 0
        assert os.path.exists(os.path.join(dest, placed))
    finally:
        _remove_deep(tmp_path)


def test_a_messenger_copy_whose_name_is_not_utf8_is_reported_not_a_crash(
    tmp_path: Path, corpus: Path, original: bytes
) -> None:
    """A copy named on an old Windows or Mac (``b\\xff.jpg``, Latin-1 bytes): the similar report
    wrote its name as UTF-8 and the run stopped with a traceback (exit 1). Now the name is
    written as the JSON escapes of what ``os.fsdecode`` makes of it, as in the run's report."""
    from engine.cli import main

    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    shutil.copy(corpus / PHOTO, source / "DSCN0010.jpg")
    odd = os.fsdecode(b"copy\xff.jpg")
    (source / odd).write_bytes(_messenger_copy(original))
    flags = ["--min-size", "0", "--similar", "report", "--quiet", "--jobs", "1"]
    assert main(["organize", str(source), str(dest), *flags]) == 0
    lines = (dest / ".imgorg" / "similar.jsonl").read_bytes().decode("ascii").splitlines()
    records = {r["source"]: r for r in map(json.loads, lines)}
    assert set(records) == {"DSCN0010.jpg", odd}
    assert os.fsencode(records[odd]["source"]) == b"copy\xff.jpg"
