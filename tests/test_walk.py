"""The planner (engine/stages/walk.py) on an archive arranged as real ones are: camera folders
with sidecars and RAW+JPEG pairs, NAS and macOS junk, links, a FIFO, and DEST inside SOURCE.
Every entry ends as a candidate or a finding with its reason; batches follow the size order."""

from __future__ import annotations

import itertools
import operator
import os
import shutil
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.formats.kinds import (
    DEFAULT_EXTENSIONS,
    Kind,
    extension,
    kind_of_extension,
    normalise_extensions,
)
from engine.records import Status
from engine.stages import walk
from engine.stages.walk import plan, shard

PHOTOS = frozenset(DEFAULT_EXTENSIONS)


def _copy(corpus: Path, name: str, to: Path) -> Path:
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(corpus / name, to)
    return to


@pytest.fixture
def archive(corpus: Path, tmp_path: Path) -> Path:
    src = tmp_path / "Pictures"
    card = src / "2008" / "DSLR"
    _copy(corpus, "camera/Canon_40D.jpg", card / "IMG_0001.JPG")
    (card / "IMG_0001.JPG.xmp").write_text("<x:xmpmeta/>")
    _copy(corpus, "camera/Nikon_D70.jpg", card / "DSC_0002.JPG")
    _copy(corpus, "camera/Nikon_D70.jpg", card / "DSC_0002.NEF")  # RAW beside its JPEG
    (card / "lost.xmp").write_text("<x:xmpmeta/>")  # a sidecar whose photo is gone
    (card / "notes.txt").write_text("roll 12")
    _copy(corpus, "duplicates/flower.jpg", src / "Phone" / "flower.jpg")
    _copy(corpus, "duplicates/flower.jpg", src / "Phone" / "flower copy.jpg")
    _copy(corpus, "formats/hopper.png", src / "Phone" / "hopper.png")
    (src / "Phone" / "clip.mov").write_bytes(b"\0\0\0\x14ftypqt  " + bytes(64))
    # junk of NAS boxes, macOS and Windows
    _copy(corpus, "camera/Canon_40D.jpg", src / "2008" / "@eaDir" / "IMG_0001.JPG" / "THUMB.jpg")
    (src / "2008" / "DSLR" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (src / "2008" / "DSLR" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (src / "2008" / "DSLR" / "._IMG_0001.JPG").write_bytes(b"\0\5\26\7")
    # links, which are never followed, and a FIFO
    (src / "Phone" / "latest.jpg").symlink_to(src / "Phone" / "flower.jpg")
    (src / "Everything").symlink_to(src, target_is_directory=True)
    os.mkfifo(src / "Phone" / "pipe.jpg")
    # DEST inside SOURCE, with an earlier run's output
    _copy(corpus, "camera/Canon_40D.jpg", src / "sorted" / "2008" / "IMG_0001.JPG")
    return src


def test_every_entry_is_a_candidate_or_a_finding_with_its_reason(archive: Path) -> None:
    result = plan(str(archive), PHOTOS, exclude=[str(archive / "sorted")])
    candidates = {c.rel: c for c in result.candidates}
    findings = {f.rel: f for f in result.findings}

    assert set(candidates) == {
        "2008/DSLR/IMG_0001.JPG",
        "2008/DSLR/DSC_0002.JPG",
        "Phone/flower.jpg",
        "Phone/flower copy.jpg",
        "Phone/hopper.png",
        "Phone/clip.mov",
    }
    assert [m.rel for m in candidates["2008/DSLR/IMG_0001.JPG"].companions] == [
        "2008/DSLR/IMG_0001.JPG.xmp"
    ]
    assert [m.rel for m in candidates["2008/DSLR/DSC_0002.JPG"].companions] == [
        "2008/DSLR/DSC_0002.NEF"
    ]
    assert candidates["Phone/clip.mov"].kind == "video"
    assert candidates["Phone/flower.jpg"].size == (archive / "Phone/flower.jpg").stat().st_size

    def finding(rel: str) -> tuple[Status, str]:
        return findings[rel].status, findings[rel].reason or ""

    assert finding("2008/DSLR/lost.xmp") == (Status.IGNORED, "sidecar without its photo")
    assert finding("2008/DSLR/notes.txt") == (Status.IGNORED, "not an image type (.txt)")
    assert finding("2008/DSLR/.DS_Store")[0] is Status.IGNORED
    assert finding("2008/DSLR/Thumbs.db")[0] is Status.IGNORED
    assert finding("2008/DSLR/._IMG_0001.JPG") == (Status.IGNORED, "macOS resource fork (._ file)")
    assert finding("2008/@eaDir/IMG_0001.JPG/THUMB.jpg") == (
        Status.IGNORED,
        "inside @eaDir/ (thumbnail or system folder)",
    )
    assert finding("Phone/latest.jpg") == (Status.SKIPPED, "symbolic link (file), not followed")
    assert finding("Everything") == (Status.SKIPPED, "symbolic link (folder), not followed")
    assert finding("Phone/pipe.jpg")[0] is Status.SKIPPED
    assert not [rel for rel in {**candidates, **findings} if rel.startswith("sorted")]
    assert len(findings) == 9  # nothing else was reported


def test_extensions_and_videos_narrow_what_is_taken(archive: Path) -> None:
    result = plan(
        str(archive),
        normalise_extensions(["JPG"]),
        exclude=[str(archive / "sorted")],
        videos=False,
    )
    findings = {f.rel: f.reason for f in result.findings}
    assert findings["Phone/hopper.png"] == "an image type not in --extensions (.png)"
    assert findings["Phone/clip.mov"] == "a video (--no-videos)"
    assert "Phone/flower.jpg" in {c.rel for c in result.candidates}


def test_dest_inside_source_is_walked_when_not_excluded(archive: Path) -> None:
    """The exclusion, not a name, keeps DEST out: the same folder is an album otherwise."""
    result = plan(str(archive), PHOTOS)
    assert "sorted/2008/IMG_0001.JPG" in {c.rel for c in result.candidates}


def test_batches_follow_the_size_order_largest_first(archive: Path, corpus: Path) -> None:
    for n, name in enumerate(sorted(os.listdir(corpus / "camera"))):
        _copy(corpus, f"camera/{name}", archive / "More" / f"{n:02}.jpg")
    candidates = plan(str(archive), PHOTOS, exclude=[str(archive / "sorted")]).candidates
    big = max(c.size for c in candidates)
    batches = shard(candidates, workers=2, compress_above=big - 1)

    assert sorted(c.rel for b in batches for c in b.candidates) == sorted(c.rel for c in candidates)
    spans = [(b.candidates[0].size, b.candidates[-1].size) for b in batches]
    for (first, _), (_, last) in itertools.pairwise(spans):
        assert last <= first  # a batch holds a run of neighbouring sizes, the largest first
    for b in batches:
        assert [c.size for c in b.candidates] == sorted(c.size for c in b.candidates)
    heavy = batches[0]
    assert any(c.size == big for c in heavy.candidates) and heavy.cost == max(
        b.cost for b in batches
    )
    assert heavy.cost >= big * 40  # the file to re-encode counts forty times its bytes
    twins = {c.rel: b.batch_id for b in batches for c in b.candidates if "flower" in c.rel}
    assert len(set(twins.values())) == 1  # files of one size travel together


_STEMS = ["IMG_0001", "img_0001", "IMG_0001 (1)", "IMG_0001(1)", "x.MP", "x.mp", "Été", "É"]
_STEMS.append(unicodedata.normalize("NFD", "Été"))
_IMAGE_ENDINGS = [".jpg", ".JPG", ".jpeg", ".heic", ".png", ".MP.jpg"]
_OTHER_ENDINGS = [".CR2", ".nef", ".dng", ".mov", ".MP4", ".MP", ".mp", ".xmp", ".aae", ".thm"]
_OTHER_ENDINGS += [".json", ".jpg.json", ".JPG.xmp", ".jpg(1).json", ".supplemental-metadata.json"]


def _listings(endings: list[str]) -> st.SearchStrategy[list[str]]:
    names = st.builds(operator.add, st.sampled_from(_STEMS), st.sampled_from(endings))
    return st.lists(names, unique=True, max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_listings(_IMAGE_ENDINGS), _listings(_IMAGE_ENDINGS + _OTHER_ENDINGS)))
def test_a_folder_of_still_images_is_planned_as_grouping_would(names: list[str]) -> None:
    """The walk plans a folder of nothing but still images without grouping its names
    (engine/policy/companions.py): the same candidates, in the same order, as grouping gives,
    whatever the names' case, Unicode form or copy numbers, and beside RAW files, videos,
    motion photos and sidecars."""
    files = {}
    for i, name in enumerate(sorted(names)):
        kind = kind_of_extension(extension(name), PHOTOS)
        if kind is not Kind.OTHER:
            files[name] = walk._File(f"DCIM/{name}", 1000 + i, i, kind)
    fast, general = walk.Plan(), walk.Plan()

    walk._candidates(files, fast)
    walk._families(files, general)

    assert (fast.candidates, fast.findings) == (general.candidates, general.findings)


def test_every_file_is_taken_by_its_extension_however_it_is_named(tmp_path: Path) -> None:
    """The walk reads a file's extension as ``kinds.extension`` does: a name that is only an
    extension (``.jpg``), none, two dots, a trailing dot, any case."""
    names = [".jpg", "noext", "x.tar.gz", "trailing.", "Photo.JPEG", "a.b.HEIC", "..png"]
    names += ["IMG_1.jpg.XMP", "clip.MOV", "x.MP", "A.Cr2", "take.out.json", "notes.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"\xff\xd8\xff" + bytes(64))

    result = plan(str(tmp_path), PHOTOS)

    found = {c.rel: c.kind for c in result.candidates}
    found |= {c.rel: "companion" for f in result.candidates for c in f.companions}
    found |= {f.rel: f.reason for f in result.findings}
    for name in names:
        kind = kind_of_extension(extension(name), PHOTOS)
        if kind in (Kind.IMAGE, Kind.RAW, Kind.VIDEO) and name != "x.MP":
            assert found[name] == kind.value, name
        elif kind is Kind.OTHER:
            assert found[name] == walk._not_taken(extension(name) or "no extension"), name
        else:  # a sidecar, or a motion photo's video that is no MP4
            assert found[name] in ("companion", walk.NO_PHOTO) or "not a video" in found[name]
