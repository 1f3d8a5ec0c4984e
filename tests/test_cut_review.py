"""A review of the writer's CPU cuts (the walk's folders of still images planned without
grouping, name keys computed folder by folder, the page's queries): on the archives most
likely to tell them apart, each gives what the code it replaced gave."""

from __future__ import annotations

import os
import random
import shutil
import unicodedata
from pathlib import Path

import pytest
from test_name_keys import reference_groups, reference_stem

from engine.formats.kinds import DEFAULT_EXTENSIONS
from engine.policy.naming import Layout, LayoutSpec, layout_part
from engine.records import Status
from engine.stages import decide, walk
from engine.stages.decide import Folders, name_groups, name_key
from engine.stages.tidy import folder_map, tidied

PHOTOS = frozenset(DEFAULT_EXTENSIONS)
NFD = unicodedata.normalize("NFD", "Été")
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + bytes(40)


def _images_beside_what_the_walk_leaves(corpus: Path, folder: Path) -> None:
    """A camera folder of still images only (names differing by case, Unicode form, dots and
    copy suffixes; one not UTF-8), beside every entry the walk leaves out of the photos."""
    folder.mkdir(parents=True)
    photo = corpus / "camera" / "Canon_40D.jpg"
    names = ["IMG_1.jpg", "IMG_1.JPG", "img_1.jpeg", "IMG_1_1.jpg", "IMG_1_1_1.JPG", "a.b.jpg"]
    names += [".jpg", "x.MP.jpg", f"{NFD}.jpg", "Été.jpg", "ÉTÉ.JPG", "IMG_01.jpg", "IMG.jpg"]
    for name in names:
        shutil.copyfile(photo, folder / name)
    shutil.copyfile(photo, os.path.join(os.fsencode(folder), b"caf\xe9_1.jpg"))
    for junk in ("Thumbs.db", "._IMG_1.jpg", ".DS_Store", "notes.txt", "x.", "noext"):
        (folder / junk).write_bytes(b"junk")
    (folder / "x.MP").write_bytes(b"a motion photo's video that is no MP4")
    (folder / "link.jpg").symlink_to("IMG_1.jpg")
    (folder / "broken.jpg").symlink_to("nowhere.jpg")
    os.mkfifo(folder / "fifo.jpg")
    (folder / "sub.jpg").mkdir()
    shutil.copyfile(photo, folder / "sub.jpg" / "inner.jpg")


def test_a_folder_of_images_beside_what_the_walk_leaves_is_planned_as_grouping_plans_it(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Junk, links, a FIFO, a folder named like a photo, ``._`` forks, a ``.MP`` that is no
    video, names of every odd shape: the walk plans the images of such a folder, each a photo
    of its own, as grouping them by name (engine/policy/companions.py) does; with a real
    motion video beside them, they are grouped."""
    source = tmp_path / "DCIM"
    _images_beside_what_the_walk_leaves(corpus, source / "100CANON")
    (source / "100MEDIA").mkdir()
    shutil.copyfile(corpus / "camera" / "Canon_40D.jpg", source / "100MEDIA" / "y.MP.jpg")
    (source / "100MEDIA" / "y.MP").write_bytes(MP4_HEAD)

    fast = walk.plan(str(source), PHOTOS)
    monkeypatch.setattr(walk, "_candidates", walk._families)
    grouped = walk.plan(str(source), PHOTOS)

    assert (fast.candidates, fast.findings) == (grouped.candidates, grouped.findings)
    alone = [c for c in fast.candidates if c.rel.count("/") == 1 and "CANON/" in c.rel]
    assert len(alone) == 14 and all(not c.companions for c in alone)
    assert [c.rel for c in alone] == sorted(c.rel for c in alone)
    assert "100CANON/caf\udce9_1.jpg" in {c.rel for c in alone}
    (motion,) = [c for c in fast.candidates if c.rel.startswith("100MEDIA/")]
    assert [c.rel for c in motion.companions] == ["100MEDIA/y.MP"]
    left = {f.rel: f.status for f in fast.findings}
    assert left["100CANON/fifo.jpg"] is Status.SKIPPED and left["100CANON/x.MP"] is Status.IGNORED


def _many_folders() -> list[str]:
    """Source paths in more folders than ``below_year`` holds (hidden ones, chains of single
    subfolders, names differing by case and Unicode form, a name not UTF-8), with names of
    the ``IMG_1`` / ``IMG_1_1`` kind in NFD and upper case, dots and motion photos."""
    names = ["IMG_1.jpg", "img_1_1.JPG", "IMG_1_1.jpg", f"{NFD}_1.jpg", "ÉTÉ_1_2.JPG"]
    names += [
        "x.MP.jpg",
        "x.MP",
        "a.b.jpg",
        ".jpg",
        "x.",
        "caf\udce9_1.jpg",
        ".trashed-1-IMG_2.jpg",
    ]
    parents = ["Trips", ".hidden", "Été", NFD, "ÉTÉ", "chain/one/two", ".Holiday", "Holiday"]
    rels = []
    for i in range(4500):
        folder = f"{parents[i % len(parents)]}/{i // len(parents)}"
        rels.append(f"{folder}/{names[i % len(names)]}")
        if i % 9 == 0:
            rels.append(f"{folder}/{names[(i + 3) % len(names)]}")
    return rels


@pytest.mark.parametrize(
    ("layout", "rename"),
    [(Layout.NESTED, None), (Layout.FLAT, "{date:%Y%m%d}_{name}"), ("{year}/{month:02}", None)],
)
def test_name_keys_past_the_folders_held_are_those_of_their_definition(
    layout: LayoutSpec, rename: str | None
) -> None:
    """More source folders than ``below_year`` holds, asked in an order that makes it forget
    and learn each folder again: every key, destination below the year and group is what the
    whole path tidied, laid out and folded gives."""
    rels = _many_folders()
    tidy = folder_map(rels) if isinstance(layout, Layout) else {}
    folders = Folders(layout, "Corrupted", "NoDate", "Duplicates", tidy, rename)
    asked = [*rels, *rels]
    random.Random(7).shuffle(asked)

    for rel in asked:
        assert folders.below_year(rel) == layout_part(tidied(rel, tidy), layout), rel
        stem = reference_stem(rel, folders)
        assert stem is not None
        assert name_key(rel, folders) == decide._stem_key(stem), rel
    assert len(folders._above) <= decide._FOLDERS_HELD

    fresh = Folders(layout, "Corrupted", "NoDate", "Duplicates", tidy, rename)
    shared, aliases = name_groups(asked, fresh)
    assert (shared, aliases) == reference_groups(asked, fresh)
    assert aliases  # IMG_1_1 joins IMG_1's group, in every form of its name
