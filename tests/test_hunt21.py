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


RATING = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5"/></rdf:RDF></x:xmpmeta>'
)


def test_a_sidecar_new_beside_a_photo_the_user_refiled_in_dest_joins_it_there(
    tmp_path: Path,
) -> None:
    """A card moved into DEST; the user renames the album ``2008/DCIM`` to ``2008/Holiday``
    and files one photo of 2015 into an album of its own; then Lightroom's ratings of the
    card's photos arrive in the card's folder. Each XMP goes beside its photo where it is now:
    before, the run made ``2008/DCIM/`` and ``2015/DCIM/`` again with nothing but the XMPs in
    them, noted as following photos that were not there. Undone, the XMPs go back to SOURCE
    and the user's albums stay."""
    source, dest = tmp_path / "card", tmp_path / "dest"
    _card(source)
    move = ("--mode", "move", "--quiet")
    assert imgorg("organize", str(source), str(dest), *move)[0] == 0
    (dest / "2008/DCIM").rename(dest / "2008/Holiday")
    (dest / "2015/Best").mkdir()
    (dest / "2015/DCIM/canon_hdr_NO.jpg").rename(dest / "2015/Best/canon_hdr_NO.jpg")
    for name in ("Canon_40D", "Nikon_D70", "canon_hdr_NO"):
        (source / "DCIM" / f"{name}.xmp").write_text(RATING)
    assert imgorg("organize", str(source), str(dest), *move)[0] == 0
    assert sorted(photos_in(dest)) == [
        "2008/Holiday/Canon_40D.jpg",
        "2008/Holiday/Canon_40D.xmp",
        "2008/Holiday/Nikon_D70.jpg",
        "2008/Holiday/Nikon_D70.xmp",
        "2015/Best/canon_hdr_NO.jpg",
        "2015/Best/canon_hdr_NO.xmp",
    ]
    assert photos_in(source) == {}
    assert imgorg("verify", str(dest))[0] == 0
    assert imgorg("undo", str(dest))[0] == 0
    assert sorted(photos_in(source)) == [
        "DCIM/Canon_40D.xmp",
        "DCIM/Nikon_D70.xmp",
        "DCIM/canon_hdr_NO.xmp",
    ]
    assert sorted(photos_in(dest)) == [
        "2008/Holiday/Canon_40D.jpg",
        "2008/Holiday/Nikon_D70.jpg",
        "2015/Best/canon_hdr_NO.jpg",
    ]
