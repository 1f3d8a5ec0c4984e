"""Review of the session-13 merges (a photo under a video's name, a PNG's XMP after its image
data, companions DEST holds under one name), built from corpus files arranged as real archives."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.conftest import CORPUS, imgorg, tree_digest


def by_source(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["source"]: line for line in report}


def test_of_a_photo_and_its_copy_saved_under_a_video_name_the_image_name_is_kept(
    tmp_path: Path,
    organize,  # type: ignore[no-untyped-def]
) -> None:
    """A camera JPEG (Orientation 6) in ``Trip/`` and the same bytes saved as
    ``Downloads/MVI_0001.AVI``. A photo under a video's name is placed as it is, never turned:
    the keeper's rule for a video under a video's name kept the ``.AVI`` and set the ``.jpg``
    aside, so the archive held the photo sideways under a name no viewer opens as a photo. The
    ``.jpg`` is kept (turned upright), the ``.AVI`` is its duplicate; undo restores SOURCE."""
    src = tmp_path / "src"
    (src / "Trip").mkdir(parents=True)
    (src / "Downloads").mkdir()
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "Trip" / "canon.jpg")
    shutil.copy(CORPUS / "camera/canon_hdr_NO.jpg", src / "Downloads" / "MVI_0001.AVI")
    before = tree_digest(src)

    out = tmp_path / "out"
    code, report = organize(src, out, "--mode", "move", "--min-size", "0")
    lines = by_source(report)

    assert code == 0, report
    kept, copy = lines["Trip/canon.jpg"], lines["Downloads/MVI_0001.AVI"]
    assert (kept["status"], kept["dest"], kept["rotated"]) == (
        "placed",
        "2015/Trip/canon.jpg",
        True,
    )
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", "Trip/canon.jpg")
    assert copy["reason"].endswith("because it is named as what it is (a video as a video, a photo as an image)")  # fmt: skip
    assert imgorg("verify", str(out))[0] == 0
    assert imgorg("undo", str(out))[0] == 0
    assert tree_digest(src) == before
