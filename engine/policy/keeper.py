"""Which of several byte-identical copies is kept: the one a person would keep.

Copies are ranked by these rules, each deciding only where all earlier ones tie:

1. a visible copy over one in a hidden path (a component starting with ``.``, such as
   ``.trashed-1690000000-IMG_1.jpg``), a trash or recycle folder (``$RECYCLE.BIN``,
   ``#recycle``, ``@Recycle``, ``RECYCLER``, Google Photos' ``Trash`` or ``Bin``) or a NAS's
   snapshot folder (Synology's ``#snapshot``, QNAP's ``@Recently-Snapshot``, NetApp's
   ``~snapshot``: an earlier state of the share, shown beside it);
2. a copy with companions beside it (RAW, Live Photo video, sidecars) over one without;
3. a copy named as what it is over the same bytes under another kind's name: a video under a
   video's name over one under an image's (an MP4 a messenger or a web page handed out as
   ``clip.gif``: a player opens ``clip.mp4``, an image viewer fails on the other), a photo
   under an image's name over one under a video's (a JPEG also saved as ``MVI_0001.AVI``,
   which is placed as it is, never turned upright nor made smaller);
4. an original over a copy named as one (``Copy of x``, ``x - Copy``, ``x copy 2``, ``x (1)``,
   ``x 2``, ``x (conflicted copy)``, Dropbox Camera Uploads' ``2019-05-12 10.10.10-1``;
   folders such as ``copies/``, ``Backup/``, ``Trip (copy)/``);
5. a named album folder over a generic one (``Photos from 2019``, ``2019-07-04``, ``Camera
   Uploads``, ``DCIM/100APPLE``, SOURCE itself);
6. the best-founded date (in the date precedence, ``PRECEDENCE`` in date_precedence.py);
7. the lowest path: folder by folder, then the name without its extension, then the extension,
   each in byte order (``IMG_1.jpg`` before ``IMG_1-1.jpg``), so that the choice is always the
   same.

Pure: the rank depends only on the copy, never on the order the copies were found in.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from engine.formats.kinds import VIDEO_EXTENSIONS, extension
from engine.policy.date_precedence import DATE_RANK
from engine.records import DateSource

# File managers name a copy, a trash and a picture folder in the user's language: the words of
# Windows Explorer, macOS Finder and the common Linux desktops in the languages most archives
# are kept in (English, German, French, Spanish, Italian, Portuguese, Dutch, the Nordic
# languages, Polish, Czech, Slovak, Hungarian, Turkish, Russian, Ukrainian).
TRASH_FOLDERS = frozenset(
    {"$recycle.bin", "#recycle", "@recycle", "recycler", "recycled"}
    # Google Photos' trash as Takeout exports it (en-US, en-GB), an iPhone's album, Windows'.
    | {"trash", "bin", "recently deleted", "recycle bin", "deleted items"}
    | {"papierkorb", "corbeille", "papelera", "cestino", "lixeira", "prullenbak"}
    | {"papperskorgen", "papirkurv", "papirkurven", "roskakori", "kosz", "koš", "kôš"}
    | {"lomtár", "çöp kutusu", "корзина", "кошик"}
)
# A NAS's read-only snapshots of a share, which its file sharing shows inside the share.
SNAPSHOT_FOLDERS = frozenset({"#snapshot", "@recently-snapshot", "~snapshot"})
_NOT_LIVE = TRASH_FOLDERS | SNAPSHOT_FOLDERS
_COPY_WORD = r"(copy|kopie|copie|copia|cópia|kopia|kopi|kopio|kopya|másolat|kópia|копия|копія)"
_N = r"( \(\d+\))?"  # a copy's number: Copy (2) of x, Kopie (2) von x
_COPY_STEM = re.compile(
    rf"^(copy{_N} of|kopie{_N} von|copie{_N} de|copia{_N} de|cópia{_N} de|copia{_N} di) |"
    rf"[ _-]+{_COPY_WORD}( ?\(?\d+\)?)?$|"  # x - Copy, x - Kopie (2), x copie, x_copy
    r" ?\(\d+\)$|"  # x (1), x(1)
    rf" ?\([^()]*\b{_COPY_WORD}\b[^()]*\)$"  # x (copy), x (Anna's conflicted copy 2019-07-01)
)
# Finder's "Keep Both" and iCloud: x 2 (a file's name only: a folder "Day 2" is an album)
_NUMBERED_COPY = re.compile(r" \d{1,3}$")
# Dropbox's Camera Uploads names a photo by its date and time and numbers one that comes again
# (the same photo uploaded from a second phone or after a reinstall): 2019-05-12 10.10.10-1
_UPLOADED_AGAIN = re.compile(r"^\d{4}-\d\d-\d\d \d\d\.\d\d\.\d\d-\d{1,3}$")
_COPY_FOLDER = re.compile(
    r"\b(cop(y|ies)|backups?|duplicates?"
    r"|kopien|sicherung(en)?|duplikate|copies|sauvegardes?|doublons"
    r"|copias?|respaldos?|duplicados|copie|duplicati|cópias|kopieën|dubbletter|kopie|kopia)\b"
)
_GENERIC_FOLDER = re.compile(
    r"^((photos from|fotos von|photos de|fotos de|foto del|foto's uit|fotos fra|zdjęcia z) \d{4}"
    r"|\d{4}([-_. ]?\d{2}){0,2}([ _-]\d{2}[.:-]?\d{2}([.:-]?\d{2})?)?"  # 2019, 2019-07-04 12.30
    r"|camera uploads|camera roll|camera|dcim|pictures|my pictures|photos|images"
    r"|bilder|eigene bilder|fotos|kamera|kamera-uploads|mes images|imágenes|mis imágenes"
    r"|immagini|le mie immagini|afbeeldingen|mijn afbeeldingen|foto|zdjęcia|obrazy|képek"
    r"|obrázky|fotky"
    r"|resimler|фото|изображения|фотографии|зображення"
    r"|\d{3}[a-z0-9_]{5}"  # DCF camera folders: 100APPLE, 101CANON, 100_0801
    r")$"
)


@dataclass(frozen=True, slots=True)
class Copy:
    """What the rules look at in one copy: its path below SOURCE, whether files travel with it,
    and where its date came from."""

    rel: str
    has_companions: bool = False
    date_source: DateSource = DateSource.NONE
    still: bool = False  # its bytes are a still image (told by content, whatever its name)


PathOrder = tuple[tuple[bytes, ...], bytes, bytes]
Rank = tuple[bool, bool, bool, bool, bool, int, PathOrder]


def rank(copy: Copy) -> Rank:
    """The copy's place in the keeper order: the lowest rank is kept."""
    rel = copy.rel
    folder, _, name = rel.rpartition(os.sep)
    if not name:  # no file name after the last separator: judged whole
        hidden, copied, generic = hidden_or_trash(rel), named_as_copy(rel), in_generic_folder(rel)
    else:
        hidden, copied, generic = _folder_facts(folder)
        hidden = hidden or _hidden_or_trash_part(name)
        copied = copied or _copy_name(name)
    return (
        hidden,
        not copy.has_companions,
        misnamed(copy),
        copied,
        generic,
        DATE_RANK[copy.date_source],
        path_order(rel),
    )


def path_order(rel: str) -> PathOrder:
    """The last rule's key: the folders, one by one, then the name without its extension,
    then the extension, each in byte order. So ``IMG_1.jpg`` comes before ``IMG_1-1.jpg`` (a
    whole path in byte order puts ``-`` before ``.``) and ``Trip/x.jpg`` before
    ``Trip-2/x.jpg`` (``/`` after ``-``)."""
    folder, _, name = os.fsencode(rel).rpartition(_SEP)
    stem, _, extension = name.rpartition(b".")
    if not stem.strip(b"."):  # no extension: ``.hidden``, ``README``
        stem, extension = name, b""
    return tuple(folder.split(_SEP)) if folder else (), stem, extension


_SEP = os.fsencode(os.sep)


@functools.lru_cache(maxsize=4096)
def _folder_facts(folder: str) -> tuple[bool, bool, bool]:
    """What ``rank`` reads from a copy's folder (the same for every file in it): whether it is
    hidden, a trash or a snapshot; whether it is named as a copy; whether it is generic."""
    parts = _parts(folder)
    return (
        any(map(_hidden_or_trash_part, parts)),
        any(map(_copy_folder, parts)),
        in_generic_folder(f"{folder}{os.sep}_" if folder else "_"),
    )


def keeper(copies: list[Copy]) -> Copy:
    """The copy to keep."""
    return min(copies, key=rank)


RULES = (
    "it is not hidden or in a trash folder or a snapshot",
    "files travel with it",
    "it is named as what it is (a video as a video, a photo as an image)",
    "its name is not a copy's",
    "it is in a named album folder",
    "its date is better founded",
    "its path sorts first",
)


def why(kept: Copy, other: Copy) -> str:
    """The rule that put ``kept`` before ``other``, in words."""
    return why_ranked(rank(kept), rank(other))


def why_ranked(kept: Rank, other: Rank) -> str:
    """``why`` of two copies' ranks."""
    for reason, mine, theirs in zip(RULES, kept, other, strict=True):
        if mine != theirs:
            return reason
    return RULES[-1]


def misnamed(copy: Copy) -> bool:
    """Whether the copy's name says another kind of file than its bytes: a video's name on a
    photo's bytes, or an image's name on a video's (a copy not ``still``)."""
    return (extension(copy.rel) in VIDEO_EXTENSIONS) == copy.still


def hidden_or_trash(rel: str) -> bool:
    return any(map(_hidden_or_trash_part, _parts(rel)))


def _hidden_or_trash_part(part: str) -> bool:
    return part.startswith(".") or part.casefold() in _NOT_LIVE


def named_as_copy(rel: str) -> bool:
    *folders, name = _parts(rel)
    return _copy_name(name) or any(map(_copy_folder, folders))


def _copy_name(name: str) -> bool:
    stem = os.path.splitext(name)[0].casefold()
    return bool(
        _COPY_STEM.search(stem) or _NUMBERED_COPY.search(stem) or _UPLOADED_AGAIN.match(stem)
    )


def _copy_folder(folder: str) -> bool:
    lowered = folder.casefold()
    return bool(_COPY_FOLDER.search(lowered) or _COPY_STEM.search(lowered))


def in_generic_folder(rel: str) -> bool:
    """True when the copy's own folder names no album: a dated dump, an export's catch-all, a
    camera folder, or SOURCE itself."""
    folder = os.path.basename(os.path.dirname(rel))
    return not folder or bool(_GENERIC_FOLDER.match(folder.casefold()))


def _parts(rel: str) -> list[str]:
    return [p for p in rel.split(os.sep) if p]
