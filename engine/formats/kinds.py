"""Kinds of files an archive holds, by extension (case-insensitive)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from enum import StrEnum


class Kind(StrEnum):
    IMAGE = "image"
    RAW = "raw"
    VIDEO = "video"
    SIDECAR = "sidecar"
    OTHER = "other"


IMAGE_EXTENSIONS = (
    # .mpo: a Multi-Picture file (Fujifilm REAL 3D, Nintendo 3DS), a JPEG with a second image
    *(".jpg", ".jpeg", ".jpe", ".jfif", ".jif", ".mpo"),
    *(".png", ".tif", ".tiff", ".bmp", ".gif", ".webp"),
)
HEIF_EXTENSIONS = (".heic", ".heif", ".hif", ".avif")  # .hif: Fujifilm's HEIF
RAW_EXTENSIONS = (
    *(".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2"),
    # TIFF inside too (dated like the others): Nikon compacts, Pentax, Samsung, Leica, Sony's
    # older, Hasselblad, Epson, Phase One, Kodak, GoPro's (.gpr, a DNG); and three that are not
    # TIFF (Canon's first CRW, Minolta MRW, Sigma X3F: dated by exiftool when it is installed,
    # else as undated)
    *(".nrw", ".pef", ".srw", ".rwl", ".sr2", ".srf", ".3fr", ".erf", ".iiq", ".kdc", ".gpr"),
    *(".crw", ".mrw", ".x3f"),
)
# The video of a Google Pixel motion photo as Google Takeout exports it beside the photo
# (``PXL_1.MP.jpg`` and ``PXL_1.MP``): an MP4 under another name, taken only when its first
# bytes say it is one (``is_iso_bmff``).
MOTION_VIDEO_EXTENSIONS = (".mp", ".mv")
# Those and a GoPro MAX's 360-degree videos (GS010001.360), MP4s too, taken on the same terms.
MP4_ONLY_EXTENSIONS = (*MOTION_VIDEO_EXTENSIONS, ".360")
VIDEO_EXTENSIONS = (
    *(".mov", ".mp4", ".m4v", ".3gp", ".avi", ".mts"),
    # older phones (3GPP2, Windows Phone), camcorders (AVCHD copied off the disc structure,
    # JVC's MPEG-2 .mod/.tod, MPEG movie cameras), screen recorders and the web (Matroska)
    *(".3g2", ".wmv", ".m2ts", ".mod", ".tod", ".mpg", ".mpeg", ".mkv", ".webm"),
    *MP4_ONLY_EXTENSIONS,
)
VIDEO_SIDECAR_EXTENSIONS = (".srt", ".xml")
SIDECAR_EXTENSIONS = (
    *(".xmp", ".aae", ".json", ".thm"),
    # the edits RAW developers keep beside a photo: RawTherapee's ``IMG_1.CR2.pp3``, DxO
    # PhotoLab's ``IMG_1.CR2.dop``, ON1 Photo RAW's ``IMG_1.on1``
    *(".pp3", ".dop", ".on1"),
    # what a camera writes beside each of its videos: DJI's flight record ``DJI_0001.SRT``
    # (position and settings per frame), Sony's clip metadata ``C0001M01.XML``
    *VIDEO_SIDECAR_EXTENSIONS,
)
# The image types taken unless --extensions says otherwise (RAW files and videos always are).
DEFAULT_EXTENSIONS = IMAGE_EXTENSIONS + HEIF_EXTENSIONS


def extension(name: str) -> str:
    """``.jpg`` for ``a/IMG_1.JPG``, and for a file named ``.jpg`` too (which os.path.splitext
    reads as a hidden name with no extension), and for ``IMG_1.JPG `` (trailing spaces and
    dots, which a Linux or macOS copy keeps and no one sees, are no part of it)."""
    return os.path.splitext("_" + os.path.basename(name).rstrip(" ."))[1].lower()


def is_iso_bmff(head: bytes) -> bool:
    """Whether a file's first 12 bytes open an ISO base media file (MP4, QuickTime, 3GP): a
    ``ftyp`` box first."""
    return len(head) >= 12 and head[4:8] == b"ftyp" and int.from_bytes(head[:4], "big") >= 12


# ISO base media brands of still images (HEIF, AVIF) and of Canon's CR3: not a video.
_STILL_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"mif2"}
    | {b"msf1", b"avif", b"avis", b"avio", b"crx "}
)


def video_inside(head: bytes) -> bool:
    """Whether a file's first 12 bytes open a video container: an MP4, QuickTime or 3GP file
    (a ``ftyp`` box whose brand is not a still image's), an AVI, a Matroska or WebM file."""
    if is_iso_bmff(head):
        return head[8:12] not in _STILL_BRANDS
    return (head[:4] == b"RIFF" and head[8:12] == b"AVI ") or head[:4] == b"\x1a\x45\xdf\xa3"


def normalise_extensions(extensions: Iterable[str]) -> frozenset[str]:
    """``jpg, .PNG`` as ``{".jpg", ".png"}``."""
    return frozenset(
        (e if e.startswith(".") else "." + e).lower() for e in (x.strip() for x in extensions) if e
    )


def kind_of(name: str, images: frozenset[str], videos: bool = True) -> Kind:
    return kind_of_extension(extension(name), images, videos)


def kind_of_extension(ext: str, images: frozenset[str], videos: bool = True) -> Kind:
    """``kind_of`` for a file whose ``extension`` is ``ext``."""
    if ext in RAW_EXTENSIONS:
        return Kind.RAW
    if ext in VIDEO_EXTENSIONS:
        return Kind.VIDEO if videos else Kind.OTHER
    if ext in images:
        return Kind.IMAGE
    if ext in SIDECAR_EXTENSIONS:
        return Kind.SIDECAR
    return Kind.OTHER


def still_inside(head: bytes) -> bool:
    """Whether a file's first 12 bytes open a still image a camera, phone or editor writes:
    a JPEG, PNG, GIF or WebP file, or an ISO base media file of a still brand (HEIF, AVIF;
    not Canon's CR3, a RAW file)."""
    if is_iso_bmff(head):
        return head[8:12] in _STILL_BRANDS and head[8:12] != b"crx "
    return head.startswith(_STILL_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


_STILL_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


# How much of a file is read for its dates alone: a RAW file's EXIF lies within its first
# 4 MB (engine/dates/raw.py looks no further); a sidecar (Takeout JSON, XMP) larger than that
# is not one.
RAW_READ_LIMIT = 4_000_000
SIDECAR_READ_LIMIT = 4_000_000
