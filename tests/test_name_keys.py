"""The name keys the coordinator settles names by (engine/stages/decide.py), computed folder by
folder and without ``os.path``, regular expressions or Unicode normalization where a name is
ASCII: the same keys and groups as their definition gives, over random archives."""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.formats.kinds import MOTION_VIDEO_EXTENSIONS
from engine.policy.naming import Layout, LayoutSpec, layout_part
from engine.stages import decide
from engine.stages.decide import Folders, name_groups, name_key
from engine.stages.tidy import folder_map, tidied

_PARTS = ["DCIM", "100CANON", ".hidden", ".trashed-1690000000-x", "Été", "Cafe\u0301", "a_1", "_"]
_NAMES = ["IMG_0001", "IMG_1", "img_1_1", "IMG_1_01", "IMG", "x_\u0661", "x_1\u0662", "a\n_1"]
_NAMES += ["Été_2", unicodedata.normalize("NFD", "Été_2"), "ǅ_3", "x.MP", ".trashed-1-x_1", ".x"]
_NAMES += ["IMG_1 (1)", "..", "a..b_1", "ß_1", "ﬁ_4", "a\n", "x", "x_1²"]
_ENDINGS = ["", ".jpg", ".JPG", ".MP", ".mp", ".jpg.xmp", ".", ".MP.jpg", ".tar.gz"]


@st.composite
def _rels(draw: st.DrawFn) -> str:
    folders = draw(st.lists(st.sampled_from(_PARTS), max_size=3))
    name = draw(st.sampled_from(_NAMES)) + draw(st.sampled_from(_ENDINGS))
    return "/".join([*folders, name])


_LAYOUTS: list[LayoutSpec] = [Layout.NESTED, Layout.FLAT, "{year}/{month:02}"]


def _folders(rels: list[str], layout: LayoutSpec, tidy: int) -> Folders:
    mapping = {} if tidy == 0 else folder_map(rels, collapse=tidy == 1)
    if tidy == 3:  # any mapping, hidden or empty places among them
        mapping = {
            os.path.dirname(rel): ["", ".x/y", "Moved", "a/.b"][len(rel) % 4] for rel in rels
        }
    return Folders(layout, "Corrupted", "NoDate", "Duplicates", mapping)


def reference_stem(rel: str, folders: Folders) -> str | None:
    """``decide._name_stem`` as it was first written: the whole path tidied and laid out,
    ``os.path.splitext``, NFC and casefold for every name; None under a rename template
    without ``{name}``."""
    if folders.rename and "{name" not in folders.rename:
        return None
    below = layout_part(tidied(rel, folders.tidy), folders.layout)
    stem, ext = os.path.splitext(below)
    if ext.lower() in MOTION_VIDEO_EXTENSIONS:
        stem = below
    return unicodedata.normalize("NFC", stem).casefold()


_SUFFIXED = re.compile(r"(.+)_[1-9]\d*")


def reference_groups(rels: list[str], folders: Folders) -> tuple[dict[int, int], dict[int, int]]:
    """``decide.name_groups`` as it was first written, on ``reference_stem``."""
    stems = [reference_stem(rel, folders) for rel in rels]
    keys = [0 if s is None else decide._stem_key(s) for s in stems]
    present = set(keys)
    parent = {}
    for stem, key in zip(stems, keys, strict=True):
        matched = _SUFFIXED.fullmatch(stem) if stem is not None else None
        if matched and decide._stem_key(matched[1]) in present:
            parent[key] = decide._stem_key(matched[1])
    aliases = {}
    for key in parent:
        root = key
        while root in parent:
            root = parent[root]
        aliases[key] = root
    counts = Counter(aliases.get(k, k) for k in keys)
    return {k: n for k, n in counts.items() if n > 1}, aliases


archives = st.tuples(
    st.lists(_rels(), min_size=1, max_size=30, unique=True),
    st.sampled_from(_LAYOUTS),
    st.integers(0, 3),
    st.randoms(use_true_random=False),
)


@settings(max_examples=200, deadline=None)
@given(archives)
def test_name_keys_are_those_of_the_destination_below_the_year(archive: tuple) -> None:
    """Asked in any order (a worker's results come back by size, not by folder), each file's
    key is that of its destination's stem below the year folder, case and Unicode form aside,
    whatever folders the tidying moves and the layout keeps."""
    rels, layout, tidy, rnd = archive
    folders = _folders(rels, layout, tidy)
    asked = [*rels, *rels]
    rnd.shuffle(asked)

    for rel in asked:
        below = layout_part(tidied(rel, folders.tidy), folders.layout)
        assert folders.below_year(rel) == below
        assert decide._name_stem(rel, folders) == reference_stem(rel, folders)
        assert name_key(rel, folders) == decide._stem_key(reference_stem(rel, folders))


@settings(max_examples=200, deadline=None)
@given(archives)
def test_name_groups_are_those_of_the_definition(archive: tuple) -> None:
    """The groups of names that could collide, and the names a suffix could make (``IMG_1_1``
    of an ``IMG_1``; never ``IMG_01``, nor a number in other digits), as a regular expression
    over every stem finds them."""
    rels, layout, tidy, _ = archive
    folders = _folders(rels, layout, tidy)

    assert name_groups(rels, folders) == reference_groups(rels, folders)


@pytest.mark.parametrize("cards", [1, 300])
def test_many_cameras_or_many_prefixes_make_the_same_groups(cards: int) -> None:
    """Names looked for as a suffix's base are found among the others in one pass when they
    are few (the cameras' ``img`` of ``img_1234``) and through a compact set of every key
    when they are many: the same groups either way."""
    rels = [f"Card {c}/IMG_{i}.JPG" for c in range(cards) for i in range(1, 1 + 600 // cards)]
    rels += ["Card 0/IMG.JPG", "Card 0/IMG_1_1.JPG", "Card 0/IMG_1_1_2.JPG", "Card 0/IMG_01.JPG"]
    folders = Folders(Layout.NESTED, "Corrupted", "NoDate", "Duplicates")

    shared, aliases = name_groups(rels, folders)

    assert (shared, aliases) == reference_groups(rels, folders)
    assert list(shared.values()) == [3 + 600 // cards]  # Card 0's IMG_*, but not IMG_01


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="._/a"))
def test_a_path_splits_at_its_extension_as_os_path_splits_it(path: str) -> None:
    assert decide._split_extension(path) == os.path.splitext(path)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="_a\n0123²\u0661"))
def test_a_stem_ends_with_a_suffix_as_the_expression_of_one_says(stem: str) -> None:
    matched = _SUFFIXED.fullmatch(stem)
    assert decide._unsuffixed(stem) == (matched[1] if matched else None)
