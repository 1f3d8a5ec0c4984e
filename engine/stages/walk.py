"""Walk SOURCE once and decide, per entry, whether it goes to the workers.

Symbolic links are never followed (a link loop cannot trap the walk, and a move never touches
what a link points to); DEST is never entered when it lies inside SOURCE.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from engine.formats.kinds import (
    DEFAULT_EXTENSIONS,
    MP4_ONLY_EXTENSIONS,
    VIDEO_EXTENSIONS,
    VIDEO_SIDECAR_EXTENSIONS,
    Kind,
    extension,
    is_iso_bmff,
    kind_of_extension,
    still_inside,
)
from engine.policy.companions import group
from engine.records import Candidate, Companion, Finding, Status
from engine.settings import ENGINE_FOLDER

JUNK_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", ".picasa.ini"})
# Folders of thumbnails, resource forks and indexes (a WD My Cloud's .wdmc/ holds its
# IMG_1.JPG.tm0.jpg and .tm1.jpg). Trash folders are not among them: the photos deleted into
# them are kept (below any visible copy, engine/policy/keeper.py).
JUNK_FOLDERS = frozenset(
    {"@eadir", ".@__thumb", ".thumbnails", ".appledouble", ".spotlight-v100", ".wdmc"}
)
# The caches of a home folder, of what applications rebuild: Linux's (XDG: the desktop's
# thumbnails of every picture opened, .cache/thumbnails/x-large/<md5>.png, and Shotwell's), a
# Mac's (Library/Caches/: Adobe Bridge's previews, ...) and the pictures of web pages Windows'
# browsers kept (INetCache/, Temporary Internet Files/).
CACHE_FOLDERS = frozenset({".cache", "inetcache", "temporary internet files"})
MAC_CACHES = ("library", "caches")
RECYCLE_BIN = "$recycle.bin"
# The previews macOS Photos makes of every photo of its library (the photos are in originals/,
# their edits in resources/renders/), of its shared albums' photos and of an iCloud Shared
# Library's (scopes/cloudsharing/resources/derivatives/, scopes/momentshared/...), and the
# face crops of Photos 1 to 4.
PHOTOS_LIBRARY_PREVIEWS = ("resources/derivatives", "resources/proxies", "resources/media/face")
# Apple's photo libraries: Photos, iPhoto (a package since iPhoto 9, before it a folder named in
# the Mac's language: "iPhoto Library", "iPhoto-Mediathek", "Photothèque iPhoto", ...),
# Aperture, and either as Photos leaves it once it has taken it over.
PHOTO_LIBRARY_SUFFIXES = (
    ".photoslibrary",
    ".photolibrary",
    ".migratedphotolibrary",
    ".aplibrary",
    ".migratedaplibrary",
)
# "iPhoto" as a word of a folder's name, as every language's Mac names the library (not the
# letters of "Multiphoto" or "DigiPhoto", a user's own folders).
IPHOTO = re.compile(r"(?<![^\W\d_])iphoto(?![^\W\d_])")
# The thumbnails such a library keeps of every photo: Thumbnails/ (iPhoto 9 on, Aperture, a
# Photos library upgraded from either), Data/ (iPhoto 6 to 8), each day's Thumbs/ and Data/
# (iPhoto 2 to 5). Masters/, Originals/, Modified/ and Previews/ (the edits) are taken.
LIBRARY_THUMBNAILS = re.compile(r"thumbnails|thumbs|data|\d{4}/\d{2}/\d{2}/(?:thumbs|data)")
# Lightroom Classic keeps the previews of its catalog's photos in folders named *.lrdata beside
# it (<catalog> Previews.lrdata, Smart Previews.lrdata: DNGs), but the photos synced from
# Lightroom on a phone or the web, their only copy on this computer, in Mobile Downloads.lrdata
# (their previews in its downloaded-smart-previews/).
LIGHTROOM_SYNCED = "mobile downloads.lrdata"
LIGHTROOM_SYNCED_PREVIEWS = "downloaded-smart-previews"


@dataclass(slots=True)
class Plan:
    candidates: list[Candidate] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def junk_reason(name: str, rel: str = "") -> str | None:
    lowered = name.lower()
    if lowered in JUNK_FILES:
        return f"system junk file ({name})"
    if name.startswith("._"):
        return "macOS resource fork (._ file)"
    if name.startswith("$I") and RECYCLE_BIN in rel.lower().split(os.sep)[-3:-1]:
        return "Recycle Bin's record of a deleted file ($I file; the file is its $R twin)"
    return None


def plan(
    source: str,
    extensions: frozenset[str],
    exclude: Iterable[str] = (),
    videos: bool = True,
) -> Plan:
    """Walk ``source`` depth-first in name order and classify every entry.

    Photos, RAW files and videos become candidates; the sidecars and pairs that travel with a
    photo ride along with it (``engine.policy.companions``) instead of counting as photos of
    their own.
    Small photos are candidates too: whether one is skipped for its size depends on its
    metadata, which the worker reads (``engine.stages.analyse.size_skip_reason``).
    """
    result = Plan()
    excluded = {_identity(path) for path in exclude if os.path.isdir(path)}
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[str, str, str | None]] = [(source, "", None)]
    while stack:
        folder, rel_folder, junk = stack.pop()
        try:
            identity = _identity(folder)
            if identity in excluded:
                continue
            if identity in visited:
                result.findings.append(
                    Finding(rel_folder, Status.SKIPPED, "folder already visited (mount loop)")
                )
                continue
            visited.add(identity)
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            result.findings.append(
                Finding(rel_folder or ".", Status.ERROR, f"cannot list folder: {exc.strerror}")
            )
            continue
        subfolders: list[tuple[str, str, str | None]] = []
        files: dict[str, _File] = {}
        prefix = rel_folder + os.sep if rel_folder else ""
        for entry in entries:
            rel = prefix + entry.name
            try:
                if not entry.is_file(follow_symlinks=False):
                    _classify(entry, rel, junk, result, subfolders)
                    continue
                found = _classify_file(entry, rel, junk, extensions, videos, result)
            except OSError as exc:
                result.findings.append(
                    Finding(rel, Status.ERROR, f"cannot read its details: {exc.strerror}")
                )
                continue
            if found is not None:
                files[entry.name] = found
        _candidates(files, result)
        stack.extend(reversed(subfolders))
    return result


class _File(NamedTuple):
    rel: str
    size: int
    mtime_ns: int
    kind: Kind


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _classify(
    entry: os.DirEntry[str],
    rel: str,
    junk: str | None,
    result: Plan,
    subfolders: list[tuple[str, str, str | None]],
) -> None:
    """A link, a folder (to walk later) or any other entry that is not a regular file."""
    if entry.is_symlink():
        target = "folder" if entry.is_dir() else "file" if entry.is_file() else "broken or looping"
        result.findings.append(
            Finding(rel, Status.SKIPPED, f"symbolic link ({target}), not followed")
        )
        return
    if entry.is_dir(follow_symlinks=False):
        inner_junk = junk
        if junk is None and entry.name.lower() in JUNK_FOLDERS:
            inner_junk = f"inside {entry.name}/ (thumbnail or system folder)"
        elif junk is None and _lightroom_previews(entry.path):
            inner_junk = f"inside {entry.name}/ of a Lightroom catalog (previews of its photos)"
        elif junk is None and _cache(entry.path):
            inner_junk = f"inside {entry.name}/ (an application cache: thumbnails, previews)"
        elif junk is None and entry.name == ENGINE_FOLDER:
            inner_junk = (
                f"inside {ENGINE_FOLDER}/, the engine folder of an archive imgorg made "
                "(its journal, thumbnails and the originals its undo puts back)"
            )
        elif junk is None:
            inner_junk = _photo_library_previews(entry.path, entry.name)
        subfolders.append((entry.path, rel, inner_junk))
        return
    result.findings.append(
        Finding(rel, Status.SKIPPED, "not a regular file (device, pipe or socket)")
    )


def _classify_file(
    entry: os.DirEntry[str],
    rel: str,
    junk: str | None,
    extensions: frozenset[str],
    videos: bool,
    result: Plan,
) -> _File | None:
    """A regular file: a media file or sidecar, or a finding."""
    name = entry.name
    st = entry.stat(follow_symlinks=False)
    reason = junk or junk_reason(name, rel)
    if reason:
        result.findings.append(Finding(rel, Status.IGNORED, reason, st.st_size))
        return None
    shown = name.rstrip(" .")  # kinds.extension, for a name without a folder
    dot = shown.rfind(".")
    ext = shown[dot:].lower() if dot >= 0 else ""
    problem = _not_an_mp4(entry.path, ext) if ext in MP4_ONLY_EXTENSIONS else None
    kind = kind_of_extension(ext, extensions, videos)
    if kind is Kind.OTHER and ext in VIDEO_EXTENSIONS and _photo_inside(entry.path):
        kind = Kind.VIDEO  # a photo under a video's name (--no-videos): placed as it is
    if kind is Kind.OTHER or problem:
        reason = problem or _not_taken(ext or "no extension")
        result.findings.append(Finding(rel, Status.IGNORED, reason, st.st_size))
        return None
    return _File(rel, st.st_size, st.st_mtime_ns, kind)


def _photo_inside(path: str) -> bool:
    """Whether the file at ``path`` is a still image by its first bytes (``still_inside``);
    False when it cannot be read (it is left as the video its name says)."""
    try:
        with open(path, "rb") as handle:
            return still_inside(handle.read(12))
    except OSError:
        return False


def _not_an_mp4(path: str, ext: str) -> str | None:
    """Why a file named like a Pixel motion photo's video (``.MP``) or a GoPro MAX's (``.360``)
    is not one, or None."""
    with open(path, "rb") as handle:
        if is_iso_bmff(handle.read(12)):
            return None
    return f"not a video: a {ext} file that is not an MP4 (no 'ftyp' box)"


def _lightroom_previews(path: str) -> bool:
    parent, name = os.path.split(path.lower())
    if name == LIGHTROOM_SYNCED_PREVIEWS:
        return os.path.basename(parent) == LIGHTROOM_SYNCED
    return name.endswith(".lrdata") and name != LIGHTROOM_SYNCED


def _cache(path: str) -> bool:
    parent, name = os.path.split(path.lower())
    return name in CACHE_FOLDERS or (os.path.basename(parent), name) == MAC_CACHES


def _photo_library_previews(path: str, name: str) -> str | None:
    """Why the folder at ``path`` holds no photos of its own, if it is where an Apple photo
    library keeps its previews or thumbnails (the whole path: SOURCE may be the library)."""
    parts = path.split(os.sep)
    for i in range(len(parts) - 2, -1, -1):
        library = parts[i].lower()
        if library.endswith(PHOTO_LIBRARY_SUFFIXES) or IPHOTO.search(library):
            inside = "/".join(parts[i + 1 :]).lower()
            if library.endswith(".photoslibrary") and _ends_with_folders(
                inside, PHOTOS_LIBRARY_PREVIEWS
            ):
                return f"inside {name}/ of a Photos library (previews of its originals)"
            if LIBRARY_THUMBNAILS.fullmatch(inside):
                return f"inside {name}/ of the photo library {parts[i]} (thumbnails of its photos)"
            return None
    return None


def _ends_with_folders(path: str, tails: tuple[str, ...]) -> bool:
    return any(path == tail or path.endswith("/" + tail) for tail in tails)


# What a camera writes beside its videos for its own playback, never the recording itself.
CAMERA_PROXIES = {
    ".lrv": "a low-resolution proxy of a video, for the camera's app (GoPro, DJI, Insta360)",
    ".lrf": "a low-resolution proxy of a video, for the drone's app (DJI)",
}


def _not_taken(ext: str) -> str:
    if ext in VIDEO_EXTENSIONS:
        return "a video (--no-videos)"
    if ext in DEFAULT_EXTENSIONS:
        return f"an image type not in --extensions ({ext})"
    if ext in CAMERA_PROXIES:
        return f"not an image type ({ext}): {CAMERA_PROXIES[ext]}"
    return f"not an image type ({ext})"


NO_PHOTO = "sidecar without its photo"
# A ``.srt`` or ``.xml`` is as often a subtitle or any program's file as a camera's record of
# a video: one that no video beside it owns is not called a sidecar.
_NO_VIDEO = {
    ext: f"not an image type ({ext}), nor the record of a video beside it"
    for ext in VIDEO_SIDECAR_EXTENSIONS
}
# Why a sidecar no file in its folder owns is left alone: its photo or video may be one an
# earlier run placed (and took away from SOURCE), which it then follows.
ORPHANED = frozenset({NO_PHOTO, *_NO_VIDEO.values()})


def _candidates(files: dict[str, _File], result: Plan) -> None:
    """Turn one folder's media files (in name order) into candidates: ``_families``, done
    without grouping where there is nothing to group."""
    image = Kind.IMAGE
    if all(f.kind is image for f in files.values()):
        _each_alone(files, result)
    else:
        _families(files, result)


def _each_alone(files: dict[str, _File], result: Plan) -> None:
    """``_families`` of a folder whose media files are all still images: each is a photo of its
    own, with no companion (two of one stem are two photos), in name order as ``group`` gives."""
    image = Kind.IMAGE.value
    result.candidates.extend(
        Candidate(f.rel, f.size, f.mtime_ns, image, ()) for f in files.values()
    )


def _families(files: dict[str, _File], result: Plan) -> None:
    """Turn one folder's media files into candidates, each with what travels with it."""
    families, orphans = group({name: f.kind for name, f in files.items()})
    for name in orphans:
        item = files[name]
        result.findings.append(
            Finding(item.rel, Status.IGNORED, _NO_VIDEO.get(extension(name), NO_PHOTO), item.size)
        )
    for family in families:
        main = files[family.main]
        companions = tuple(
            Companion(files[n].rel, files[n].size, files[n].mtime_ns) for n in family.companions
        )
        result.candidates.append(
            Candidate(main.rel, main.size, main.mtime_ns, main.kind.value, companions)
        )


@dataclass(slots=True)
class Batch:
    batch_id: int
    candidates: list[Candidate]
    cost: int


def _size_changes(ordered: list[Candidate], i: int) -> bool:
    return i + 1 == len(ordered) or ordered[i + 1].size != ordered[i].size


def shard(
    candidates: list[Candidate],
    workers: int,
    compress_above: int | None,
    max_files: int = 500,
    max_bytes: int = 512_000_000,
) -> list[Batch]:
    """Cut the work into batches of similar cost, the largest files first.

    Files are taken in size order and a batch is not cut between two files of one size (up to
    twice ``max_files``), so byte-identical candidates land in one batch: its worker proves
    them identical (engine/stages/twins.py) and the coordinator settles them as soon as that
    batch returns.
    A file that will be re-encoded costs about as much as reading forty times its bytes.
    """

    def cost(c: Candidate) -> int:
        heavy = compress_above is not None and c.kind == "image" and c.size > compress_above
        riders = sum(companion.size for companion in c.companions)
        return (c.size * 40 if heavy else c.size + 20_000) + riders

    # By size alone (a stable sort: the walk's order within a size): a key per file that is
    # the file's own size object, so a million candidates sort without a million new keys.
    ordered = sorted(candidates, key=attrgetter("size"))
    total = sum(cost(c) for c in ordered)
    target = max(1, min(max_bytes, total // max(1, workers * 8)))
    batches: list[Batch] = []
    current: list[Candidate] = []
    current_cost = 0
    for i, candidate in enumerate(ordered):
        current.append(candidate)
        current_cost += cost(candidate)
        full = current_cost >= target or len(current) >= max_files
        if full and (_size_changes(ordered, i) or len(current) >= 2 * max_files):
            batches.append(Batch(len(batches), current, current_cost))
            current, current_cost = [], 0
    if current:
        batches.append(Batch(len(batches), current, current_cost))
    # Largest files first: the costliest work starts first (batches are cut to a similar cost),
    # and the sizes come back in order, so the coordinator, which holds each result until every
    # file of its size is in, holds few (ordered by cost alone, batches of uneven length came
    # back in no size order: a third of a 100,000-file run waited, 0.4 KB each).
    batches.reverse()
    return batches
