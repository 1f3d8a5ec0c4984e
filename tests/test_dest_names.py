"""Names DEST's filesystem refuses (an exFAT disk: ``: ? < > | \\ "``, control characters) are
adapted, never an error every run: real camera photos from a Linux tree named so, organized
onto a FUSE exFAT disk, land under readable names with a note saying why, verify, undo and a
second run hold; a DEST that takes every name keeps them as they are."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from test_hunt11 import exfat  # noqa: F401  (a fixture)

from conftest import ENV, imgorg, needs_strace, photos_in, run_killed_at, tree_digest
from engine.policy.naming import DestNames
from engine.store.dest_names import WINDOWS_REFUSES, probe

CANON = "camera/Canon_40D.jpg"  # 2008
NIKON = "camera/Nikon_D70.jpg"  # 2008
PENTAX = "camera/Pentax_K10D.jpg"  # 2008
PANASONIC = "camera/Panasonic_DMC-FZ30.jpg"  # 2008
COOLPIX = "camera/Nikon_COOLPIX_P1.jpg"  # 2008
KODAK = "camera/Kodak_CX7530.jpg"  # 2005
OLYMPUS = "camera/Olympus_C8080WZ.jpg"  # 2006
SONY = "camera/Sony_HDR-HC3.jpg"  # 2007
FUJI = "camera/Fujifilm_FinePix6900ZOOM.jpg"  # 2001
SIDECAR = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>\n'

# source name -> (corpus file, where it lands on a disk that refuses Windows' characters)
LINUX_TREE = {
    "12:30.jpg": (CANON, "2008/12_30.jpg"),
    "What?.jpg": (NIKON, "2008/What_.jpg"),
    "a<b>.jpg": (PENTAX, "2008/a_b_.jpg"),
    "x|y.jpg": (PANASONIC, "2008/x_y.jpg"),
    "back\\slash.jpg": (KODAK, "2005/back_slash.jpg"),
    "tab\tin name.jpg": (OLYMPUS, "2006/tab_in name.jpg"),
    "CON.jpg": (COOLPIX, "2008/CON_.jpg"),  # a Windows device name
    "Trip: Paris./IMG_1.jpg": (SONY, "2007/Trip_ Paris/IMG_1.jpg"),  # a trailing dot
    "Beach /IMG_2.jpg": (FUJI, "2001/Beach/IMG_2.jpg"),  # a trailing space
}
# set aside or undated: their folders' names are adapted as well
ASIDE = {
    "cut: short.jpg": ("corrupt/truncated_jpeg.jpg", "Corrupted/cut_ short.jpg", "corrupt"),
    "scan?.jpg": ("no_exif/hopper.jpg", "NoDate/scan_.jpg", "placed"),
}


def linux_tree(corpus: Path, root: Path) -> Path:
    """A tree a Linux machine holds: camera photos under names a Windows disk refuses, and
    the XMP sidecar of one of them."""
    for name, (original, *_) in [*LINUX_TREE.items(), *ASIDE.items()]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / original, root / name)
    (root / "12:30.jpg.xmp").write_text(SIDECAR)
    return root


def by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["source"]: row for row in rows}


def test_names_an_exfat_dest_refuses_are_adapted_noted_verified_undone_and_placed_once(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """Each photo lands under its name with every refused character as ``_`` (no trailing
    dot or space, no device name), its sidecar beside it under the photo's new name, each
    row noting it was renamed and why; verify is clean, a second run places nothing more, and
    undo takes out exactly what was placed."""
    source = linux_tree(corpus, tmp_path / "linux-tree")
    before = tree_digest(source)
    dest = exfat / "Archive"

    code, rows = organize(source, dest, "--min-size", "0", "-j", "2")

    assert code == 0, rows
    row = by_source(rows)
    for name, (original, placed) in LINUX_TREE.items():
        assert row[name]["status"] == "placed", row[name]
        assert row[name]["dest"] == placed
        assert (dest / placed).read_bytes() == (corpus / original).read_bytes()
        assert row[name]["note"].startswith("renamed for DEST's filesystem (")
    for name, (original, placed, status) in ASIDE.items():
        assert (row[name]["status"], row[name]["dest"]) == (status, placed)
        assert (dest / placed).read_bytes() == (corpus / original).read_bytes()
    assert row["12:30.jpg"]["note"] == "renamed for DEST's filesystem (exFAT refuses ':')"
    assert "exFAT refuses '<' '>'" in row["a<b>.jpg"]["note"]
    assert "the device name 'CON'" in row["CON.jpg"]["note"]
    assert "a name ending in '.'" in row["Trip: Paris./IMG_1.jpg"]["note"]
    assert row["12:30.jpg.xmp"]["dest"] == "2008/12_30.jpg.xmp"
    page = (dest / ".imgorg/report.html").read_text()
    assert "12_30.jpg" in page and "exFAT refuses" in page  # "For information"
    assert (dest / "2008/12_30.jpg.xmp").read_text() == SIDECAR
    assert imgorg("verify", str(dest))[0] == 0
    placed = photos_in(dest)

    code, rows = organize(source, dest, "--min-size", "0")
    assert code == 0
    assert photos_in(dest) == placed  # nothing placed twice, under any name
    assert all(r["dest"] in placed for r in rows if r["status"] == "placed")

    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(dest) == {}
    assert tree_digest(source) == before


def test_two_names_an_exfat_dest_makes_one_take_the_usual_suffix(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """``12:30.jpg`` and ``12_30.jpg`` of one year are one name on an exFAT disk: the file
    whose own name it is keeps it, the one the disk renamed takes a suffix, never over the
    first; the dry run (which writes nothing to DEST, so it tells the disk by its type)
    foretells the same names."""
    source = tmp_path / "linux-tree"
    source.mkdir()
    shutil.copy2(corpus / CANON, source / "12:30.jpg")
    shutil.copy2(corpus / NIKON, source / "12_30.jpg")
    dest = exfat / "Archive"
    dest.mkdir()

    code, planned = organize(source, dest, "--dry-run")
    assert code == 0
    assert photos_in(dest) == {}
    code, rows = organize(source, dest, "-j", "2")

    assert code == 0, rows
    expected = {"12:30.jpg": "2008/12_30_1.jpg", "12_30.jpg": "2008/12_30.jpg"}
    assert {r["source"]: r["dest"] for r in rows} == expected
    assert {r["source"]: r["dest"] for r in planned} == expected
    assert (dest / "2008/12_30_1.jpg").read_bytes() == (corpus / CANON).read_bytes()
    assert (dest / "2008/12_30.jpg").read_bytes() == (corpus / NIKON).read_bytes()
    assert by_source(rows)["12_30.jpg"].get("note") is None
    assert imgorg("verify", str(dest))[0] == 0


def test_a_template_folder_an_exfat_dest_refuses_is_adapted_not_left_empty(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """A ``--layout`` template's ``{source_folder}`` and a ``--rename`` template's time with
    colons give names an exFAT disk refuses: the photos are placed under adapted names, not
    errors that leave an empty year folder behind."""
    source = tmp_path / "linux-tree"
    (source / "Paris: day 1").mkdir(parents=True)
    shutil.copy2(corpus / CANON, source / "Paris: day 1/IMG_1.jpg")
    shutil.copy2(corpus / KODAK, source / "Paris: day 1/IMG_2.jpg")
    dest = exfat / "Archive"
    flags = ("--layout", "{year}/{source_folder}", "--rename", "{date:%Y-%m-%d %H:%M}", "-j", "1")

    code, rows = organize(source, dest, *flags)

    assert code == 0, rows
    assert {r["source"]: r["dest"] for r in rows} == {
        "Paris: day 1/IMG_1.jpg": "2008/Paris_ day 1/2008-05-30 15_56.jpg",
        "Paris: day 1/IMG_2.jpg": "2005/Paris_ day 1/2005-08-13 09_47.jpg",
    }
    assert all("exFAT refuses ':'" in r["note"] for r in rows)
    assert sorted(photos_in(dest)) == [
        "2005/Paris_ day 1/2005-08-13 09_47.jpg",
        "2008/Paris_ day 1/2008-05-30 15_56.jpg",
    ]
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert sorted(p.name for p in dest.iterdir()) == [".imgorg"]


def test_a_dest_that_takes_every_name_keeps_them(
    corpus: Path, tmp_path: Path, organize: Any
) -> None:
    """On a Linux filesystem nothing is refused: the names stay as SOURCE has them, no note."""
    source = linux_tree(corpus, tmp_path / "linux-tree")
    dest = tmp_path / "dest"

    code, rows = organize(source, dest, "--min-size", "0", "-j", "1")

    assert code == 0, rows
    row = by_source(rows)
    for name in ("12:30.jpg", "What?.jpg", "a<b>.jpg", "back\\slash.jpg", "CON.jpg"):
        assert row[name]["dest"].endswith("/" + name)
        assert row[name].get("note") is None
    assert row["Trip: Paris./IMG_1.jpg"]["dest"] == "2007/Trip: Paris./IMG_1.jpg"


def test_a_move_onto_an_exfat_dest_adapts_duplicates_and_sidecars_that_follow(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """Move mode: a duplicate goes to ``Duplicates/`` under its adapted name; a sidecar that
    appears in SOURCE after its photo was moved away follows it under the photo's adapted
    name; undoing both runs puts SOURCE back as it was, names and all."""
    source = tmp_path / "linux-tree"
    (source / "copies?").mkdir(parents=True)
    shutil.copy2(corpus / CANON, source / "12:30.jpg")
    shutil.copy2(corpus / CANON, source / "copies?/12:30 (1).jpg")
    before = tree_digest(source)
    dest = exfat / "Archive"

    code, rows = organize(source, dest, "--mode", "move", "-j", "1")

    assert code == 0, rows
    row = by_source(rows)
    assert row["12:30.jpg"]["dest"] == "2008/12_30.jpg"
    assert row["copies?/12:30 (1).jpg"]["status"] == "duplicate"
    assert row["copies?/12:30 (1).jpg"]["dest"] == "Duplicates/copies_/12_30 (1).jpg"
    assert "exFAT refuses ':' '?'" in row["copies?/12:30 (1).jpg"]["note"]
    assert not (source / "12:30.jpg").exists()

    (source / "12:30.jpg.xmp").write_text(SIDECAR)
    code, rows = organize(source, dest, "--mode", "move", "-j", "1")
    assert code == 0, rows
    assert by_source(rows)["12:30.jpg.xmp"]["dest"] == "2008/12_30.jpg.xmp"
    assert (dest / "2008/12_30.jpg.xmp").read_text() == SIDECAR
    assert imgorg("verify", str(dest))[0] == 0

    assert imgorg("undo", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(dest) == {}
    assert {rel for rel in tree_digest(source)} == {*before, "12:30.jpg.xmp"}
    assert {rel: d for rel, d in tree_digest(source).items() if rel in before} == before


@pytest.mark.parametrize(
    ("path", "adapted"),
    [
        ("2019/12:30.jpg", "2019/12_30.jpg"),
        ('2019/"quoted" *star*.jpg', "2019/_quoted_ _star_.jpg"),
        ("2019/Holiday. /IMG_1.jpg", "2019/Holiday/IMG_1.jpg"),
        ("2019/.../x.jpg", "2019/_/x.jpg"),
        ("2019/nul", "2019/nul_"),
        ("2019/com1.tar.gz", "2019/com1_.tar.gz"),
        ("2019/LPT9 .jpg", "2019/LPT9_ .jpg"),
        ("2019/console.jpg", "2019/console.jpg"),
        ("2019/COM10.jpg", "2019/COM10.jpg"),
    ],
)
def test_a_name_as_a_disk_windows_reads_takes_it(path: str, adapted: str) -> None:
    names = DestNames("exFAT", frozenset(WINDOWS_REFUSES), windows=True)
    assert names.adapted(path) == adapted
    assert (names.why(path) is None) == (path == adapted)


def test_photos_added_to_an_album_with_an_adapted_name_join_its_earlier_photos(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """``Trip/Day: 1/a.jpg`` is placed at ``2008/Day_ 1/`` (tidy lifts the lone folder, the
    disk refuses its ':'). Photos added to ``Day: 1`` and to ``Trip/`` later join ``a.jpg``
    there, as the folder's own name would, not a second ``2008/Trip/Day_ 1/``."""
    source = tmp_path / "linux-tree"
    (source / "Trip/Day: 1").mkdir(parents=True)
    shutil.copy2(corpus / CANON, source / "Trip/Day: 1/a.jpg")
    dest = exfat / "Archive"
    code, first = organize(source, dest)
    assert code == 0 and first[0]["dest"] == "2008/Day_ 1/a.jpg"
    shutil.copy2(corpus / PENTAX, source / "Trip/Day: 1/c.jpg")
    shutil.copy2(corpus / NIKON, source / "Trip/b.jpg")

    _, planned = organize(source, dest, "--dry-run")
    code, rows = organize(source, dest)

    assert code == 0, rows
    placed = {row["source"]: row["dest"] for row in rows}
    assert placed == {
        "Trip/Day: 1/a.jpg": "2008/Day_ 1/a.jpg",
        "Trip/Day: 1/c.jpg": "2008/Day_ 1/c.jpg",
        "Trip/b.jpg": "2008/Trip/b.jpg",
    }
    assert {row["source"]: row["dest"] for row in planned} == placed


@needs_strace
@pytest.mark.parametrize(("syscall", "k"), [("renameat2", 3), ("syncfs", 2)])
def test_a_run_killed_while_placing_adapted_names_resumes_placing_each_once(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    syscall: str,
    k: int,
) -> None:
    """Killed while renaming the copies into their adapted names (or at the sync after):
    the resumed run gives each photo the same adapted name, so none is placed twice (no
    ``_1`` copy of one already there), and verify is clean."""
    source = linux_tree(corpus, tmp_path / "linux-tree")
    dest = exfat / "Archive"
    argv = ["organize", str(source), str(dest), "--min-size", "0", "-j", "1", "--quiet"]
    run_killed_at(syscall, k, [sys.executable, "-m", "engine", *argv], ENV)
    expected = [p for _, p in LINUX_TREE.values()] + [p for _, p, _ in ASIDE.values()]
    expected = sorted([*expected, "2008/12_30.jpg.xmp"])
    placed_before = photos_in(dest)
    assert placed_before and set(placed_before) <= set(expected)  # killed while placing

    assert imgorg(*argv)[0] == 0

    assert sorted(photos_in(dest)) == expected
    assert imgorg("verify", str(dest))[0] == 0


def test_a_probe_that_cannot_create_even_a_plain_name_adapts_nothing(tmp_path: Path) -> None:
    """A folder that is not there (or refuses every file) tells nothing of what the disk
    refuses: names are left as they are, not all adapted as if every character were refused."""
    assert probe(str(tmp_path / "not-there"), str(tmp_path)) is None
    assert probe(str(tmp_path), str(tmp_path)) is None
    assert list(tmp_path.iterdir()) == []


def test_two_sidecars_an_exfat_dest_makes_one_name_both_go_beside_their_photo(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """``IMG_1.xmp``, ``IMG_1.xmp `` (a copy made on Linux keeps the trailing space, which the
    disk drops) and ``IMG_1.XMP``, three sidecars of ``IMG_1.jpg``, are one name on an exFAT
    disk: the first (by name) the disk does not rename keeps it, the others are named after
    their photo beside it, each row saying why, as the dry run foretells; none is an
    error (before, all three wanted the name and the first written took it). Verify, a second
    run and undo hold."""
    source = tmp_path / "linux-tree"
    source.mkdir()
    shutil.copy2(corpus / CANON, source / "IMG_1.jpg")
    sidecars = {"IMG_1.xmp": SIDECAR, "IMG_1.xmp ": SIDECAR + "\n", "IMG_1.XMP": SIDECAR * 2}
    for name, text in sidecars.items():
        (source / name).write_text(text)
    before = tree_digest(source)
    dest = exfat / "Archive"

    code, planned = organize(source, dest, "--dry-run")
    code, rows = organize(source, dest, "-j", "2")

    assert code == 0, rows
    expected = {
        "IMG_1.jpg": "2008/IMG_1.jpg",
        "IMG_1.XMP": "2008/IMG_1.XMP",
        "IMG_1.xmp": "2008/IMG_1.jpg.xmp",
        "IMG_1.xmp ": "2008/IMG_1.jpg_1.xmp",
    }
    assert {r["source"]: (r["status"], r["dest"]) for r in rows} == {
        name: ("placed", placed) for name, placed in expected.items()
    }
    assert {r["source"]: r["dest"] for r in planned} == expected
    for name, text in sidecars.items():
        assert (dest / expected[name]).read_text() == text
    row = by_source(rows)
    assert row["IMG_1.XMP"].get("note") is None
    shared = "its name 2008/IMG_1.xmp is one name in DEST with IMG_1.XMP's, so it is named after its photo"
    assert row["IMG_1.xmp"]["note"] == shared
    assert row["IMG_1.xmp "]["note"] == (
        f"renamed for DEST's filesystem (Windows refuses a name ending in ' '); {shared}"
    )
    assert imgorg("verify", str(dest))[0] == 0
    placed = photos_in(dest)

    code, rows = organize(source, dest)
    assert code == 0, rows
    assert photos_in(dest) == placed

    assert imgorg("undo", str(dest))[0] == 0
    assert photos_in(dest) == {}
    assert tree_digest(source) == before
