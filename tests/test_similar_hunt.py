"""Near-duplicates and templates as a user with a real archive meets them: each test is a bug
found by hunting (a messenger copy of a burst frame, a copy dated from a file name, a layout
template writing into imgorg's own folder)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from conftest import tree_digest
from engine.cli import main
from engine.similar.groups import find_groups
from engine.similar.keeper import Member
from engine.similar.signature import signature_of_bytes

PHOTO = "camera/DSCN0010.jpg"  # 640x480, Nikon, 2008-10-22 16:28:39

Organize = Callable[..., tuple[int, list[dict[str, Any]]]]


def _upright(corpus: Path) -> tuple[Image.Image, Image.Exif]:
    with Image.open(corpus / PHOTO) as im:
        return im.convert("RGB"), im.getexif()


def _jpeg(im: Image.Image, quality: int = 90, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def _taken_at(exif: Image.Exif, when: str) -> Image.Exif:
    copy = Image.Exif()
    copy.load(exif.tobytes())
    copy.get_ifd(0x8769)[36867] = when
    return copy


def _similar(dest: Path) -> list[dict[str, Any]]:
    lines = (dest / ".imgorg" / "similar.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _groups(dest: Path) -> list[set[str]]:
    groups: dict[int, set[str]] = {}
    for record in _similar(dest):
        groups.setdefault(record["group"], set()).add(record["source"])
    return sorted(groups.values(), key=sorted)


def test_messenger_copy_of_a_burst_frame_is_grouped_with_that_frame(
    corpus: Path, tmp_path: Path, organize: Organize
) -> None:
    """Two burst frames (one second apart, the camera moved a few pixels) and the messenger copy
    of the second: the copy looks like both, and must join the frame it was made from, not the
    one whose name sorts first."""
    im, exif = _upright(corpus)
    second = ImageChops.offset(im, 6, 0)
    source = tmp_path / "src"
    (source / "Burst").mkdir(parents=True)
    (source / "WhatsApp").mkdir()
    (source / "Burst/DSC_0001.jpg").write_bytes(
        _jpeg(im, 90, _taken_at(exif, "2008:10:22 16:28:39"))
    )
    (source / "Burst/DSC_0002.jpg").write_bytes(
        _jpeg(second, 90, _taken_at(exif, "2008:10:22 16:28:40"))
    )
    (source / "WhatsApp/IMG-20190707-WA0003.jpg").write_bytes(_jpeg(second.resize((320, 240)), 70))
    code, _ = organize(source, tmp_path / "dest", "--similar")
    assert code == 0
    assert _groups(tmp_path / "dest") == [
        {"Burst/DSC_0002.jpg", "WhatsApp/IMG-20190707-WA0003.jpg"}
    ]


def _copies_after_their_original(
    corpus: Path, tmp_path: Path, dest: Path, organize: Organize
) -> tuple[int, list[dict[str, Any]]]:
    """The camera original organized into ``dest`` first; a later run with ``--similar`` brings
    its WhatsApp copy (named for the day it was forwarded, 2019) and a PNG export (no date)."""
    im, _exif = _upright(corpus)
    first, later = tmp_path / "camera", tmp_path / "phone"
    first.mkdir()
    (first / "DSCN0010.jpg").write_bytes((corpus / PHOTO).read_bytes())
    assert organize(first, dest, "--similar")[0] == 0
    (later / "WhatsApp").mkdir(parents=True)
    (later / "WhatsApp/IMG-20190707-WA0003.jpg").write_bytes(_jpeg(im.resize((400, 300)), 70))
    im.resize((320, 240)).save(later / "WhatsApp/export.png")
    return organize(later, dest, "--similar")


def test_a_copy_is_never_dated_similar_from_a_file_name_and_refile_finds_its_year(
    corpus: Path, tmp_path: Path, organize: Organize
) -> None:
    """The camera original is already in DEST; a later run brings its WhatsApp copy (dated 2019
    by its name, the day it was forwarded) and a PNG export with no date. The PNG must not take
    the file name's date as a near-duplicate's camera date ("similar" outranks a file name, so
    nothing would ever correct it): both copies end in 2008 once ``similar --refile`` runs."""
    dest = tmp_path / "dest"
    code, report = _copies_after_their_original(corpus, tmp_path, dest, organize)
    assert code == 0
    png = next(r for r in report if r["source"].endswith("export.png"))
    assert not (png["date_source"] == "similar" and png["date"].startswith("2019")), png
    assert main(["similar", str(dest), "--refile"]) == 0
    placed = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert "2008/WhatsApp/export.png" in placed, placed
    assert "2008/WhatsApp/IMG-20190707-WA0003.jpg" in placed, placed
    assert main(["verify", str(dest)]) == 0


@pytest.mark.parametrize(
    "flags",
    [
        ("--layout", ".imgorg/{year}"),
        ("--layout", "{year}/.{month:02}"),
        ("--rename", ".{name}"),
    ],
)
def test_a_template_making_hidden_folders_or_names_is_refused(
    corpus: Path, tmp_path: Path, organize: Organize, flags: tuple[str, str]
) -> None:
    """``.imgorg/{year}`` would put photos among the journal, staging and thumbnails, and any
    hidden folder or name is one the next walk of DEST skips: refused before the run."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "DSCN0010.jpg").write_bytes((corpus / PHOTO).read_bytes())
    code, _ = organize(source, tmp_path / "dest", *flags)
    assert code == 2
    assert not (tmp_path / "dest").exists() or not any(
        p.is_file() and p.suffix == ".jpg" for p in (tmp_path / "dest").rglob("*")
    )


def _with_camera(corpus: Path, path: Path, make: str, model: str) -> None:
    with Image.open(corpus / PHOTO) as im:
        exif = Image.Exif()
        exif.load(im.getexif().tobytes())
        exif[0x010F], exif[0x0110] = make, model
        im.save(path, quality=90, exif=exif)


def test_camera_names_in_a_layout_stay_visible_fit_a_folder_and_undo(
    corpus: Path, tmp_path: Path, organize: Organize
) -> None:
    """``--layout '{camera}/{year}'`` with the Make/Model strings real files carry: one that
    starts with a dot must not make a hidden folder (``.imgorg`` is the journal's), a 300-byte
    model must still be placed (a folder name holds 255 bytes), a slash is no folder."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    _with_camera(corpus, source / "dot.jpg", ".imgorg", "")
    _with_camera(corpus, source / "long.jpg", "Acme", "Z" * 300)
    _with_camera(corpus, source / "slash.jpg", "HP", "PhotoSmart 1/2")
    code, report = organize(source, dest, "--layout", "{camera}/{year}")
    assert code == 0, [r.get("reason") for r in report]
    where = {r["source"]: r["dest"] for r in report}
    assert all(r["status"] == "placed" for r in report), report
    assert not where["dot.jpg"].startswith("."), where
    assert where["slash.jpg"] == "HP PhotoSmart 1_2/2008/slash.jpg"
    folder = where["long.jpg"].split("/")[0]
    assert folder.startswith("Acme ZZZ") and len(folder.encode()) <= 255
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert not [p for p in dest.rglob("*.jpg")]


def test_set_aside_leaves_a_sidecar_the_kept_photo_shares_by_name(
    corpus: Path, tmp_path: Path, organize: Organize
) -> None:
    """``Trip/DSCN0010.jpg`` (the camera original), its PNG and HEIC exports saved beside it and
    one ``DSCN0010.xmp``: the sidecar is the original's as much as the exports'. Setting the
    exports aside must not take it from the photo that stays; restore and undo still bring
    everything back byte for byte."""
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    im, exif = _upright(corpus)
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "Trip").mkdir(parents=True)
    (source / "Trip/DSCN0010.jpg").write_bytes((corpus / PHOTO).read_bytes())
    (source / "Trip/DSCN0010.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    im.save(source / "Trip/DSCN0010.png")
    im.save(source / "Trip/DSCN0010.heic", quality=80, exif=exif.tobytes())
    before = tree_digest(source)
    code, _ = organize(source, dest, "--similar", "set-aside", "--mode", "move")
    assert code == 0
    assert (dest / "2008/Trip/DSCN0010.jpg").exists()
    assert (dest / "2008/Trip/DSCN0010.xmp").exists()
    assert (dest / "Similar/2008/Trip/DSCN0010.png").exists()
    assert main(["verify", str(dest)]) == 0
    assert main(["similar", str(dest), "--restore"]) == 0
    assert main(["verify", str(dest)]) == 0
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(source) == before


def test_a_time_lapse_of_look_alikes_is_grouped_in_seconds(corpus: Path) -> None:
    """900 frames of a time-lapse (one look, a capture time each) and 300 copies of one of them
    without EXIF: every pair is a candidate (400,000 of them). Checked one by one in Python
    this took 12 s of CPU (2,000 such copies: 65 s); the frames stay apart, the copies join
    one frame."""
    frame = signature_of_bytes((corpus / PHOTO).read_bytes())
    assert frame is not None
    members = [
        Member(
            f"lapse/{n:04}.jpg", replace(frame, capture=f"2008:10:22 16:{n // 60:02}:{n % 60:02}")
        )
        for n in range(900)
    ] + [Member(f"copies/{n:04}.jpg", replace(frame, capture=None)) for n in range(300)]
    started = time.process_time()
    groups = find_groups(members, 2)
    spent = time.process_time() - started
    assert [len(g.members) for g in groups] == [301]
    assert groups[0].keeper.path == "lapse/0000.jpg"
    assert spent < 8.0, f"{spent:.1f} s of CPU"  # 12 s when every pair was checked in Python


def test_a_layout_with_a_nul_from_a_config_file_is_refused_before_the_run(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TOML can spell a NUL (``\\u0000``) that no path may hold: the template is refused when
    the flags are read, not by a placer process failing once the run has begun."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    (source / "DSCN0010.jpg").write_bytes((corpus / PHOTO).read_bytes())
    config = tmp_path / "imgorg.toml"
    config.write_text('layout = "Fotos\\u0000x/{year}"\n', encoding="utf-8")
    code = main(["organize", str(source), str(dest), "--config", str(config), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "template" in err and "placer" not in err, err
    assert not dest.exists()


def _original_and_its_export(source: Path, corpus: Path, im: Image.Image, exif: Image.Exif) -> None:
    """The camera original, and in Export/ a smaller re-save of it with its sidecar."""
    (source / "Export").mkdir(parents=True)
    (source / "DSCN0010.jpg").write_bytes((corpus / PHOTO).read_bytes())
    (source / "Export/small.jpg").write_bytes(_jpeg(im.resize((320, 240)), 80, exif))
    (source / "Export/small.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')


def test_restore_when_a_later_run_took_the_old_place_keeps_the_copy_aside(
    corpus: Path, tmp_path: Path, organize: Organize, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lesser copy (with its sidecar) is set aside; a later run places another photo under
    its old name. ``similar --restore`` brings back what it can, leaves that copy and its
    sidecar together in Similar/, says so and exits 1: no traceback, nothing overwritten."""
    im, exif = _upright(corpus)
    source, later, dest = tmp_path / "src", tmp_path / "later", tmp_path / "dest"
    _original_and_its_export(source, corpus, im, exif)
    (source / "Export/q50.jpg").write_bytes(_jpeg(im, 50, exif))
    assert organize(source, dest, "--similar", "set-aside")[0] == 0
    assert (dest / "Similar/2008/Export/small.xmp").exists()
    (later / "Export").mkdir(parents=True)
    other = _jpeg(im.rotate(180), 60, exif)
    (later / "Export/small.jpg").write_bytes(other)
    assert organize(later, dest)[0] == 0
    assert (dest / "2008/Export/small.jpg").read_bytes() == other
    capsys.readouterr()
    assert main(["similar", str(dest), "--restore"]) == 1
    out = capsys.readouterr().out
    assert "1 set-aside copies moved back" in out and "left in" in out, out
    assert (dest / "2008/Export/small.jpg").read_bytes() == other
    assert (dest / "2008/Export/q50.jpg").exists()
    assert (dest / "Similar/2008/Export/small.jpg").exists()
    assert (dest / "Similar/2008/Export/small.xmp").exists()
    assert main(["verify", str(dest)]) == 0


def test_undo_of_a_run_puts_back_what_its_set_aside_moved_from_earlier_runs(
    corpus: Path, tmp_path: Path, organize: Organize
) -> None:
    """Run 1 places an original and its exports; run 2 (``--similar set-aside``) brings one new
    photo and sets run 1's exports aside. ``undo`` reverses run 2: DEST is as run 1 left it,
    the exports (and their sidecar) back in their places, not left in Similar/."""
    im, exif = _upright(corpus)
    source, later, dest = tmp_path / "src", tmp_path / "later", tmp_path / "dest"
    _original_and_its_export(source, corpus, im, exif)
    im.save(source / "Export/export.png")
    assert organize(source, dest)[0] == 0
    before = {p: d for p, d in tree_digest(dest).items() if not p.startswith(".imgorg")}
    later.mkdir()
    (later / "Canon_40D.jpg").write_bytes((corpus / "camera/Canon_40D.jpg").read_bytes())
    assert organize(later, dest, "--similar", "set-aside")[0] == 0
    assert (dest / "Similar/2008/Export/small.jpg").exists()
    assert main(["undo", str(dest)]) == 0
    after = {p: d for p, d in tree_digest(dest).items() if not p.startswith(".imgorg")}
    assert after == before
    assert not (dest / "Similar").exists()
    assert main(["verify", str(dest)]) == 0


def test_a_later_run_dates_a_copy_from_the_original_already_in_dest(
    corpus: Path, tmp_path: Path, organize: Organize
) -> None:
    """The camera original went into DEST last month; today's run brings its WhatsApp copy and
    a PNG export (no camera date). Both belong with the original's 2008: the run's own photos
    are not the whole group, DEST's are in it too."""
    dest = tmp_path / "dest"
    code, report = _copies_after_their_original(corpus, tmp_path, dest, organize)
    assert code == 0
    placed = {r["source"]: r for r in report}
    for name in ("WhatsApp/IMG-20190707-WA0003.jpg", "WhatsApp/export.png"):
        assert placed[name]["dest"] == f"2008/{name}", placed[name]
        assert placed[name]["date_source"] == "similar"
        assert placed[name]["similar_to"] == "DSCN0010.jpg"
        assert placed[name]["tz_source"] == "gps-position"  # the original's, with its offset
