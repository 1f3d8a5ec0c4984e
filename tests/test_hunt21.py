"""One DEST used for weeks (hunt 21): SOURCE and DEST overlapping, so that a run could take
what an earlier one placed for new photos."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS, imgorg, photos_in, tree_digest
from tests.test_safety import bind_mount  # noqa: F401 (a fixture)

CARD = {
    "DCIM/Canon_40D.jpg": "camera/Canon_40D.jpg",  # 2008
    "DCIM/Nikon_D70.jpg": "camera/Nikon_D70.jpg",  # 2008
    "DCIM/canon_hdr_NO.jpg": "camera/canon_hdr_NO.jpg",  # 2015, turned upright in DEST
}


def _card(folder: Path) -> None:
    for rel, corpus_file in CARD.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CORPUS / corpus_file, folder / rel)


@pytest.mark.parametrize("mode", ["copy", "move"])
@pytest.mark.parametrize(
    ("layout", "inbox"),
    [("Photos/{year}", "Photos"), ("Photos/{year}", "Photos/2008"), ("Sets/Photos/{year}", "Sets")],
)
def test_a_layout_placing_photos_into_a_source_inside_dest_is_refused(
    tmp_path: Path, mode: str, layout: str, inbox: str
) -> None:
    """A user organizing ``~/Pictures/Photos`` into ``~/Pictures`` with ``--layout
    'Photos/{year}'`` has every placed photo land inside SOURCE. The next run walked them as
    new photos: a copy run placed the turned copy a second time, a move run set the whole
    archive aside in ``Duplicates/`` as the duplicates of itself (verify: every photo missing,
    "DEST held its only copy"). Refused before anything is written, as a SOURCE inside DEST's
    own folders is."""
    dest = tmp_path / "Pictures"
    source = dest / inbox
    _card(source)
    before = tree_digest(dest)
    code, out = imgorg("organize", str(source), str(dest), "--layout", layout, "--mode", mode)
    assert code == 2, out
    assert f"--layout {layout!r} places photos in DEST's" in out and "Traceback" not in out
    assert tree_digest(dest) == before


def test_a_layout_placing_photos_beside_a_source_inside_dest_still_runs(tmp_path: Path) -> None:
    """An inbox beside the template's folders is fine, run after run."""
    dest = tmp_path / "Pictures"
    source = dest / "Inbox"
    _card(source)
    flags = ("--layout", "Photos/{year}", "--mode", "move", "--quiet")
    assert imgorg("organize", str(source), str(dest), *flags)[0] == 0
    assert sorted(photos_in(dest)) == [
        "Photos/2008/Canon_40D.jpg",
        "Photos/2008/Nikon_D70.jpg",
        "Photos/2015/canon_hdr_NO.jpg",
    ]
    assert imgorg("organize", str(source), str(dest), *flags)[0] == 0
    assert imgorg("verify", str(dest))[0] == 0


def test_source_and_dest_one_folder_through_a_bind_mount_is_refused(
    tmp_path: Path,
    bind_mount,  # noqa: F811
) -> None:
    """DEST a bind mount of SOURCE (one folder under two paths): the run walked nothing (the
    walk never enters DEST), said "files: 0" and exit 0, the card's photos in no report line."""
    source = tmp_path / "card"
    _card(source)
    dest = bind_mount(source, tmp_path / "view")
    before = tree_digest(source)
    code, out = imgorg("organize", str(source), str(dest), "--mode", "move")
    assert code == 2
    assert "SOURCE and DEST are the same folder" in out
    assert tree_digest(source) == before
