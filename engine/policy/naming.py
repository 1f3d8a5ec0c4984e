"""Where a file belongs in DEST, and the next free name when that one is taken. Pure functions."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import string
from dataclasses import dataclass
from enum import StrEnum

NAME_MAX = 255  # bytes, on every common Linux filesystem
PATH_MAX = 4096  # bytes of a whole path, its final NUL included (Linux)
UTF8_MAX = 4  # bytes a character of a path takes at most (one it could not decode takes one)


class Layout(StrEnum):
    NESTED = "nested"  # DEST/<year>/<folder relative to SOURCE>/<name>
    FLAT = "flat"  # DEST/<year>/<name>


# A layout is nested, flat, or a folder template such as "{year}/{year}-{month:02}".
LayoutSpec = Layout | str
LAYOUT_TOKENS = ("year", "month", "month_name", "day", "camera", "source_folder")
RENAME_TOKENS = (*LAYOUT_TOKENS, "date", "name")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
UNKNOWN_CAMERA = "Unknown camera"
_SAMPLE = dt.datetime(2019, 12, 31, 23, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))


# Android's prefix of a file in its trash or still being written (the seconds are when the trash
# empties itself): .trashed-1700000000-IMG_1.jpg is IMG_1.jpg
ANDROID_PREFIX = re.compile(r"^\.(trashed|pending)-\d+-(?=.)")
# Folders a Mac shows as one document (a package), where the application that owns them is
# installed: the photo libraries of Photos, iPhoto, Aperture, Lightroom and Capture One, and
# Lightroom Classic's Mobile Downloads.lrdata (its synced photos, engine/stages/walk.py). A
# folder placed under such a name would hide its photos in the Finder (and open the
# application, which would take it for a damaged library).
_PACKAGE = re.compile(
    r"\.(?:photoslibrary|photolibrary|migratedphotolibrary|aplibrary|migratedaplibrary"
    r"|lrlibrary|lrdata|cocatalog)(?=/)",
    re.IGNORECASE,
)


def visible(rel: str) -> str:
    """``rel`` with no hidden component: Android's ``.trashed-<seconds>-`` prefix and leading
    dots dropped (``.Trash-1000/.trashed-1690000000-IMG_1.jpg`` -> ``Trash-1000/IMG_1.jpg``).
    A file name that is nothing but its extension keeps it (``.trashed-1-.jpg`` -> ``_.jpg``).
    A file name's trailing spaces and dots, unseen and no part of its extension, are dropped
    (``IMG_1.JPG `` -> ``IMG_1.JPG``). A folder named as a photo library is placed without
    its package extension (``Photos Library.photoslibrary/originals`` -> ``Photos
    Library/originals``)."""
    hidden = rel.startswith(".") or f"{os.sep}." in rel or rel.endswith((" ", "."))
    if not hidden and not _PACKAGE.search(rel):
        return rel
    *folders, name = rel.split(os.sep)
    parts = [_folder_shown(part) for part in folders]
    name = name.rstrip(" .") or name
    if name.startswith("."):
        shown = _shown(name)
        dot = name.rfind(".")
        if not os.path.splitext(shown)[1] and dot + 1 < len(name):
            shown = "_" + name[dot:]
        name = shown
    return os.sep.join([*parts, name])


def _shown(part: str) -> str:
    return ANDROID_PREFIX.sub("", part).lstrip(".") or "_"


def _folder_shown(part: str) -> str:
    shown = _shown(part) if part.startswith(".") else part
    if _PACKAGE.search(shown + "/"):
        shown = shown[: shown.rfind(".")].rstrip(" .") or "_"
    return shown


class TemplateError(ValueError):
    pass


def parse_layout(text: str) -> LayoutSpec:
    """``nested``, ``flat`` or a checked folder template."""
    try:
        return Layout(text.lower())
    except ValueError:
        pass
    check_template(text, LAYOUT_TOKENS, "layout")
    return text


def check_template(text: str, tokens: tuple[str, ...], what: str) -> str:
    """``text`` if every ``{token}`` in it is known and renders; TemplateError otherwise."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise TemplateError(f"{what} template {text!r}: {exc}") from None
    if "\x00" in text:
        raise TemplateError(f"{what} template {text!r} holds a NUL, which no path may hold")
    unknown = sorted({f for f in fields if f not in tokens})
    if unknown:
        named = ", ".join("{" + u + "}" for u in unknown)
        known = ", ".join("{" + t + "}" for t in tokens)
        raise TemplateError(f"{what} template {text!r}: unknown token(s) {named}; known: {known}")
    if not fields:
        raise TemplateError(f"{what} template {text!r} has no {{token}}")
    try:
        rendered = text.format_map(_values(_SAMPLE, "Canon EOS 40D", "Trip/day 1/IMG_1.jpg"))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TemplateError(f"{what} template {text!r}: {exc}") from None
    if os.path.isabs(rendered) or ".." in rendered.split("/"):
        raise TemplateError(f"{what} template {text!r} must stay inside DEST")
    if any(part.startswith(".") for part in rendered.split("/")):
        raise TemplateError(
            f"{what} template {text!r} makes a hidden folder or name (DEST's .imgorg is "
            "imgorg's own; a hidden one is skipped when DEST is read again)"
        )
    return text


def template_folders(layout: LayoutSpec) -> str | None:
    """The folders below DEST a ``--layout`` template places every dated file in, as far as it
    names them without a token (``Photos/{year}`` -> ``Photos``); None for nested, flat or a
    template whose first folder is a token's."""
    if isinstance(layout, Layout):
        return None
    literal = []
    for part in (p for p in layout.split("/") if p.strip()):
        if "{" in part or "}" in part:
            break
        literal.append(part)
    return "/".join(literal) or None


def _segment(text: str) -> str:
    """A value as one folder or name part: no slashes, no NULs, never hidden (a camera named
    ``.imgorg`` must not write into the journal's folder)."""
    clean = " ".join(text.replace("/", "_").replace("\x00", "").split())
    return clean.lstrip(".") or "_"


# The printable characters Windows, FAT and exFAT disks and SMB shares refuse in a name (and
# every control character).
FAT_REFUSES = '<>:"\\|?*'
# The camera's make and model are whatever its maker wrote (Samsung: ``Digimax i50 MP3
# <Digimax i50 MP3, Samsung #1 MP3>``): what such a disk refuses is left out of them.
_NOT_PORTABLE = re.compile(f"[{re.escape(FAT_REFUSES)}\\x00-\\x1f\\x7f]")


def _camera_segment(camera: str) -> str:
    """The camera's make and model as a folder or name part that a Windows share or an exFAT
    disk also holds: no character they refuse, no trailing dot or space (which they drop)."""
    return _segment(_NOT_PORTABLE.sub("_", camera)).rstrip(". ") or UNKNOWN_CAMERA


def _values(when: dt.datetime, camera: str | None, rel: str) -> dict[str, object]:
    return {
        "year": when.year,
        "month": when.month,
        "month_name": MONTH_NAMES[when.month - 1],
        "day": when.day,
        "camera": _camera_segment(camera) if camera else UNKNOWN_CAMERA,
        "source_folder": os.path.dirname(rel),
        "date": when,
        "name": _segment(os.path.splitext(os.path.basename(rel))[0]),
    }


def _clean_path(rendered: str) -> str:
    """Folders a layout rendered: none empty, hidden or longer than a folder name may be."""
    parts = [p for p in rendered.split("/") if p.strip()]
    return "/".join(_fitted(p.lstrip(".") or "_") for p in parts)


def _fitted(part: str) -> str:
    encoded = os.fsencode(part)
    return _cut(encoded, NAME_MAX) if len(encoded) > NAME_MAX else part


def layout_part(rel: str, layout: LayoutSpec) -> str:
    """The part of the destination below the year (or template) folder, never hidden."""
    return visible(rel if layout is Layout.NESTED else os.path.basename(rel))


def destination(folder: str, rel: str, layout: LayoutSpec) -> str:
    """Destination relative to DEST, e.g. ``2019/Trip/IMG_1.jpg``."""
    return os.path.join(folder, layout_part(rel, layout))


def dated_destination(
    rel: str,
    when: dt.datetime,
    camera: str | None,
    layout: LayoutSpec,
    rename: str | None = None,
) -> str:
    """Where a dated file goes: its year folder (or the folders of a layout template) and its
    name (or the name a rename template gives, with the file's own extension)."""
    if isinstance(layout, Layout) and not rename:
        return destination(str(when.year), rel, layout)
    values = _values(when, camera, rel)
    if isinstance(layout, Layout):
        target = destination(str(when.year), rel, layout)
    else:
        folder = _clean_path(layout.format_map(values)) or str(when.year)
        target = os.path.join(folder, layout_part(rel, layout))
    if rename:
        stem, extension = _segment(rename.format_map(values)), os.path.splitext(visible(rel))[1]
        room = NAME_MAX - len(os.fsencode(extension))
        if len(os.fsencode(stem)) > room:
            stem = _cut(os.fsencode(stem), room)
        target = os.path.join(os.path.dirname(target), stem + extension)
    return target


def with_suffix(path: str, n: int, reserve: int = 0) -> str:
    """``a/b/name.jpg`` -> ``a/b/name_<n>.jpg``, shortening the stem to fit NAME_MAX bytes with
    ``reserve`` bytes to spare (what the longest companion adds to the name, so that
    ``name_1.jpg.xmp`` fits too)."""
    if n == 0 and (len(path) - path.rfind(os.sep) - 1) * UTF8_MAX + reserve <= NAME_MAX:
        return path  # short whatever its characters: no need to encode it
    folder, name = os.path.split(path)
    if n == 0 and len(os.fsencode(name)) + reserve <= NAME_MAX:
        return path
    stem, extension = os.path.splitext(name)
    suffix = f"_{n}{extension}" if n else extension
    room = NAME_MAX - reserve - len(os.fsencode(suffix))
    encoded = os.fsencode(stem)
    if len(encoded) > room:
        stem = _cut(encoded, room)
    return os.path.join(folder, stem + suffix)


def path_key(path: str) -> bytes:
    """Byte order of paths, the tie-break used everywhere a choice must be deterministic."""
    return os.fsencode(path)


def _cut(encoded: bytes, room: int) -> str:
    """The longest prefix of ``encoded`` within ``room`` bytes that ends on a whole character."""
    for end in range(room, max(0, room - 4), -1):
        try:
            return encoded[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return os.fsdecode(encoded[:room])


# Windows' reserved device names: ``CON``, ``con.jpg`` and ``CON .jpg`` all name the device.
_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in ("0123456789¹²³")]
)
REPLACEMENT = "_"  # what a refused character becomes in DEST


@dataclass(frozen=True, slots=True)
class DestNames:
    """What DEST's filesystem refuses in a name (engine/store/dest_names.py finds out, once per
    run), and the name a file gets there instead: each refused character becomes ``_``; on a
    disk Windows reads (one refusing its characters) a name loses a trailing dot or space and a
    device name (``CON``, ``com1.jpg``) gets a ``_`` after it."""

    filesystem: str  # as a note names it: "exFAT"
    refused: frozenset[str] = frozenset()  # the characters refused
    windows: bool = False

    def adapted(self, path: str) -> str:
        """``path`` (below DEST) with every part as DEST's filesystem takes it."""
        if not self._changes(path):
            return path
        if self.refused:
            path = _refused_pattern(self.refused).sub(REPLACEMENT, path)
        if self.windows:
            path = "/".join(map(_windows_part, path.split("/")))
        return path

    def _changes(self, path: str) -> bool:
        """Whether ``adapted`` changes ``path``, told quickly for the many names it does not."""
        if not self.refused.isdisjoint(path):
            return True
        if not self.windows:
            return False
        if " /" in path or "./" in path or path.endswith((".", " ")):
            return True
        return any(word.upper() in _DEVICES for word in _DEVICE_LIKE.findall(path))

    def why(self, path: str) -> str | None:
        """The note for a file whose destination ``path`` had to be adapted; None if not."""
        found = set(_refused_pattern(self.refused).findall(path)) if self.refused else set()
        undecodable = sorted(c for c in found if _is_undecodable(c))
        chars = sorted(found.difference(undecodable))
        said = [f"{self.filesystem} refuses {' '.join(map(repr, chars))}"] if chars else []
        if undecodable:
            shown = " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in undecodable)
            said.append(f"{self.filesystem} refuses a name that is not UTF-8 (byte {shown})")
        if self.windows:
            parts = path.split("/")
            ends = sorted({p[-1] for p in parts if p.endswith((".", " "))})
            devices = sorted({_device(p) for p in parts if _device(p)})
            windows = [f"a name ending in {e!r}" for e in ends]
            windows += [f"the device name {d!r}" for d in devices]
            if windows:
                said.append("Windows refuses " + ", ".join(windows))
        return f"renamed for DEST's filesystem ({'; '.join(said)})" if said else None


# What a path below DEST/.imgorg/originals writes as %XX: what any disk refuses, a byte that is
# no UTF-8 (a Latin-1 name from an old Linux tree), and '%' itself, so that two paths stay two.
_UNKEPT = re.compile(f"[%{re.escape(FAT_REFUSES)}\\x00-\\x1f\\x7f\\udc80-\\udcff]")


def portable(rel: str) -> str:
    """``rel`` as any disk takes it, one to one: each character a FAT or exFAT disk refuses
    (and ``%``) as ``%XX``, as are a part's trailing dot or space and a device name's first
    letter (``Trip: Rome./CON.jpg`` -> ``Trip%3A Rome%2E/%43ON.jpg``)."""
    if _UNKEPT.search(rel) is None and _WINDOWS_ONLY.adapted(rel) == rel:
        return rel
    return "/".join(map(_portable_part, rel.split("/")))


_WINDOWS_ONLY = DestNames("Windows", windows=True)  # a trailing dot or space, a device name


def _portable_part(part: str) -> str:
    part = _UNKEPT.sub(_escape, part)
    if _device(part):
        part = _escape_char(part[0]) + part[1:]
    stripped = part.rstrip(". ")
    return stripped + "".join(map(_escape_char, part[len(stripped) :]))


def _escape(found: re.Match[str]) -> str:
    return _escape_char(found.group())


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"%{code - 0xDC00 if _is_undecodable(char) else code:02X}"  # a byte: its value


def _is_undecodable(char: str) -> bool:
    """Whether ``char`` is how Python reads a byte of a name that is not UTF-8."""
    return "\udc80" <= char <= "\udcff"


@functools.lru_cache(maxsize=4)
def _refused_pattern(refused: frozenset[str]) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(''.join(sorted(refused)))}]")


_DEVICE_LIKE = re.compile(r"(?:^|/)([A-Za-z]{3}[0-9¹²³]?) *(?=[./]|\Z)")


def _device(part: str) -> str:
    """The device name ``part`` names (``con.jpg``: ``con``), or ``""``."""
    stem = part.split(".", 1)[0].rstrip(" ")
    return stem if stem.upper() in _DEVICES else ""


def _windows_part(part: str) -> str:
    part = part.rstrip(". ") or REPLACEMENT
    device = _device(part)
    return device + REPLACEMENT + part[len(device) :] if device else part
