"""Which files travel with which photo: RAW+JPEG, HEIC+MOV (Live Photo) and Pixel motion photo
(``x.MP.jpg`` + ``x.MP``) pairs, and the sidecars editors and exporters leave beside a photo
(``.xmp``, ``.aae``, ``.thm``, Google Takeout ``.json`` with all its name variants). Pure
functions over the names in one folder."""

from __future__ import annotations

import bisect
import itertools
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.formats.kinds import MOTION_VIDEO_EXTENSIONS, VIDEO_SIDECAR_EXTENSIONS, Kind, extension
from engine.policy.naming import with_suffix

_PRIORITY = {Kind.IMAGE: 0, Kind.RAW: 1, Kind.VIDEO: 2}
_COPY_NUMBER = re.compile(r"^(?P<base>.*?)(?P<n>\(\d+\))$")
_SUPPLEMENTAL = ".supplemental-metadata"
TAKEOUT_NAME_LIMIT = 46  # Takeout cuts "<name>.<ext>" this short before adding ".json"


@dataclass
class Family:
    main: str
    companions: list[str] = field(default_factory=list)


def _fold(name: str) -> str:
    """A name as a person reads it: case aside, and ``é`` one character or two (NFC, NFD)."""
    return unicodedata.normalize("NFC", name).casefold()


def _stem(name: str) -> str:
    return _fold(os.path.splitext(name)[0])


# A Pixel's RAW+JPEG shot: ``PXL_1.RAW-01.COVER.jpg`` (or ``.RAW-01.MP.COVER.jpg``, a motion
# photo) and its ``PXL_1.RAW-02.ORIGINAL.dng``, two stems of one shot.
_PIXEL_RAW = re.compile(r"(?P<shot>.+?)\.raw-\d+\.(?:[^.]+\.)*?(?:cover|original)(?=\.|$)")


def _pair_stem(name: str, kind: Kind, image_stems: set[str], stem: str) -> str:
    """The stem a file pairs by (``stem`` is its own). A Pixel motion photo's video pairs by its
    whole name: Takeout exports ``x.MP`` beside ``x.MP.jpg`` (whose stem is ``x.MP``); with no
    such photo beside it, by its stem like any video (``x.MP`` beside ``x.jpg``). A Pixel RAW
    and its cover photo pair by their shot (``x.RAW-02.ORIGINAL.dng``, ``x.RAW-01.COVER.jpg``)."""
    if kind is Kind.VIDEO and extension(name) in MOTION_VIDEO_EXTENSIONS:
        whole = _fold(name)
        if whole in image_stems or stem not in image_stems:
            return whole
    pixel = _PIXEL_RAW.fullmatch(stem)
    if pixel is not None and kind in (Kind.IMAGE, Kind.RAW):
        return pixel["shot"] + ".raw"
    return stem


def _after(name: str, prefix: str) -> str | None:
    """What follows ``prefix`` in ``name``, the two compared folded; None when it is not one."""
    folded = _fold(prefix)
    if not _fold(name).startswith(folded):
        return None
    for end in range(len(name) + 1):
        if _fold(name[:end]) == folded:
            return name[end:]
    return None


def group(names: dict[str, Kind]) -> tuple[list[Family], list[str]]:
    """Families of one folder's media files and sidecars; and the sidecars that match nothing.

    Within a stem, the first still image is the main file and a RAW or a video of the same stem
    is its companion; two still images of one stem are two photos. Without a still image, the
    first RAW is the main file and the rest its companions; videos alone are each a main file
    of their own (``clip.avi`` and its export ``clip.mp4``).
    """
    by_stem: dict[str, list[str]] = {}
    stems = {name: _stem(name) for name, kind in names.items() if kind in _PRIORITY}
    image_stems = {stems[name] for name, kind in names.items() if kind is Kind.IMAGE}
    for name, kind in sorted(names.items()):
        if kind in _PRIORITY:
            pair = _pair_stem(name, kind, image_stems, stems[name])
            by_stem.setdefault(pair, []).append(name)
    families: dict[str, Family] = {}
    for members in by_stem.values():
        members.sort(key=lambda n: (_PRIORITY[names[n]], n))
        images = [n for n in members if names[n] is Kind.IMAGE]
        others = [n for n in members if names[n] is not Kind.IMAGE]
        raws = [n for n in others if names[n] is Kind.RAW]
        if images:
            for image in images:
                families[image] = Family(image)
            families[images[0]].companions.extend(others)
        elif raws:  # an iPhone ProRAW Live Photo: the DNG and its video
            families[raws[0]] = Family(raws[0], [n for n in others if n != raws[0]])
        else:
            for alone in others:
                families[alone] = Family(alone)
    orphans = []
    mains = Mains(sorted(families), stems)
    # A RAW or video that travels with a photo keeps its own sidecars by its whole name
    # (darktable's ``DSC_1.NEF.xmp`` beside ``DSC_1.JPG``, Takeout's ``IMG_1.MP4.json``).
    travelling = {
        _fold(companion): family.main
        for family in families.values()
        for companion in family.companions
    }
    # And a RAW its ``.xmp`` by its stem where that is not its photo's (Lightroom's
    # ``PXL_1.RAW-02.ORIGINAL.xmp`` beside ``PXL_1.RAW-01.COVER.jpg``).
    raw_owners = {
        stems[companion]: family.main
        for family in families.values()
        for companion in family.companions
        if names[companion] is Kind.RAW
    }
    for name, kind in sorted(names.items()):
        if kind is not Kind.SIDECAR:
            continue
        key = sidecar_key(name)
        owner = mains.owner(name) or travelling.get(key)
        if owner is None and extension(name) == ".xmp":
            # no file of the folder has the name it gives (none is a main nor travels with one)
            original = darktable_original(key) or ""
            owner = raw_owners.get(key) or mains.version_owner(name) or travelling.get(original)
        if owner is None:
            orphans.append(name)
        else:
            families[owner].companions.append(name)
    return sorted(families.values(), key=lambda f: f.main), orphans


def own_sidecars(alone: str, kind: Kind, sidecars: list[str]) -> list[str]:
    """The sidecars among ``sidecars`` that stay with ``alone``, a RAW or a video placed apart
    from the corrupt photo it travelled with: those named after its whole name (darktable's
    ``IMG_1.CR2.xmp``, Takeout's ``IMG_1.MOV.json``) and, by its stem, a RAW's ``.xmp``
    (Lightroom's and Bridge's, which describe the RAW: a JPEG carries its XMP inside) and a
    video's ``.thm`` (the camera's index picture of that video), ``.srt`` and Sony's ``.xml``."""
    whole, stem = _fold(alone), _stem(alone)
    by_stem = _OWN_BY_STEM.get(kind, ())
    return [
        name
        for name in sidecars
        if sidecar_key(name) == whole
        or (sidecar_key(name) == stem and extension(name) in by_stem)
        or (extension(name) == ".xmp" and darktable_original(sidecar_key(name)) == whole)
        or (
            kind is Kind.VIDEO
            and extension(name) == ".xml"
            and sony_clip(sidecar_key(name)) == stem
        )
    ]


# The sidecars a RAW or a video keeps by its stem when placed apart from its photo.
_OWN_BY_STEM = {Kind.RAW: (".xmp",), Kind.VIDEO: (".thm", *VIDEO_SIDECAR_EXTENSIONS)}


def match_sidecar(sidecar: str, mains: list[str]) -> str | None:
    """The main file a sidecar belongs to (``Mains.owner``); for many sidecars of one folder,
    make the ``Mains`` once."""
    return Mains(mains).owner(sidecar)


class Mains:
    """One folder's main files, looked up by the names their sidecars give them: each look-up
    costs the matches, not a pass over the folder (a Takeout folder holds tens of thousands of
    photos, each with its JSON)."""

    def __init__(self, mains: list[str], stems: Mapping[str, str] | None = None) -> None:
        """``stems``: the mains' ``_stem``, where the caller has them already."""
        self.by_name: dict[str, list[str]] = {}
        self.by_stem: dict[str, list[str]] = {}
        folded = []
        for i, main in enumerate(mains):
            whole = _fold(main)
            folded.append((whole, i))
            self.by_name.setdefault(whole, []).append(main)
            stem = stems[main] if stems is not None else _stem(main)
            self.by_stem.setdefault(stem, []).append(main)
        for same_stem in self.by_stem.values():
            if len(same_stem) > 1:
                same_stem.sort(key=lambda m: (_stem_rank(m), m))
        self.folded = sorted(folded)
        self.mains = mains

    def owner(self, sidecar: str, without: str | None = None) -> str | None:
        """The main file a sidecar belongs to, by the conventions of the tools that write them;
        ``without``: a main file to leave out.

        Names match regardless of case and Unicode form (NFC or NFD); where two mains differ
        only so, the one spelled as the sidecar is chosen."""
        lowered = sidecar_key(sidecar)
        found = _pick([m for m in self.by_name.get(lowered, []) if m != without], sidecar)
        if found is None:
            found = _pick([m for m in self.by_stem.get(lowered, []) if m != without], sidecar)
        base = os.path.splitext(sidecar)[0]
        truncated = sidecar.casefold().endswith(".json") and len(base) >= TAKEOUT_NAME_LIMIT - 2
        if found is None and _APPLE_ORIGINAL.fullmatch(lowered) and extension(sidecar) == ".aae":
            for stem in _apple_photos(lowered):
                found = found or _pick([m for m in self.by_stem.get(stem, []) if m != without], "")
        if found is None and truncated:
            return self._cut_short(lowered, without)
        clip = sony_clip(lowered) if found is None and extension(sidecar) == ".xml" else None
        if clip is not None:
            found = _pick([m for m in self.by_stem.get(clip, []) if m != without], sidecar)
        return found

    def version_owner(self, sidecar: str, without: str | None = None) -> str | None:
        """The main file whose darktable duplicate ``sidecar`` describes (``darktable_original``),
        for a caller that knows no file of the folder has the name the sidecar gives: where
        one has (``IMG_5_01.CR2`` beside ``IMG_5.CR2``), ``IMG_5_01.CR2.xmp`` is its own."""
        original = darktable_original(sidecar_key(sidecar))
        if original is None or extension(sidecar) != ".xmp":
            return None
        return _pick([m for m in self.by_name.get(original, []) if m != without], sidecar)

    def _cut_short(self, key: str, without: str | None) -> str | None:
        """The one main whose name begins with ``key``, a Takeout JSON's name cut at 46
        characters; where two do, a photo and Takeout's numbered copy of its name
        (``x_long_name.jpg``, ``x_long_name(1).jpg``: ``x_long_n.json``, ``x_long_n(1).json``),
        the one that carries the number the JSON carries after the cut, or none. A number the
        cut name ends with that no such copy carries is part of the name (``x (1) edit.jpg``)."""
        numbered = _COPY_NUMBER.match(key)
        if numbered is None:
            return self._begun_by(key, "", without)
        found = self._begun_by(numbered["base"], numbered["n"], without)
        return found or self._begun_by(key, "", without)

    def _begun_by(self, prefix: str, number: str, without: str | None) -> str | None:
        """The one main (not ``without``) whose name begins with ``prefix``, its stem ending
        with copy number ``number`` after it where one is asked for or two names begin so."""
        start = bisect.bisect_left(self.folded, (prefix,))
        end = bisect.bisect_left(self.folded, (prefix + _LAST_CHARACTER,), start)
        if end - start > _CUT_SHORT_LIMIT:
            return None
        cut = [self.mains[i] for _, i in self.folded[start:end] if self.mains[i] != without]
        if number or len(cut) > 1:
            cut = [m for m in cut if _copy_number(_stem(m)[len(prefix) :]) == number]
        return cut[0] if len(cut) == 1 else None


_CUT_SHORT_LIMIT = 16  # names a cut JSON name could belong to, beyond which it is left alone


def _copy_number(rest: str) -> str:
    """The copy number (``(1)``) ``rest``, the end of a stem, ends with, or ``""``."""
    numbered = _COPY_NUMBER.match(rest)
    return numbered["n"] if numbered else ""


# The edit sidecar of an iPhone photo edited on the phone, as its DCIM folder holds it:
# ``IMG_O1234.AAE`` beside the edited ``IMG_E1234.HEIC`` (and the original ``IMG_1234.HEIC``).
_APPLE_ORIGINAL = re.compile(r"(?P<pre>.*_)o(?P<number>\d+)")


def _apple_photos(folded_stem: str) -> tuple[str, str]:
    """The stems of the photos an ``IMG_O1234.AAE`` goes with, first choice first: the edit
    it describes (``img_e1234``), then the original (``img_1234``)."""
    match = _APPLE_ORIGINAL.fullmatch(folded_stem)
    assert match is not None
    return f"{match['pre']}e{match['number']}", f"{match['pre']}{match['number']}"


# darktable keeps the edits of a photo's duplicates (its versions 1, 2, ...) beside the photo's
# own ``IMG_1.CR2.xmp`` as ``IMG_1_01.CR2.xmp``, ``IMG_1_02.CR2.xmp``.
_DARKTABLE_VERSION = re.compile(r"(?P<stem>.+)_\d{2,3}(?P<ext>\.[^.]+)")


def darktable_original(key: str) -> str | None:
    """The photo's name (folded) whose darktable duplicate an ``.xmp`` of ``sidecar_key``
    ``key`` describes (``img_1_01.cr2`` -> ``img_1.cr2``); None for any other key. Used only
    where no photo is named ``key`` itself."""
    match = _DARKTABLE_VERSION.fullmatch(key)
    return None if match is None else match["stem"] + match["ext"]


# A Sony camera writes each clip's metadata (its local time and offset, the camera, the
# lens) beside the clip: ``C0001M01.XML`` for ``C0001.MP4``.
_SONY_CLIP = re.compile(r"(?P<stem>.+)m01")


def sony_clip(key: str) -> str | None:
    """The stem (folded) of the clip whose Sony metadata file has ``sidecar_key`` ``key``
    (``c0001m01`` -> ``c0001``); None for any other key."""
    match = _SONY_CLIP.fullmatch(key)
    return None if match is None else match["stem"]


def sidecar_key(sidecar: str) -> str:
    """What a sidecar's name says of its main file's, folded: the main file's whole name, its
    stem, or (a Takeout JSON's name cut short) the start of its name."""
    lowered = _fold(os.path.splitext(sidecar)[0])
    if sidecar.casefold().endswith(".json"):
        lowered = _strip_supplemental(lowered)
        numbered = _COPY_NUMBER.match(lowered)
        if numbered and "." in numbered["base"]:
            # Takeout writes "x.jpg(1).json" for "x(1).jpg"
            stem, ext = os.path.splitext(numbered["base"])
            lowered = f"{stem}{numbered['n']}{ext}"
    return lowered


_LAST_CHARACTER = chr(0x10FFFF)  # after every character a name can hold: ends a prefix range


def _pick(matches: list[str], sidecar: str) -> str | None:
    for main in matches:
        if sidecar.startswith(main) or sidecar.startswith(os.path.splitext(main)[0]):
            return main
    return matches[0] if matches else None


def _stem_rank(name: str) -> int:
    return 0 if os.path.splitext(name)[1].lower() in (".jpg", ".jpeg", ".heic", ".heif") else 1


def _strip_supplemental(base: str) -> str:
    """``x.jpg.supplemental-metadata`` and its truncations (``x.jpg.supplemental-me``, ...;
    in a name Takeout cut at 46 characters, down to ``x.jpg.s`` and ``x.jpg.``)."""
    dot = base.rfind(".")
    if dot > 0:
        tail = base[dot:]
        numbered = _COPY_NUMBER.match(tail)
        number = numbered["n"] if numbered else ""
        tail = numbered["base"] if numbered else tail
        cut = len(base) - len(number) >= TAKEOUT_NAME_LIMIT
        if (len(tail) >= 3 or cut) and _SUPPLEMENTAL.startswith(tail):
            return base[:dot] + number
    return base


def companion_name(main_dest_name: str, main_source_name: str, companion: str) -> str:
    """The companion's name beside its main file's chosen name: the main's new stem with the
    companion's own ending (``IMG_1_1.jpg`` + ``IMG_1.CR2`` -> ``IMG_1_1.CR2``;
    ``IMG_1.jpg.xmp`` -> ``IMG_1_1.jpg.xmp``; ``x.MP_1.jpg`` + ``x.MP`` -> ``x.MP_1.MP``).
    Takeout JSON named any other way (``x.json``, ``x.jpg(1).json``, truncated names) becomes
    ``<main name>.json``."""
    new_stem = os.path.splitext(main_dest_name)[0]
    old_stem = os.path.splitext(main_source_name)[0]
    tail = _after(companion, main_source_name)
    if tail is not None:
        return main_dest_name + tail
    if companion.casefold().endswith(".json"):
        return main_dest_name + ".json"
    tail = _after(companion, old_stem)
    if tail == "":  # x.MP beside x.MP.jpg: the video's whole name is the photo's stem
        ext = os.path.splitext(companion)[1]
        return new_stem if _fold(new_stem).endswith(_fold(ext)) else new_stem + ext
    if tail is not None:
        return new_stem + tail
    own = _apple_original_name(companion, main_source_name, new_stem)
    own = own if own is not None else _pixel_raw_name(companion, main_source_name, new_stem)
    own = own if own is not None else _version_name(companion, main_dest_name, main_source_name)
    return own if own is not None else new_stem + "_" + companion


# darktable's XMP of a version of a file, as written: ``x_01.dng.xmp`` for ``x.dng``.
_VERSION_XMP = re.compile(r"(?P<stem>.+)(?P<version>_\d{2,3})(?P<ext>\.[^.]+)(?P<xmp>\.xmp)", re.I)


def _version_name(companion: str, main_dest_name: str, main_source_name: str) -> str | None:
    """darktable's XMP of a version of a file travelling with its photo under a name of its
    own (``PXL_1.RAW-02.ORIGINAL_01.dng.xmp`` beside ``PXL_1.RAW-01.COVER_1.jpg``): the name
    that file's own XMP takes beside the photo, with the version (``PXL_1.RAW-02.ORIGINAL_1_01
    .dng.xmp``, where darktable looks for it); None for any other file."""
    match = _VERSION_XMP.fullmatch(companion)
    if match is None:
        return None
    xmp = match["xmp"]
    own = companion_name(main_dest_name, main_source_name, match["stem"] + match["ext"] + xmp)
    stem, ext = os.path.splitext(own[: -len(xmp)])
    return stem + match["version"] + ext + xmp


def _pixel_raw_name(companion: str, main_source_name: str, new_stem: str) -> str | None:
    """``PXL_1.RAW-02.ORIGINAL.dng`` (and its ``PXL_1.RAW-02.ORIGINAL.dng.xmp``) beside
    ``PXL_1.RAW-01.COVER_1.jpg``: ``PXL_1.RAW-02.ORIGINAL_1.dng``, the suffix its cover photo
    was given; beside a cover renamed otherwise (``--rename``), the cover's new stem
    (``20190101_003000.dng``, as a RAW beside its JPEG); None for any other file."""
    old_stem = os.path.splitext(main_source_name)[0]
    theirs, ours = _PIXEL_RAW.fullmatch(_fold(old_stem)), _PIXEL_RAW.match(_fold(companion))
    if theirs is None or ours is None or ours["shot"] != theirs["shot"]:
        return None
    if len(_fold(companion)) != len(companion):
        return None  # where its own name ends is not known
    stem, rest = companion[: ours.end()], companion[ours.end() :]
    added = _after(new_stem, old_stem)
    return new_stem + rest if added is None else stem + added + rest


def _apple_original_name(companion: str, main_source_name: str, new_stem: str) -> str | None:
    """``IMG_O1234.AAE`` beside ``IMG_E1234_1.HEIC`` (or ``IMG_1234_1.HEIC``): ``IMG_O1234_1.AAE``,
    the suffix its photo was given; None for any other file, or a photo renamed otherwise."""
    stem, ext = os.path.splitext(companion)
    if ext.lower() != ".aae" or not _APPLE_ORIGINAL.fullmatch(_fold(stem)):
        return None
    old_stem = os.path.splitext(main_source_name)[0]
    if _fold(old_stem) not in _apple_photos(_fold(stem)):
        return None
    added = _after(new_stem, old_stem)
    return None if added is None else stem + added + ext


def family_names(main_dest_name: str, main_source_name: str, companions: list[str]) -> list[str]:
    """The names of a main file's companions beside it (``companion_name``), in the order
    given, all distinct. Where two would share one (``x.json`` and ``x.jpg.json`` both become
    ``x.jpg.json``), a companion already named so keeps it, and the other keeps its own name
    when the main file keeps its own, else takes a suffix (``x.jpg_1.json``)."""
    wanted = [companion_name(main_dest_name, main_source_name, c) for c in companions]
    names = list(wanted)
    taken = {main_dest_name}
    for i in sorted(range(len(companions)), key=lambda i: wanted[i] != companions[i]):
        if wanted[i] in taken:
            own = [companions[i]] if main_dest_name == main_source_name else []
            suffixed = (with_suffix(wanted[i], n) for n in itertools.count(1))
            names[i] = next(n for n in itertools.chain(own, suffixed) if n not in taken)
        taken.add(names[i])
    return names


def companion_growth(main_source_name: str, companion: str) -> int:
    """How many bytes longer than its main file's chosen name the companion's name is
    (``companion_name``), whatever name the main file is given with its own extension."""
    named = companion_name(main_source_name, main_source_name, companion)
    return len(os.fsencode(named)) - len(os.fsencode(main_source_name))


def family_growth(main_source_name: str, companions: list[str]) -> int:
    """The bytes a main file's name must leave for the longest name of its companions (the
    ``reserve`` of ``naming.with_suffix``)."""
    return max((companion_growth(main_source_name, c) for c in companions), default=0)
