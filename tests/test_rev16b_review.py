"""Review of bug hunt 16 (tests/test_hunt16.py): the shapes its changes left open, built from
real camera files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from test_hunt11 import exfat  # noqa: F401  (a fixture)

CANON = "camera/Canon_40D.jpg"  # 2008
NIKON = "camera/DSCN0010.jpg"  # 2008


def test_a_live_photo_whose_name_the_dest_adapts_keeps_it_beside_androids_trash(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    organize: Any,
) -> None:
    """On an exFAT disk ``Pictures/12:30.jpg`` is placed as ``12_30.jpg``, the name Android's
    trash beside it gives ``.trashed-1700000000-12_30.jpg``, another photo of the year. A file
    in a trash takes its name after every other file (README, *Names*), the live photo's
    adapted name included. Before, the two waited together and went in source-path order,
    where the dot sorts first: the deleted photo took ``12_30.jpg``, the live one a suffix."""
    pictures = tmp_path / "src" / "Pictures"
    pictures.mkdir(parents=True)
    shutil.copy2(corpus / CANON, pictures / "12:30.jpg")
    shutil.copy2(corpus / NIKON, pictures / ".trashed-1700000000-12_30.jpg")
    dest = exfat / "Archive"
    dest.mkdir()

    code, rows = organize(tmp_path / "src", dest, "-j", "2")

    assert code == 0, rows
    placed = {row["source"]: row["dest"] for row in rows}
    assert placed == {
        "Pictures/12:30.jpg": "2008/Pictures/12_30.jpg",
        "Pictures/.trashed-1700000000-12_30.jpg": "2008/Pictures/12_30_1.jpg",
    }
    assert (dest / "2008/Pictures/12_30.jpg").read_bytes() == (corpus / CANON).read_bytes()
