"""Archives as people's disks hold them, at the edges the rest of the suite does not reach:
names at the file system's limits, one file under two paths, sidecars of odd names. Each test
builds its archive from the shared corpus's camera files and runs the real command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import tree_digest
from engine.cli import main

NAME_MAX = 255


def test_a_long_name_needing_a_suffix_leaves_room_for_its_sidecars_names(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Two different photos of one 251-byte name meet in one year folder (flat layout); the
    second needs a shorter name, and its ``.jpg.xmp`` and Takeout ``.json`` (which becomes
    ``<name>.jpg.json``, 256 bytes even without a suffix) must still be nameable beside it."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    long = "X" * 247 + ".jpg"  # 251 bytes: "<long>.xmp" is 255
    for folder, photo in (("a", "Canon_40D.jpg"), ("b", "Nikon_D70.jpg")):
        (source / folder).mkdir(parents=True)
        shutil.copy(corpus / "camera" / photo, source / folder / long)
    xmp = source / "b" / (long + ".xmp")
    xmp.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>\n')
    (source / "b" / ("X" * 247 + ".json")).write_text('{"title": "takeout"}\n')
    before = tree_digest(source)

    code, planned = organize(source, dest / "plan", "--layout", "flat", "--dry-run")
    code, report = organize(source, dest, "--layout", "flat")

    assert code == 0, [line for line in report if line["status"] == "error"]
    rows = {line["source"]: line for line in report}
    main = rows[f"b/{long}"]
    assert main["status"] == "placed"
    stem = os.path.splitext(main["dest"])[0]
    for companion in (f"b/{long}.xmp", f"b/{'X' * 247}.json"):
        line = rows[companion]
        assert line["status"] == "placed", line
        assert line["dest"].startswith(stem + ".jpg.")  # beside its photo, under its name
        assert len(os.fsencode(os.path.basename(line["dest"]))) <= NAME_MAX
        assert (dest / line["dest"]).read_bytes() == (source / companion).read_bytes()
    assert sorted((p["source"], p["status"], p["dest"]) for p in planned) == sorted(
        (r["source"], r["status"], r["dest"]) for r in report
    )
    assert tree_digest(source) == before


@pytest.mark.parametrize("across", [False, True], ids=["one-filesystem", "across-filesystems"])
def test_one_photo_under_two_hard_linked_names_moves_and_undoes(
    corpus: Path, tmp_path: Path, organize, across: bool
) -> None:
    """A camera dump and an album made of hard links to it (two paths, one inode): moving the
    kept name (a rename, or a copy and an unlink) sets the inode's ctime, which must not make
    the other name "changed since it was analysed"."""
    from test_safety import mount_tmpfs

    source = mount_tmpfs(tmp_path / "src", "16m") if across else tmp_path / "src"
    dest = tmp_path / "dest"
    try:
        (source / "DCIM").mkdir(parents=True)
        (source / "Summer 2008").mkdir()
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "DCIM" / "IMG_0001.jpg")
        os.link(source / "DCIM" / "IMG_0001.jpg", source / "Summer 2008" / "IMG_0001.jpg")
        shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", source / "DCIM" / "IMG_0002.jpg")
        before = tree_digest(source)

        code, report = organize(source, dest, "--mode", "move")

        assert code == 0, [line for line in report if line["status"] == "error"]
        rows = {line["source"]: line for line in report}
        assert rows["Summer 2008/IMG_0001.jpg"]["status"] == "placed"
        assert rows["DCIM/IMG_0001.jpg"]["status"] == "duplicate"
        assert tree_digest(source) == {}  # every name moved, none left behind
        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert tree_digest(source) == before
    finally:
        if across:
            subprocess.run(["umount", "-l", str(source)], check=False)


def test_two_takeout_json_names_of_one_photo_both_travel_with_it(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Two Takeout exports merged into one folder: ``IMG_1.json`` beside ``IMG_1.JPG.json``,
    and ``IMG_1.JPG(1).json`` (Takeout's name for ``IMG_1(1).JPG``) beside
    ``IMG_1(1).JPG.json``. Each pair would be named alike beside the photo; both are kept,
    with the photo kept under its name and with a suffixed one (``--layout flat``)."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    takeout, camera = source / "Takeout", source / "Camera"
    takeout.mkdir(parents=True)
    camera.mkdir()
    shutil.copy(corpus / "camera" / "Canon_40D.jpg", camera / "IMG_1.JPG")
    shutil.copy(corpus / "camera" / "Nikon_D70.jpg", takeout / "IMG_1.JPG")
    shutil.copy(corpus / "camera" / "Pentax_K10D.jpg", takeout / "IMG_1(1).JPG")
    sidecars = ["IMG_1.json", "IMG_1.JPG.json", "IMG_1.JPG(1).json", "IMG_1(1).JPG.json"]
    for name in sidecars:
        (takeout / name).write_text(
            json.dumps({"photoTakenTime": {"timestamp": "1262304000"}, "title": name})
        )
    before = tree_digest(source)

    _, planned = organize(source, dest / "plan", "--layout", "flat", "--dry-run")
    code, report = organize(source, dest, "--layout", "flat")

    assert code == 0, [line for line in report if line["status"] == "error"]
    rows = {line["source"]: line for line in report}
    photos = {rows[f"Takeout/{n}"]["companion_of"] for n in sidecars}
    assert photos == {"Takeout/IMG_1.JPG", "Takeout/IMG_1(1).JPG"}
    for name in sidecars:
        line = rows[f"Takeout/{name}"]
        assert line["status"] == "placed", line
        photo = rows[line["companion_of"]]
        assert os.path.dirname(line["dest"]) == os.path.dirname(photo["dest"])
        assert (dest / line["dest"]).read_bytes() == (takeout / name).read_bytes()
    assert sorted((p["source"], p["status"], p["dest"]) for p in planned) == sorted(
        (r["source"], r["status"], r["dest"]) for r in report
    )
    assert main(["verify", str(dest)]) == 0
    assert tree_digest(source) == before


def test_a_copy_of_a_placed_photo_is_its_duplicate_though_its_source_name_was_reused(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """An SD card imported twice: between the imports the first shot was renamed on the card
    and the camera, its counter reset, wrote a new photo under the old name. The renamed file
    is the photo DEST already holds; the other bytes now at its old source path prove
    nothing about that."""
    source, dest = tmp_path / "card", tmp_path / "dest"
    (source / "DCIM").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "DCIM" / "IMG_0001.JPG")
    shutil.copy2(corpus / "camera" / "Pentax_K10D.jpg", source / "DCIM" / "IMG_0002.JPG")
    assert organize(source, dest)[0] == 0
    os.rename(source / "DCIM" / "IMG_0001.JPG", source / "DCIM" / "best shot.JPG")
    shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", source / "DCIM" / "IMG_0001.JPG")

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    renamed = rows["DCIM/best shot.JPG"]
    assert renamed["status"] == "duplicate", renamed
    assert renamed["duplicate_of"] == "DCIM/IMG_0001.JPG"
    assert rows["DCIM/IMG_0001.JPG"]["status"] == "placed"
    photos = [p for p in tree_digest(dest) if not p.startswith(".imgorg")]
    assert len(photos) == 3, photos  # the two of the first import and the new shot


def test_a_sidecar_edited_after_its_photo_was_placed_is_not_reported_placed(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A Lightroom folder organized, then worked on: one XMP edited (its new bytes are not in
    DEST, and nothing may overwrite the old ones there: an error that says so), another only
    touched (the same bytes: nothing to do)."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "Shoot").mkdir(parents=True)
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        shutil.copy2(corpus / "camera" / name, source / "Shoot" / name)
    edited, touched = source / "Shoot" / "Nikon_D70.xmp", source / "Shoot" / "Canon_40D.jpg.xmp"
    edited.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/">rating 1</x:xmpmeta>\n')
    touched.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/">rating 3</x:xmpmeta>\n')
    code, first = organize(source, dest)
    assert code == 0
    placed = {line["source"]: line["dest"] for line in first}
    old = (dest / placed["Shoot/Nikon_D70.xmp"]).read_bytes()
    edited.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/">rating 5</x:xmpmeta>\n')
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))

    _, planned = organize(source, dest, "--dry-run")
    code, report = organize(source, dest)

    rows = {line["source"]: line for line in report}
    assert rows["Shoot/Nikon_D70.xmp"]["status"] == "error", rows["Shoot/Nikon_D70.xmp"]
    assert placed["Shoot/Nikon_D70.xmp"] in rows["Shoot/Nikon_D70.xmp"]["reason"]
    assert code == 1
    assert (dest / placed["Shoot/Nikon_D70.xmp"]).read_bytes() == old  # never overwritten
    assert rows["Shoot/Canon_40D.jpg.xmp"]["status"] == "placed"
    assert rows["Shoot/Canon_40D.jpg.xmp"]["dest"] == placed["Shoot/Canon_40D.jpg.xmp"]
    assert [(p["source"], p["status"]) for p in planned] == [
        (r["source"], r["status"]) for r in report
    ]
    assert main(["verify", str(dest)]) == 0


def test_sidecars_whose_names_are_another_unicode_form_of_the_photos_travel_with_it(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Photos copied from Windows (``é`` as one code point, NFC) beside sidecars written on a
    Mac (``e`` and a combining accent, NFD): the names read the same, so they are one family."""
    import unicodedata

    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "Été").mkdir(parents=True)
    photo = unicodedata.normalize("NFC", "Café.jpg")
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "Été" / photo)
    xmp, takeout = (unicodedata.normalize("NFD", n) for n in ("Café.jpg.xmp", "Café.json"))
    assert xmp[:4] != photo[:4]
    (source / "Été" / xmp).write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/">1</x:xmpmeta>\n')
    (source / "Été" / takeout).write_text('{"photoTakenTime": {"timestamp": "1262304000"}}')

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    kept = rows[f"Été/{photo}"]
    for name in (xmp, takeout):
        line = rows[f"Été/{name}"]
        assert (line["status"], line["companion_of"]) == ("placed", f"Été/{photo}"), line
        assert line["dest"].startswith(kept["dest"] + ".")  # beside it, under its spelling


def test_a_destination_path_beyond_path_max_is_an_error_the_dry_run_foresees(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A tree nested twenty folders of 200 bytes deep, a photo on every level (so tidy keeps
    every folder), organized into a DEST whose own path is 300 bytes longer than SOURCE's:
    the deepest photos' paths in DEST pass PATH_MAX. They are errors with the reason, and the
    dry run says so too; the rest are placed."""
    photos = sorted((corpus / "camera").glob("*.jpg"))
    source = tmp_path / "src"
    dest = tmp_path / ("D" * 200) / ("E" * 100)
    folder = source
    levels = 0
    while len(os.fsencode(str(folder))) + 201 + 40 < 4095:
        folder = folder / ("F" * 200)
        folder.mkdir(parents=True)
        shutil.copy2(photos[levels], folder / photos[levels].name)
        levels += 1

    _, planned = organize(source, dest / "plan", "--dry-run", "--min-size", "0")
    code, report = organize(source, dest, "--min-size", "0")

    assert code == 1
    errors = [line for line in report if line["status"] == "error"]
    assert errors and all("more than 4095" in line["reason"] for line in errors), errors
    assert len(errors) < levels and len(report) == levels
    assert sorted((p["source"], p["status"], p["dest"]) for p in planned) == sorted(
        (r["source"], r["status"], r["dest"]) for r in report
    )
    assert main(["verify", str(dest)]) == 0


def test_an_android_trashed_photo_with_an_empty_name_keeps_its_extension(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Android trashes ``x.jpg`` as ``.trashed-<seconds>-x.jpg``; a photo whose name part is
    empty (``.trashed-1700000000-.jpg``) is still a photo: placed under a visible name that
    keeps ``.jpg``, never as a bare ``jpg``."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    camera = source / "DCIM" / "Camera"
    camera.mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", camera / ".trashed-1700000000-.jpg")
    before = tree_digest(source)

    code, report = organize(source, dest)

    assert code == 0
    [line] = report
    assert line["status"] == "placed", line
    name = os.path.basename(line["dest"])
    assert not name.startswith(".") and os.path.splitext(name)[1] == ".jpg", line["dest"]
    assert (dest / line["dest"]).read_bytes() == (camera / ".trashed-1700000000-.jpg").read_bytes()
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(source) == before


@pytest.mark.parametrize("flags", [(), ("--rename", "{date:%Y%m%d}")], ids=["name", "rename"])
def test_a_photo_named_only_by_its_extension_is_taken_as_that_type(
    corpus: Path, tmp_path: Path, organize, flags: tuple[str, ...]
) -> None:
    """A file named just ``.jpg`` (or ``.JPG``: a photo saved without a name, or a name lost
    by a tool) is a JPEG like any other hidden file (README: placed under its visible name),
    never ignored as "no extension"; its placed name keeps the extension as it was spelt."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "lower").mkdir(parents=True)
    (source / "upper").mkdir()
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "lower" / ".jpg")
    shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", source / "upper" / ".JPG")

    code, report = organize(source, dest, *flags)

    assert code == 0
    rows = {line["source"]: line for line in report}
    for rel, ext in (("lower/.jpg", ".jpg"), ("upper/.JPG", ".JPG")):
        line = rows[rel]
        assert line["status"] == "placed", line
        name = os.path.basename(line["dest"])
        assert not name.startswith(".") and os.path.splitext(name)[1] == ext, line["dest"]
        assert (dest / line["dest"]).read_bytes() == (source / rel).read_bytes()
    assert main(["verify", str(dest)]) == 0


def test_takeout_supplemental_json_cut_to_one_or_no_letter_of_its_suffix_travels_with_its_photo(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Takeout cuts ``<photo name>.supplemental-metadata`` to 46 characters before adding
    ``.json``: a 44-character photo name leaves ``<name>.s.json``, a 45-character one
    ``<name>..json`` (and a numbered copy ``<name>.s(1).json``). Each is its photo's sidecar,
    never "a sidecar without its photo" left behind."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    album = source / "Takeout" / "Google Photos" / "Summer"
    album.mkdir(parents=True)
    photos = {
        "Screenshot_20190704-123456_Messenger_ab.jpg": "Canon_40D.jpg",  # 43 characters
        "Screenshot_20190704-123456_Messenger_abc.jpg": "Nikon_D70.jpg",  # 44
        "Screenshot_20190704-123456_Messenger_abcd.jpg": "Pentax_K10D.jpg",  # 45
        "Screenshot_20190704-123456_Messenger_abc(1).jpg": "Sony_HDR-HC3.jpg",
    }
    sidecars = {}
    for name, camera in photos.items():
        shutil.copy2(corpus / "camera" / camera, album / name)
        plain = name.replace("(1)", "")
        number = "(1)" if "(1)" in name else ""
        sidecar = (plain + ".supplemental-metadata")[:46] + number + ".json"
        (album / sidecar).write_text(json.dumps({"title": plain, "photoTakenTime": {}}))
        sidecars[sidecar] = name
    assert {"Screenshot_20190704-123456_Messenger_abc.jpg.s.json"} <= set(sidecars)
    assert {"Screenshot_20190704-123456_Messenger_abcd.jpg..json"} <= set(sidecars)

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    prefix = "Takeout/Google Photos/Summer/"
    for sidecar, photo in sidecars.items():
        line = rows[prefix + sidecar]
        assert (line["status"], line["companion_of"]) == ("placed", prefix + photo), line
        assert os.path.dirname(line["dest"]) == os.path.dirname(rows[prefix + photo]["dest"])


def _recycle_bin_record(original: str, size: int) -> bytes:
    """A Windows 10 ``$I`` file: what the Recycle Bin keeps about the ``$R`` file it names."""
    name = (original + "\0").encode("utf-16-le")
    header = (2).to_bytes(8, "little") + size.to_bytes(8, "little") + bytes(8)
    return header + (len(name) // 2).to_bytes(4, "little") + name


def test_photos_in_a_windows_recycle_bin_or_a_mac_volume_trash_are_kept_like_any_trash(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """An old Windows disk and a Mac's USB stick: ``$RECYCLE.BIN/<SID>/$R<id>.jpg`` and
    ``.Trashes/501/`` hold deleted photos, as ``.Trash-1000/`` does on Linux. The README's
    keeper rule ranks such copies below a visible one; the only copy of a photo is placed
    (never left behind as "system folder"), and the ``$I`` record beside it, which has the
    photo's extension but is no photo, is ignored with its reason (never "corrupt")."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    bin_ = source / "$RECYCLE.BIN" / "S-1-5-21-3623811015-3361044348-30300820-1013"
    bin_.mkdir(parents=True)
    (source / "Pictures").mkdir()
    (source / ".Trashes" / "501").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", bin_ / "$RABC123.jpg")
    (bin_ / "$IABC123.jpg").write_bytes(_recycle_bin_record(r"C:\Users\me\beach.jpg", 7958))
    shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", bin_ / "$RDEF456.jpg")
    shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", source / "Pictures" / "IMG_7.jpg")
    (bin_ / "desktop.ini").write_text("[.ShellClassInfo]\n")
    shutil.copy2(corpus / "camera" / "Pentax_K10D.jpg", source / ".Trashes" / "501" / "x.jpg")
    before = tree_digest(source)

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    prefix = os.path.relpath(bin_, source) + "/"
    assert rows[prefix + "$RABC123.jpg"]["status"] == "placed", rows[prefix + "$RABC123.jpg"]
    assert rows[".Trashes/501/x.jpg"]["status"] == "placed", rows[".Trashes/501/x.jpg"]
    twin = rows[prefix + "$RDEF456.jpg"]
    assert (twin["status"], twin["duplicate_of"]) == ("duplicate", "Pictures/IMG_7.jpg"), twin
    assert "not hidden or in a trash folder" in twin["reason"]
    record = rows[prefix + "$IABC123.jpg"]
    assert record["status"] == "ignored" and "Recycle Bin" in record["reason"], record
    assert not [line for line in report if line["status"] in ("corrupt", "error")]
    assert main(["undo", str(dest)]) == 0
    assert tree_digest(source) == before


def test_resource_forks_in_an_appledouble_folder_are_ignored_not_corrupt(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A share served by Netatalk keeps each file's Mac resource fork in ``.AppleDouble/``
    under the file's own name: ``.AppleDouble/IMG_6.jpg`` is no photo but what ``._IMG_6.jpg``
    is elsewhere (README: ignored), never a corrupt photo set aside in DEST."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    forks = source / "Pictures" / ".AppleDouble"
    forks.mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "Pictures" / "IMG_6.jpg")
    fork = bytes.fromhex("00051607 00020000") + bytes(16) + (2).to_bytes(2, "big") + bytes(600)
    (forks / "IMG_6.jpg").write_bytes(fork)
    (forks / ".Parent").write_bytes(fork)

    code, report = organize(source, dest, "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    assert rows["Pictures/IMG_6.jpg"]["status"] == "placed"
    for rel in ("Pictures/.AppleDouble/IMG_6.jpg", "Pictures/.AppleDouble/.Parent"):
        assert rows[rel]["status"] == "ignored", rows[rel]
    assert not (dest / "Corrupted").exists()


def test_names_that_differ_only_in_case_or_unicode_form_never_share_a_dest_folder(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Two camera dumps flattened into one folder (``--layout flat``): ``IMG_0001.JPG`` and
    ``img_0001.jpg``, ``Café.jpg`` written on Windows (NFC) and on a Mac (NFD) are different
    photos. Side by side under names a person reads as one (and that one name on a Mac, on
    exFAT or on a Windows share, where copying the archive would then lose one), they are
    not: the second takes a suffix, as a taken name does."""
    import unicodedata

    source, dest = tmp_path / "src", tmp_path / "dest"
    pairs = [
        ("canon/IMG_0001.JPG", "nikon/img_0001.jpg"),
        (
            "win/" + unicodedata.normalize("NFC", "Café.jpg"),
            "mac/" + unicodedata.normalize("NFD", "Café.jpg"),
        ),
    ]
    photos = ["noexif.jpg", "hopper.jpg", "elodie_no-exif.jpg", "noexif.jpg"]
    for rel, photo in zip([r for pair in pairs for r in pair], photos, strict=True):
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / "no_exif" / photo, source / rel)
        if rel.startswith("mac/"):
            with open(source / rel, "ab") as handle:
                handle.write(b"\0")  # the same picture re-saved: other bytes

    code, report = organize(source, dest, "--layout", "flat", "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    for pair in pairs:
        named = [rows[rel]["dest"] for rel in pair]
        assert all(rows[rel]["status"] == "placed" for rel in pair), [rows[r] for r in pair]
        folded = {unicodedata.normalize("NFC", name).casefold() for name in named}
        assert len(folded) == 2, named
    assert rows["canon/IMG_0001.JPG"]["dest"] == "NoDate/IMG_0001.JPG"  # in path order
    assert rows["nikon/img_0001.jpg"]["dest"] == "NoDate/img_0001_1.jpg"
    assert main(["verify", str(dest)]) == 0


def test_photos_added_to_an_album_after_a_run_join_its_earlier_photos(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A first run takes ``Trip/Day1/a.jpg`` (``Trip/`` holds nothing else, so tidy places it
    at ``2008/Day1/``). The user then adds ``Trip/Day1/c.jpg`` and ``Trip/b.jpg`` and runs
    again. ``c.jpg`` belongs beside ``a.jpg``, as README's tidy promises for the files of one
    source folder, not in a second ``2008/Trip/Day1/`` of the same year."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "Trip" / "Day1").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "Trip" / "Day1" / "a.jpg")
    code, first = organize(source, dest)
    assert code == 0 and first[0]["dest"] == "2008/Day1/a.jpg"
    shutil.copy2(corpus / "camera" / "Pentax_K10D.jpg", source / "Trip" / "Day1" / "c.jpg")
    shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", source / "Trip" / "b.jpg")

    _, planned = organize(source, dest, "--dry-run")
    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line["dest"] for line in report}
    assert rows == {
        "Trip/Day1/a.jpg": "2008/Day1/a.jpg",
        "Trip/Day1/c.jpg": "2008/Day1/c.jpg",
        "Trip/b.jpg": "2008/Trip/b.jpg",
    }
    assert {line["source"]: line["dest"] for line in planned} == rows
    assert main(["undo", str(dest)]) == 0
    assert not (dest / "2008" / "Day1" / "c.jpg").exists()
    assert (dest / "2008" / "Day1" / "a.jpg").exists()


def test_a_folder_keeps_its_earlier_place_only_where_no_other_folder_takes_it() -> None:
    """The rule behind the test above, on paths: the place an earlier run gave ``Trip/Day1``
    holds on, with the folders below it, unless a folder of its own name now stands there."""
    from engine.stages.tidy import folder_map

    rels = ["Trip/Day1/a.jpg", "Trip/b.jpg", "Trip/Day1/Sub/c.jpg"]
    assert folder_map(rels, {"Trip/Day1": "Day1"}) == {
        "Trip/Day1": "Day1",
        "Trip/Day1/Sub": "Day1/Sub",
    }
    assert folder_map([*rels, "Day1/z.jpg"], {"Trip/Day1": "Day1"}) == {}
    assert folder_map(rels, {"Trip/Day1": "Trip/Day1"}) == {}


@pytest.mark.parametrize("trash", ["Trash", "Bin", "Recently Deleted"])
def test_a_takeout_photo_also_in_its_trash_album_is_kept_from_the_year_folder(
    corpus: Path, tmp_path: Path, organize, trash: str
) -> None:
    """Google Photos exports the photos in its trash as an album (``Trash``, in British English
    ``Bin``; an iPhone's ``Recently Deleted``). A photo both there and in ``Photos from 2019``
    is kept from the year folder: a trash folder ranks below any visible copy (README keeper
    rule 1, as ``Papierkorb`` and ``Corbeille`` do), never above it as "a named album"."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    google = source / "Takeout" / "Google Photos"
    for album in ("Photos from 2019", trash):
        (google / album).mkdir(parents=True)
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", google / album / "IMG_1.jpg")
        (google / album / "IMG_1.jpg.json").write_text('{"title": "IMG_1.jpg"}')

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    kept, twin = (rows[f"Takeout/Google Photos/{a}/IMG_1.jpg"] for a in ("Photos from 2019", trash))
    assert kept["status"] == "placed", kept
    assert twin["status"] == "duplicate", twin
    assert "not hidden or in a trash folder" in twin["reason"], twin


def _deep_tree(top: Path, depth: int) -> str:
    """``top/a/a/.../a``, ``depth`` folders made one by one (``os.makedirs`` recurses)."""
    deep = str(top)
    for _ in range(depth):
        deep = os.path.join(deep, "a")
        os.makedirs(deep)
    return deep


def _remove_deep(root: Path) -> None:
    """Remove a tree deeper than ``shutil.rmtree`` (and pytest's clean-up) can recurse."""
    stack = [str(root)]
    while stack:
        folder = stack[-1]
        with os.scandir(folder) as listing:
            entries = list(listing)
        subfolders = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        if subfolders:
            stack.extend(subfolders)
        else:
            os.rmdir(stack.pop())


def test_a_tree_fifteen_hundred_folders_deep_is_organized(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A backup script gone wrong nests ``a/a/a/...`` 1,500 deep (a 3,000-byte path, within
    PATH_MAX): the run places the photo at the bottom and stops with no traceback (tidy used
    to recurse once per folder and passed Python's recursion limit)."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    try:
        deep = _deep_tree(source, 1500)
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", os.path.join(deep, "x.jpg"))
        shutil.copy2(corpus / "camera" / "Nikon_D70.jpg", source / "a" / "y.jpg")

        code, report = organize(source, dest)

        assert code == 0
        rows = {line["source"]: line for line in report}
        placed = rows[os.path.relpath(os.path.join(deep, "x.jpg"), source)]
        assert placed["status"] == "placed", placed
        assert placed["dest"] == "2008/a/a/x.jpg", placed["dest"]
        assert main(["verify", str(dest)]) == 0
    finally:
        _remove_deep(tmp_path)


def _deep_digest(root: Path) -> dict[str, tuple[bytes, int]]:
    """``tree_digest`` for trees deeper than ``os.walk`` recurses (Python 3.11)."""
    out, stack = {}, [str(root)]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    with open(entry.path, "rb") as handle:
                        data = handle.read()
                    rel = os.path.relpath(entry.path, root)
                    out[rel] = (data, entry.stat(follow_symlinks=False).st_mtime_ns)
    return out


def test_a_copy_and_a_damaged_photo_1500_folders_deep_are_moved_aside_and_back(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Move mode sets a duplicate and a damaged file aside under their own paths
    (``Duplicates/a/a/.../x.jpg``, ``Corrupted/...``): 1,500 folders to make, which
    ``os.makedirs`` does by recursion and the placer died of it (exit 2). ``undo`` puts them
    back."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    try:
        deep = _deep_tree(source, 1500)
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", os.path.join(deep, "x.jpg"))
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "x.jpg")
        with open(os.path.join(deep, "broken.jpg"), "wb") as handle:
            handle.write((corpus / "camera" / "Nikon_D70.jpg").read_bytes()[:5000])
        before = _deep_digest(source)

        code, report = organize(source, dest, "--mode", "move", "--min-size", "0")

        assert code == 0, [line for line in report if line["status"] == "error"]
        statuses = sorted(line["status"] for line in report)
        assert statuses == ["corrupt", "duplicate", "placed"], statuses
        assert main(["verify", str(dest)]) == 0
        assert main(["undo", str(dest)]) == 0
        assert _deep_digest(source) == before
    finally:
        _remove_deep(tmp_path)


def test_an_archive_imgorg_made_organized_again_leaves_its_engine_folder_alone(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """An archive imgorg made in move mode, organized again into a new one (another layout,
    a bigger disk): its ``.imgorg/`` holds the journal, the report's thumbnails and the
    originals of the photos the move turned upright, which are not photos of the collection
    (each is there once already, turned). They are ignored with the reason, not placed as a
    second, unturned copy of every such photo in ``NoDate/imgorg/``."""
    source, old, new = tmp_path / "src", tmp_path / "old", tmp_path / "new"
    source.mkdir()
    for name in ("Landscape_5.jpg", "Portrait_6.jpg"):
        shutil.copy2(corpus / "orientation" / name, source / name)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "Canon_40D.jpg")
    code, _ = organize(source, old, "--mode", "move")
    assert code == 0 and (old / ".imgorg" / "originals").is_dir()

    code, report = organize(old, new, "--min-size", "0")

    assert code == 0
    placed = [line for line in report if line["status"] == "placed"]
    assert len(placed) == 3, [line["source"] for line in placed]
    engine = [line for line in report if line["source"].startswith(".imgorg/")]
    assert engine and all(line["status"] == "ignored" for line in engine), engine
    assert all(".imgorg" in line["reason"] for line in engine)


def test_unicode_forms_of_one_name_take_their_suffix_in_source_path_order(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """README: a taken name's suffix is handed out in source-path order, whatever order the
    workers finish in. ``mac/Café.jpg`` (NFD) sorts before ``win/Café.jpg`` (NFC), so it keeps
    the name; the larger ``win/`` photo, analysed first, must still wait for it."""
    import unicodedata

    source, dest = tmp_path / "src", tmp_path / "dest"
    mac = source / "mac" / unicodedata.normalize("NFD", "Café.jpg")
    win = source / "win" / unicodedata.normalize("NFC", "Café.jpg")
    for path, photo in ((mac, "hopper.jpg"), (win, "noexif.jpg")):
        path.parent.mkdir(parents=True)
        shutil.copy2(corpus / "no_exif" / photo, path)
    assert mac.stat().st_size < win.stat().st_size

    code, report = organize(source, dest, "--layout", "flat", "--min-size", "0", "--jobs", "1")

    assert code == 0
    rows = {line["source"]: line["dest"] for line in report}
    assert rows[os.path.relpath(mac, source)] == "NoDate/" + mac.name
    assert rows[os.path.relpath(win, source)] == "NoDate/" + unicodedata.normalize(
        "NFC", "Café_1.jpg"
    )


def test_a_finder_or_dropbox_copy_does_not_win_over_its_original_by_path_order(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """Finder's "Keep Both" and iCloud name a copy ``IMG_0001 2.jpg``; Dropbox names one
    ``IMG_0001 (Anna's conflicted copy 2019-07-01).jpg``. Both sort before ``IMG_0001.jpg``
    (a space before the dot), so without reading them as copies' names the copy was kept
    "because its path sorts first"."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "Holiday").mkdir(parents=True)
    copies = ["IMG_0001 2.jpg", "IMG_0001 (Anna's conflicted copy 2019-07-01).jpg"]
    for name in ["IMG_0001.jpg", *copies]:
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "Holiday" / name)

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    assert rows["Holiday/IMG_0001.jpg"]["status"] == "placed"
    for name in copies:
        line = rows[f"Holiday/{name}"]
        assert line["status"] == "duplicate", line
        assert line["reason"].endswith("its name is not a copy's"), line["reason"]


def test_a_photos_library_gives_its_originals_and_edits_not_its_previews(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A Mac's Pictures folder holds ``Photos Library.photoslibrary``: each photo once in
    ``originals/``, an edit in ``resources/renders/``, and the previews Photos makes of every
    photo in ``resources/derivatives/`` (JPEGs of other bytes, with the photo's date): not a
    second copy of the collection. They are ignored with the reason, the rest placed."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    library = source / "Pictures" / "Photos Library.photoslibrary"
    uuid = "5F0C3B7E-2A41-4C8E-9D0B-1B7C2E3A4F56"
    files = {
        f"originals/5/{uuid}.jpeg": "Canon_40D.jpg",
        f"resources/renders/5/{uuid}_1_201_a.jpeg": "Nikon_D70.jpg",
        f"resources/derivatives/5/{uuid}_1_105_c.jpeg": "Pentax_K10D.jpg",
        f"resources/derivatives/masters/5/{uuid}_4_5005_c.jpeg": "Panasonic_DMC-FZ30.jpg",
    }
    for rel, photo in files.items():
        (library / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / "camera" / photo, library / rel)

    for top in (source, library):  # the Pictures folder, or the library itself
        code, report = organize(top, dest / top.name)

        assert code == 0
        rows = {os.path.relpath(top / line["source"], library): line for line in report}
        for rel in files:
            status = "ignored" if "/derivatives/" in rel else "placed"
            assert rows[rel]["status"] == status, rows[rel]
        assert "derivatives" in rows[f"resources/derivatives/5/{uuid}_1_105_c.jpeg"]["reason"]


def test_lightroom_smart_previews_are_not_taken_for_a_second_copy_of_every_raw(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A Lightroom user's Pictures folder: the catalog keeps a smaller DNG of every photo in
    ``<catalog> Smart Previews.lrdata/`` (and JPEG previews in ``<catalog> Previews.lrdata``).
    They are the catalog's working copies, ignored with the reason; the photos are placed."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    lightroom = source / "Lightroom"
    smart = lightroom / "Lightroom Catalog Smart Previews.lrdata" / "4" / "4A1B"
    smart.mkdir(parents=True)
    (lightroom / "Shoot").mkdir()
    shutil.copy2(corpus / "formats" / "exiftool_ExifTool.tif", lightroom / "Shoot" / "IMG_1.dng")
    preview = smart / "4A1B2C3D-1111-2222-3333-444455556666.dng"
    shutil.copy2(corpus / "formats" / "piexif_01.tif", preview)

    code, report = organize(source, dest, "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    assert rows["Lightroom/Shoot/IMG_1.dng"]["status"] == "placed"
    line = rows[os.path.relpath(preview, source)]
    assert line["status"] == "ignored" and "Lightroom" in line["reason"], line


def test_a_qnap_thumbnail_folder_is_ignored_like_synologys(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """A QNAP share keeps the thumbnails of each folder's photos in ``.@__thumb/`` (Synology
    in ``@eaDir/``, README: ignored): with a dated EXIF copied in, they are no photos either."""
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "Photos" / ".@__thumb").mkdir(parents=True)
    shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "Photos" / "IMG_1.jpg")
    shutil.copy2(
        corpus / "camera" / "Nikon_D70.jpg", source / "Photos" / ".@__thumb" / "s100IMG_1.jpg"
    )

    code, report = organize(source, dest, "--min-size", "0")

    assert code == 0
    rows = {line["source"]: line for line in report}
    assert rows["Photos/IMG_1.jpg"]["status"] == "placed"
    assert rows["Photos/.@__thumb/s100IMG_1.jpg"]["status"] == "ignored"


def test_a_name_dest_already_holds_in_another_case_or_unicode_form_takes_a_suffix(
    corpus: Path, tmp_path: Path, organize
) -> None:
    """DEST already holds photos no run of imgorg put there (copied in by hand from a Mac):
    ``2008/Trip/IMG_0001.JPG``, and ``Café.jpg`` in NFD in ``2008/trip/``. SOURCE's
    ``Trip/img_0001.jpg`` and ``Trip/Café.jpg`` (NFC), other photos, are one name with them on
    a Mac, exFAT or a Windows share: they take a suffix, as beside a photo an earlier run
    placed (they were placed beside them under the other spelling)."""
    import unicodedata

    source, dest = tmp_path / "src", tmp_path / "dest"
    nfc, nfd = (unicodedata.normalize(form, "Café.jpg") for form in ("NFC", "NFD"))
    theirs = [dest / "2008" / "Trip" / "IMG_0001.JPG", dest / "2008" / "trip" / nfd]
    for path in theirs:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", path)
        with open(path, "ab") as handle:
            handle.write(b"\0")  # the same picture re-saved: other bytes
    (source / "Trip").mkdir(parents=True)
    for name in ("img_0001.jpg", nfc):
        shutil.copy2(corpus / "camera" / "Canon_40D.jpg", source / "Trip" / name)
        with open(source / "Trip" / name, "ab") as handle:
            handle.write(name.encode())

    code, report = organize(source, dest)

    assert code == 0
    rows = {line["source"]: line for line in report}
    assert rows["Trip/img_0001.jpg"]["dest"] == "2008/Trip/img_0001_1.jpg"
    assert rows[f"Trip/{nfc}"]["dest"] == f"2008/Trip/{nfc[:-4]}_1.jpg"
    held = [p for p in dest.rglob("*") if p.is_file() and ".imgorg" not in p.parts]
    folded = {unicodedata.normalize("NFC", str(p.relative_to(dest))).casefold() for p in held}
    assert len(folded) == len(held) == 4, held
    assert main(["verify", str(dest)]) == 0
