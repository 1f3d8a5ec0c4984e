"""Real photos are never left behind for their size or format: small camera JPEGs, RAW pairs,
TIFFs whose EXIF the imaging library trips over, JPEGs under their other extensions."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, TiffImagePlugin

from conftest import read_report, write_photo


def by_source(report):  # type: ignore[no-untyped-def]
    return {line["source"]: line for line in report}


def run(source: Path, dest: Path, report: Path, *flags: str) -> int:
    from engine.cli import main

    return main(["organize", str(source), str(dest), "--report", str(report), "--plain", *flags])


def test_small_camera_photos_and_raw_pairs_are_never_skipped_for_size(
    tmp_path: Path,
    corpus: Path,
    manifest: dict[str, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "archive"
    vga = [
        name
        for name, row in manifest.items()
        if name.startswith("camera/")
        and int(row["size_bytes"]) < 50_000
        and "ExifIFD" in row["dto_group"]
        and not row["identical_to"]
    ]
    assert len(vga) > 30
    for name in vga:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / name, src / name)
    web = ["no_exif/hopper.jpg", "no_exif/noexif.jpg", "camera/Canon_40D_photoshop_import.jpg"]
    for name in web:
        (src / "web" / Path(name).name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / name, src / "web" / Path(name).name)
    # A DSLR pair whose JPEG is a small undated preview and whose RAW is 1.5 MB.
    (src / "DSLR").mkdir()
    shutil.copyfile(corpus / "no_exif/elodie_no-exif.jpg", src / "DSLR/IMG_1234.JPG")
    raw = b"II*\x00\x08\x00\x00\x00" + bytes(range(256)) * 6000
    (src / "DSLR/IMG_1234.CR2").write_bytes(raw)

    # WhatsApp strips EXIF but names its files by date; a damaged VGA photo is still a photo.
    write_photo(src / "web/IMG-20190707-WA0003.jpg", None, seed=7)
    cut = (corpus / "camera/Nikon_D70.jpg").read_bytes()
    (src / "camera/Nikon_D70_cut.jpg").write_bytes(cut[: len(cut) - 2000])

    report = tmp_path / "report.jsonl"
    assert run(src, tmp_path / "out", report) == 0
    lines = by_source(read_report(report))
    for name in vga:
        assert lines[name]["status"] == "placed", lines[name]
        assert lines[name]["date_source"] == "exif", lines[name]
    for name in web:
        line = lines[f"web/{Path(name).name}"]
        assert line["status"] == "skipped", line
        assert line["reason"].startswith("smaller than --min-size"), line
    assert lines["web/IMG-20190707-WA0003.jpg"]["status"] == "placed"
    assert lines["camera/Nikon_D70_cut.jpg"]["status"] == "corrupt"
    assert lines["DSLR/IMG_1234.JPG"]["status"] == "placed"
    assert lines["DSLR/IMG_1234.CR2"]["status"] == "placed"
    assert (tmp_path / "out" / lines["DSLR/IMG_1234.CR2"]["dest"]).read_bytes() == raw
    err = capsys.readouterr().err
    assert "next: 3 photos were skipped as smaller than" in err

    report0 = tmp_path / "report0.jsonl"
    assert run(src, tmp_path / "out0", report0, "--min-size", "0") == 0
    assert all(line["status"] in ("placed", "corrupt") for line in read_report(report0))


def dji_tiff() -> bytes:
    """A TIFF as DJI drones write it: the Interoperability IFD pointer sits in IFD0, which
    makes Pillow's TIFF loader raise KeyError 40965 after the pixels have decoded."""
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[0x010F] = "DJI"
    tags[0x0110] = "FC6310"
    tags[0x8769] = {0x9003: "2019:05:06 07:08:09"}
    tags[0xA005] = {0x0001: "R98"}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "TIFF", tiffinfo=tags)
    return buffer.getvalue()


def test_a_metadata_failure_after_decoding_is_not_corruption(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    data = dji_tiff()
    src = tmp_path / "src"
    (src / "DJI").mkdir(parents=True)
    (src / "DJI/DJI_0001.TIF").write_bytes(data)
    truncated = data[: len(data) // 2]  # pixels cut short: still corrupt
    (src / "DJI/DJI_0002.TIF").write_bytes(truncated)
    code, report = organize(src, tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    good = lines["DJI/DJI_0001.TIF"]
    assert good["status"] == "placed", good
    assert good["year"] == 2019 and good["date_source"] == "exif"
    assert good["note"] is None or "KeyError: 40965" in good["note"]  # stock Pillow 13 reads it
    assert (tmp_path / "out" / good["dest"]).read_bytes() == data
    assert lines["DJI/DJI_0002.TIF"]["status"] == "corrupt"


@pytest.mark.parametrize("suffix", [".jfif", ".jpe", ".jif", ".JFIF"])
def test_jpeg_under_its_other_extensions(
    tmp_path: Path,
    corpus: Path,
    organize,
    suffix: str,  # type: ignore[no-untyped-def]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copyfile(corpus / "camera/Canon_40D.jpg", src / f"photo{suffix}")
    code, report = organize(src, tmp_path / "out")
    assert code == 0
    (line,) = report
    assert (line["status"], line["year"]) == ("placed", 2008), line


def test_a_type_left_out_of_extensions_says_so(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    src.mkdir()
    shutil.copyfile(corpus / "camera/Canon_40D.jpg", src / "a.jpg")
    shutil.copyfile(corpus / "formats/hopper.png", src / "b.png")
    (src / "notes.txt").write_text("hello")
    code, report = organize(src, tmp_path / "out", "--extensions", "jpg")
    assert code == 0
    lines = by_source(report)
    assert lines["a.jpg"]["status"] == "placed"
    assert lines["b.png"]["status"] == "ignored"
    assert lines["b.png"]["reason"] == "an image type not in --extensions (.png)"
    assert lines["notes.txt"]["reason"] == "not an image type (.txt)"


def test_an_old_canon_crw_travels_with_its_jpeg_and_is_never_left_behind(
    tmp_path: Path, corpus: Path
) -> None:
    """A 2004 Canon card: CRW (CIFF, not TIFF) + the camera's JPEG of the same shot. The CRW
    is a RAW file: it goes with its JPEG into the JPEG's year, copied byte for byte."""
    src = tmp_path / "archive" / "DCIM" / "100CANON"
    src.mkdir(parents=True)
    shutil.copyfile(corpus / "camera/Canon_40D.jpg", src / "CRW_0001.JPG")
    crw = b"II\x1a\x00\x00\x00HEAPCCDR" + bytes(range(256)) * 40
    (src / "CRW_0001.CRW").write_bytes(crw)
    report = tmp_path / "report.jsonl"
    assert run(tmp_path / "archive", tmp_path / "dest", report, "--min-size", "0") == 0
    lines = by_source(read_report(report))
    raw = lines["DCIM/100CANON/CRW_0001.CRW"]
    photo = lines["DCIM/100CANON/CRW_0001.JPG"]
    assert photo["dest"].startswith("2008/")
    assert (raw["status"], raw["companion_of"]) == ("placed", "DCIM/100CANON/CRW_0001.JPG")
    assert raw["dest"] == photo["dest"][: -len(".JPG")] + ".CRW"
    assert (tmp_path / "dest" / raw["dest"]).read_bytes() == crw
