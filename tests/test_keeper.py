"""The copy kept is the one a person would keep (#11.3): the ranked rules of engine/policy/keeper.py,
as properties and on archives as they are found (Android trash, a Takeout export, copies)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import write_photo
from engine.policy.date_precedence import PRECEDENCE
from engine.policy.keeper import (
    Copy,
    hidden_or_trash,
    in_generic_folder,
    keeper,
    named_as_copy,
    rank,
)
from engine.policy.naming import Layout, layout_part, visible
from engine.records import DateSource


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


# the predicates, on names found in real archives ------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "DCIM/Camera/.trashed-1690000000-IMG_20180725_163423.jpg",
        ".Trash-1000/files/IMG_1.jpg",
        "Users/me/.Trash/IMG_1.jpg",
        "$RECYCLE.BIN/S-1-5-21/IMG_1.jpg",
        "volume1/photo/#recycle/IMG_1.jpg",
        "share/@Recycle/IMG_1.jpg",
        "share/.recycle/IMG_1.jpg",
        "Pictures/.hidden/IMG_1.jpg",
        "RECYCLER/IMG_1.jpg",
        "Desktop/Papierkorb/IMG_1.jpg",
        "Bureau/Corbeille/IMG_1.jpg",
        "Escritorio/Papelera/IMG_1.jpg",
        "Рабочий стол/Корзина/IMG_1.jpg",
    ],
)
def test_hidden_and_trash_paths(rel: str) -> None:
    assert hidden_or_trash(rel)


@pytest.mark.parametrize(
    "rel", ["DCIM/Camera/IMG_1.jpg", "Trash-1000/IMG_1.jpg", "Recycling day/IMG_1.jpg", "a.b/c.jpg"]
)
def test_visible_paths(rel: str) -> None:
    assert not hidden_or_trash(rel)


@pytest.mark.parametrize(
    ("rel", "copy"),
    [
        ("Pictures/Copy of IMG_1.jpg", True),
        ("Pictures/Copy (2) of IMG_1.jpg", True),
        ("Pictures/IMG_1 - Copy.jpg", True),
        ("Pictures/IMG_1 - Copy (3).jpg", True),
        ("Pictures/IMG_1 copy.jpg", True),
        ("Pictures/IMG_1 copy 2.jpg", True),
        ("Pictures/IMG_1 (1).jpg", True),
        ("Pictures/IMG_1(2).jpg", True),
        ("copies/IMG_1.jpg", True),
        ("Backup/2019/IMG_1.jpg", True),
        ("Old Backups/IMG_1.jpg", True),
        ("Trip (copy)/IMG_1.jpg", True),
        ("Trip - Copy/IMG_1.jpg", True),
        ("DCIM/100CANON/IMG_1.jpg", False),
        ("Pictures/IMG_1.jpg", False),
        ("Photocopy shop/IMG_1.jpg", False),
        ("Pictures/IMG_2019_copyright.jpg", False),
        # Windows Explorer and Finder in other languages
        ("Bilder/IMG_1 - Kopie.jpg", True),
        ("Bilder/IMG_1 - Kopie (2).jpg", True),
        ("Bilder/IMG_1 Kopie.jpg", True),
        ("Bilder/Kopie von IMG_1.jpg", True),
        ("Images/IMG_1 - Copie.jpg", True),
        ("Images/Copie de IMG_1.jpg", True),
        ("Imágenes/IMG_1 - copia.jpg", True),
        ("Imágenes/Copia de IMG_1.jpg", True),
        ("Immagini/IMG_1 - Copia (3).jpg", True),
        ("Imagens/IMG_1 - Cópia.jpg", True),
        ("Obrazy/IMG_1 kopia.jpg", True),  # Finder
        ("Obrazy/IMG_1 - kopia.jpg", True),
        ("Bilder/IMG_1 - kopio.jpg", True),
        ("Изображения/IMG_1 - копия.jpg", True),
        ("Sicherung/2019/IMG_1.jpg", True),
        ("Sauvegardes/IMG_1.jpg", True),
        ("Copia de seguridad/IMG_1.jpg", True),
        ("Urlaub Kopien/IMG_1.jpg", True),
        ("Bilder/Kopieren lernen/IMG_1.jpg", False),
        ("Images/Copieur/IMG_1.jpg", False),
    ],
)
def test_names_of_copies(rel: str, copy: bool) -> None:
    assert named_as_copy(rel) is copy


@pytest.mark.parametrize(
    ("rel", "generic"),
    [
        ("Takeout/Google Photos/Photos from 2019/IMG_1.jpg", True),
        ("Pictures/2019-07-04/IMG_1.jpg", True),
        ("DSLR/2005_08_03/IMG_1.jpg", True),
        ("Pictures/2019/IMG_1.jpg", True),
        ("Dropbox/Camera Uploads/IMG_1.jpg", True),
        ("DCIM/100APPLE/IMG_1.jpg", True),
        ("IMG_1.jpg", True),
        ("Takeout/Google Photos/Summer at the lake/IMG_1.jpg", False),
        ("Pictures/2019-07-04 Lake trip/IMG_1.jpg", False),
        ("Albums/Holiday/IMG_1.jpg", False),
        ("Takeout/Google Fotos/Fotos von 2019/IMG_1.jpg", True),
        ("Takeout/Google Photos/Photos de 2019/IMG_1.jpg", True),
        ("Eigene Dateien/Eigene Bilder/IMG_1.jpg", True),
        ("Mes documents/Mes images/IMG_1.jpg", True),
        ("Telefon/Kamera/IMG_1.jpg", True),
        ("Bilder/Hochzeit Anna/IMG_1.jpg", False),
        ("Takeout/Google Fotos/Sommer am See/IMG_1.jpg", False),
    ],
)
def test_generic_folders(rel: str, generic: bool) -> None:
    assert in_generic_folder(rel) is generic


def test_no_placed_path_is_hidden() -> None:
    assert visible("DCIM/Camera/.trashed-1690000000-IMG_1.jpg") == "DCIM/Camera/IMG_1.jpg"
    assert visible(".Trash-1000/files/.IMG_1.jpg") == "Trash-1000/files/IMG_1.jpg"
    assert layout_part(".hidden/.trashed-1-a.jpg", Layout.FLAT) == "a.jpg"


# the ranking, as properties ------------------------------------------------------------------

# Each feature of a copy is set by one part of its path, so the features vary independently:
# a trash folder on top, a copies/ folder below it, then an album or a generic folder.
ALBUMS = ["Summer at the lake", "Holiday", "Grandma's 80th"]
GENERIC = ["Photos from 2019", "2019-07-04", "Camera Uploads", "100APPLE"]
TRASH = [".Trash-1000", "$RECYCLE.BIN", "#recycle", "@Recycle", ".recycle", ".trashed"]
SOURCES = [*PRECEDENCE, DateSource.NONE]


@st.composite
def copies(draw: st.DrawFn) -> tuple[Copy, tuple[bool, bool, bool, bool, int]]:
    """A copy and its features in rule order, False/low being the better value."""
    hidden = draw(st.booleans())
    lonely = draw(st.booleans())
    copied = draw(st.booleans())
    generic = draw(st.booleans())
    source = draw(st.sampled_from(SOURCES))
    parts = []
    if hidden:
        parts.append(draw(st.sampled_from(TRASH)))
    parts.append(draw(st.sampled_from(["copies", "Backup"])) if copied else "Pictures")
    parts.append(draw(st.sampled_from(GENERIC if generic else ALBUMS)))
    parts.append(draw(st.sampled_from(["IMG_1.jpg", "IMG_1.JPG", "DSC_0001.jpg", "a.jpg"])))
    features = (hidden, lonely, copied, generic, SOURCES.index(source))
    return Copy("/".join(parts), not lonely, source), features


@given(copies(), copies())
def test_rules_decide_in_their_order(a: Any, b: Any) -> None:
    (first, fa), (second, fb) = a, b
    if first.rel == second.rel:
        return
    expected = first if (fa, os.fsencode(first.rel)) < (fb, os.fsencode(second.rel)) else second
    assert keeper([first, second]) == expected
    assert keeper([second, first]) == expected


@given(st.lists(copies(), min_size=1, max_size=8, unique_by=lambda c: c[0].rel), st.randoms())
def test_visible_copy_wins_whatever_the_order(found: Any, shuffle: Any) -> None:
    candidates = [c for c, _ in found]
    kept = keeper(candidates)
    shuffle.shuffle(candidates)
    assert keeper(candidates) == kept
    if any(not hidden_or_trash(c.rel) for c in candidates):
        assert not hidden_or_trash(kept.rel)
    if any(c.has_companions and not hidden_or_trash(c.rel) for c in candidates):
        assert kept.has_companions


@given(copies(), copies(), copies())
def test_the_order_is_strict_and_total(a: Any, b: Any, c: Any) -> None:
    x, y, z = a[0], b[0], c[0]
    if x.rel != y.rel:
        assert (rank(x) < rank(y)) != (rank(y) < rank(x))  # antisymmetric and total
    if rank(x) < rank(y) and rank(y) < rank(z):
        assert rank(x) < rank(z)


# on archives ---------------------------------------------------------------------------------

WHEN = dt.datetime(2018, 7, 25, 16, 34, 23)


def test_android_trash_never_wins_and_is_placed_visible(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A phone's camera folder as Android 11+ leaves it: deleted photos stay 30 days beside the
    others as ``.trashed-<expiry>-<name>``."""
    camera = tmp_path / "Phone" / "DCIM" / "Camera"
    data = write_photo(camera / ".trashed-1690000000-IMG_20180725_163423.jpg", WHEN, seed=1)
    (camera / "IMG_20180725_163423.jpg").write_bytes(data)
    only = write_photo(camera / ".trashed-1690000001-IMG_20180726_101010.jpg", WHEN, seed=2)
    write_photo(camera / ".trashed-1690000002-IMG_20180727_090000.jpg", WHEN, seed=3)
    write_photo(camera / "IMG_20180727_090000.jpg", WHEN, seed=4)  # a different photo
    results = []
    for jobs in ("1", "2"):
        dest = tmp_path / f"out{jobs}"
        code, report = organize(tmp_path / "Phone", dest, "--min-size", "0", "--jobs", jobs)
        assert code == 0
        lines = by_source(report)
        trashed = lines["DCIM/Camera/.trashed-1690000000-IMG_20180725_163423.jpg"]
        assert trashed["status"] == "duplicate"
        assert trashed["duplicate_of"] == "DCIM/Camera/IMG_20180725_163423.jpg"
        assert "not hidden or in a trash folder" in trashed["reason"]
        kept = lines["DCIM/Camera/.trashed-1690000001-IMG_20180726_101010.jpg"]
        assert kept["dest"] == "2018/Camera/IMG_20180726_101010.jpg"
        assert (dest / kept["dest"]).read_bytes() == only
        for line in report:
            if line["dest"]:
                assert not any(p.startswith(".") for p in line["dest"].split("/")), line
        results.append(sorted((x["source"], x["dest"]) for x in report))
    assert results[0] == results[1]
    assert {
        "2018/Camera/IMG_20180727_090000.jpg",
        "2018/Camera/IMG_20180727_090000_1.jpg",
    } <= {dest for _, dest in results[0]}


def test_takeout_album_wins_over_photos_from_year(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Google Takeout puts a photo in ``Photos from <year>/`` and again in each album."""
    photos = tmp_path / "Takeout" / "Google Photos"
    taken = int(dt.datetime(2019, 7, 4, 12, 0, tzinfo=dt.UTC).timestamp())
    metadata = json.dumps({"title": "IMG_4000.jpg", "photoTakenTime": {"timestamp": str(taken)}})
    for folder in ("Photos from 2019", "Summer at the lake"):
        (photos / folder).mkdir(parents=True)
        (photos / folder / "IMG_4000.jpg.json").write_text(metadata)
    data = write_photo(photos / "Photos from 2019" / "IMG_4000.jpg", None, seed=5)
    (photos / "Summer at the lake" / "IMG_4000.jpg").write_bytes(data)
    write_photo(photos / "Photos from 2019" / "IMG_4001.jpg", dt.datetime(2019, 8, 1), seed=6)
    code, report = organize(tmp_path / "Takeout", tmp_path / "out", "--min-size", "0")
    assert code == 0
    lines = by_source(report)
    album = lines["Google Photos/Summer at the lake/IMG_4000.jpg"]
    assert album["status"] == "placed" and "Summer at the lake" in album["dest"]
    assert (tmp_path / "out" / album["dest"]).read_bytes() == data
    generic = lines["Google Photos/Photos from 2019/IMG_4000.jpg"]
    assert generic["duplicate_of"] == "Google Photos/Summer at the lake/IMG_4000.jpg"
    assert "named album folder" in generic["reason"]
    sidecar = lines["Google Photos/Photos from 2019/IMG_4000.jpg.json"]
    assert sidecar["duplicate_of"] == "Google Photos/Summer at the lake/IMG_4000.jpg.json"
    assert lines["Google Photos/Photos from 2019/IMG_4001.jpg"]["status"] == "placed"


def test_the_camera_folder_wins_over_copies(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """Eight photos from a camera card, and the copies a person makes of them over the years
    (the copies/ folder sorts before DCIM/, which used to decide)."""
    src = tmp_path / "src"
    card = src / "DCIM" / "100CANON"
    originals = {
        f"IMG_{i:04d}.JPG": write_photo(card / f"IMG_{i:04d}.JPG", WHEN, seed=10 + i)
        for i in range(1, 9)
    }
    (src / "copies").mkdir()
    for name in originals:
        shutil.copyfile(card / name, src / "copies" / name)
    shutil.copyfile(card / "IMG_0001.JPG", card / "Copy of IMG_0001.JPG")
    shutil.copyfile(card / "IMG_0002.JPG", card / "IMG_0002 (1).JPG")
    shutil.copyfile(card / "IMG_0003.JPG", card / "IMG_0003 - Copy.JPG")
    for jobs in ("1", "2"):
        code, report = organize(src, tmp_path / f"out{jobs}", "--min-size", "0", "--jobs", jobs)
        assert code == 0
        lines = by_source(report)
        placed = sorted(x["source"] for x in report if x["status"] == "placed")
        assert placed == [f"DCIM/100CANON/{name}" for name in sorted(originals)]
        for line in report:
            if line["status"] == "duplicate":
                assert line["duplicate_of"].startswith("DCIM/100CANON/IMG_"), line
                assert "its name is not a copy's" in line["reason"], line
        assert lines["copies/IMG_0004.JPG"]["duplicate_of"] == "DCIM/100CANON/IMG_0004.JPG"
