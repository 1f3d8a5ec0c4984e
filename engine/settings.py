"""Every knob of a run in one immutable object: ``Settings``, made of one option group per stage.

A setting is declared once, as a field of its group with ``option(...)`` metadata (what it
takes, its help, its flag). From those fields come the flags of ``imgorg organize`` and ``imgorg
plan`` (``engine.cli``), the keys a config file may set (``CONFIG_KEYS``) and the validation of
both. The stages take their group as it is: the worker ``Settings.analyse`` and
``Settings.compress``, the planner ``Settings.walk``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.errors import SettingsError
from engine.formats.kinds import (
    DEFAULT_EXTENSIONS,
    RAW_EXTENSIONS,
    VIDEO_EXTENSIONS,
    normalise_extensions,
)
from engine.policy.naming import RENAME_TOKENS, Layout, LayoutSpec, check_template, parse_layout
from engine.sizes import parse_size


class Mode(StrEnum):
    COPY = "copy"
    MOVE = "move"
    HARDLINK = "hardlink"  # a year view of SOURCE that takes no space: hard links
    SYMLINK = "symlink"  # the same with symbolic links (across filesystems too)

    @property
    def links(self) -> bool:
        return self in (Mode.HARDLINK, Mode.SYMLINK)


class Verify(StrEnum):
    STRUCTURE = "structure"
    FULL = "full"


class FixOrientation(StrEnum):
    NONE = "none"
    JPEG = "jpeg"
    ALL = "all"


ENGINE_FOLDER = ".imgorg"  # DEST's own folder: journal, staging, thumbnails
SIMILAR_FOLDER = "Similar"  # where --similar set-aside puts near-duplicate copies
MIN_TARGET_SIZE = 10_000  # a smaller target would shrink photos to thumbnails


# What a setting takes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How a flag's text or a config value becomes a field's value, and how the value is shown
    in the help. ``parse`` raises ValueError (or TypeError) saying what is wrong."""

    parse: Callable[[Any], Any]
    show: Callable[[Any], str] = str
    metavar: str | None = None
    choices: tuple[str, ...] = ()  # the only texts a flag may give


def _size(value: Any) -> int:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size (use e.g. 3MB, 500KB, 6MiB)")
    return parse_size(value)


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value or "\0" in value:
        raise ValueError(f"{value!r} is not a name or path")
    return value


def _path(value: Any) -> str:
    return os.path.abspath(os.path.expanduser(_text(value)))


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{value!r} is not a text or a list of texts")
    return list(value)


def _extensions(value: Any) -> frozenset[str]:
    return normalise_extensions(value.split(",") if isinstance(value, str) else _strings(value))


def _fraction(value: Any) -> float:
    """``5%``, ``0.05`` or ``5`` (a bare number of 1 or more is a percentage)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{value!r} is not a percentage (e.g. 5% or 0.05)")
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.removesuffix("%").strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a percentage (e.g. 5% or 0.05)") from None
    if percent or number >= 1:
        number /= 100
    if not 0 <= number < 1:
        raise ValueError(f"{value!r} must be at least 0% and below 100%")
    return number


def _layout(value: Any) -> LayoutSpec:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a layout or a template")
    return parse_layout(value)


def _rename(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a layout or a template")
    return check_template(value, RENAME_TOKENS, "rename")


def _path_map(value: Any) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in [value] if isinstance(value, str) else _strings(value):
        ours, sep, theirs = item.partition("=")
        if not sep or not ours or not theirs:
            raise ValueError(f"{item!r} is not CLIENT_PATH=WORKER_PATH")
        pairs.append((os.path.abspath(ours), theirs))
    return tuple(pairs)


def _choice(*choices: str) -> Kind:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.lower() not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return value.lower()

    return Kind(parse, choices=choices)


def _enum(enum: type[StrEnum]) -> Kind:
    names = _choice(*(member.value for member in enum))
    return Kind(lambda value: enum(names.parse(value)), choices=names.choices)


SIZE = Kind(_size, show=lambda n: f"{n / 1_000_000:g}MB", metavar="SIZE")
WHOLE = Kind(_whole, metavar="N")
SWITCH = Kind(_boolean)
NAME = Kind(_text)
PATH = Kind(_path, metavar="FILE")
FRACTION = Kind(_fraction, show=lambda f: f"{f * 100:g}%", metavar="P")
EXTENSIONS = Kind(_extensions, show=",".join, metavar="LIST")
TEMPLATE = Kind(_rename, metavar="TEMPLATE")
LAYOUT = Kind(_layout, metavar="nested|flat|TEMPLATE")
PATH_MAP = Kind(_path_map, metavar="HERE=THERE")


# A setting declared once ---------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """What a field of an option group says about itself. Its name (``name``, else the field's)
    is unique across the groups; the flag and the config key spell it with ``-``."""

    kind: Kind
    help: str
    name: str = ""
    switch: bool | None = None  # a flag without a value that sets the field to this
    check: Callable[[Any], str | None] | None = None  # why a given value is out of range
    short: str = ""
    metavar: str | None = None
    repeat: bool = False  # the flag may be given more than once (its values make a list)
    bare: str | None = None  # the value of the flag given without one (``--similar``)
    public: bool = True  # False: the engine's own, neither a flag nor a config key

    @property
    def dashed(self) -> str:
        return self.name.replace("_", "-")

    @property
    def key(self) -> str:
        """The flag without ``--`` and the config key: ``target-size``, ``no-tidy``."""
        return f"no-{self.dashed}" if self.switch is False else self.dashed


def option(default: Any = None, *, factory: Callable[[], Any] | None = None, **meta: Any) -> Any:
    """A field of an option group: ``target_size: int = option(6_000_000, kind=SIZE, help=...)``."""
    metadata = {"option": Option(**meta)}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def _at_least(low: int, problem: str) -> Callable[[Any], str | None]:
    return lambda value: None if value >= low else problem


JOBS_PER_CORE = 8  # --jobs above this many processes per core is refused (a typo, not a plan)


def jobs_problem(jobs: int) -> str | None:
    """Why ``jobs`` is no number of worker processes for this machine: below 0, or above
    ``JOBS_PER_CORE`` per core (more than the cores pays only while files wait on slow storage)."""
    if jobs < 0:
        return "must be 0 (all cores) or more"
    cores = os.cpu_count() or 1
    if jobs > JOBS_PER_CORE * cores:
        return (
            f"must be at most {JOBS_PER_CORE * cores}: {JOBS_PER_CORE} worker processes for "
            f"each of this machine's {cores} cores"
        )
    return None


def folder_problem(name: str) -> str | None:
    """Why ``name`` cannot be a folder flag's value: it must be a plain relative path below
    DEST (``Sorted/NoDate`` is fine), outside DEST's own ``.imgorg`` and the year folders."""
    parts = name.rstrip("/").split("/")
    if os.path.isabs(name):
        return "is an absolute path; give a folder name inside DEST"
    if any(part in ("", ".", "..") for part in parts):
        return "must be a plain folder name inside DEST (no '.', '..' or empty parts)"
    if parts[0].startswith(ENGINE_FOLDER):
        return f"lies inside DEST's own {ENGINE_FOLDER} folder, which imgorg manages"
    if any(part.startswith(".") for part in parts):
        return "names a hidden folder (a name starting with '.'): nothing imgorg places is hidden"
    if parts[0].isdigit():
        return f"{parts[0]!r} is the name of a year folder"
    return None


def top_folder(name: str) -> str:
    """The folder directly in DEST that a folder flag's value lies in."""
    return name.rstrip("/").split("/")[0]


def report_problem(path: str) -> str | None:
    """The report is written at the end of a run: find out now whether it can be."""
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        return "is a folder; give a file name"
    if not os.path.isdir(folder):
        return f"lies in a folder that does not exist ({folder})"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"lies in a folder that is not writable ({folder})"
    return None


# The option groups, one per stage --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The run as a whole: copy or move, the pool, dry run and report."""

    mode: Mode = option(
        Mode.COPY,
        kind=_enum(Mode),
        help="copy (default; SOURCE untouched), move, or hardlink / symlink (a year view of "
        "SOURCE: links, no copies; nothing re-encoded or turned)",
    )
    jobs: int = option(
        0,
        kind=WHOLE,
        short="-j",
        help=f"worker processes (default: every core; at most {JOBS_PER_CORE} per core)",
        check=jobs_problem,
    )
    backend: str = option("loky", kind=_choice("loky", "dask"), help="process pool")
    scheduler: str | None = option(
        kind=NAME, metavar="ADDR", help="dask scheduler address, e.g. tcp://host:8786"
    )
    path_map: tuple[tuple[str, str], ...] = option(
        (),
        kind=PATH_MAP,
        repeat=True,
        help="on dask workers, a path under HERE is found under THERE (repeatable)",
    )
    dry_run: bool = option(
        False, kind=SWITCH, switch=True, help="print and report the plan; write nothing"
    )
    report: str | None = option(
        kind=PATH, help="write a JSON Lines report to this file", check=report_problem
    )
    restore_missing: bool = option(
        False,
        kind=SWITCH,
        switch=True,
        help="place again the files an earlier run placed whose copy is no longer in DEST "
        "(deleted or lost there since) while SOURCE still holds them as they were; without it "
        "they stay done (a photo culled from DEST does not come back) and are counted",
    )
    space_check: bool = option(
        True,
        kind=SWITCH,
        switch=False,
        help="start even if DEST may not hold everything (a full disk still stops cleanly)",
    )
    sync: bool = option(True, kind=SWITCH, public=False, help="sync DEST before journaling")
    plan_dir: str | None = option(
        kind=PATH, public=False, help="imgorg plan: where the plan's reports go"
    )

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """What the planner takes from SOURCE."""

    extensions: frozenset[str] = option(
        kind=EXTENSIONS,
        factory=lambda: frozenset(DEFAULT_EXTENSIONS),
        help=f"comma-separated photo extensions (default {','.join(DEFAULT_EXTENSIONS)}); RAW "
        f"files ({' '.join(RAW_EXTENSIONS)}) and videos (see --no-videos) are always taken",
        check=lambda found: None if found else "must name at least one file type",
    )
    videos: bool = option(
        True,
        kind=SWITCH,
        switch=False,
        help=f"leave videos ({' '.join(VIDEO_EXTENSIONS)}) where they are",
    )


@dataclass(frozen=True, slots=True)
class FolderOptions:
    """Where placed files go below DEST."""

    layout: LayoutSpec = option(
        Layout.NESTED,
        kind=LAYOUT,
        help="nested (default): DEST/<year>/<folders>/<name>; flat: DEST/<year>/<name>; or a "
        "folder template of {year} {month} {month_name} {day} {camera} {source_folder}, "
        "e.g. '{year}/{year}-{month:02}'",
    )
    rename: str | None = option(
        kind=TEMPLATE,
        help="name files from a template of {date:%Y%m%d_%H%M%S} {name} and the --layout "
        "tokens (the extension is kept), e.g. '{date:%Y%m%d_%H%M%S}_{name}'",
    )
    corrupted_folder: str = option(
        "Corrupted",
        kind=NAME,
        metavar="FOLDER",
        help="folder in DEST for broken files",
        check=folder_problem,
    )
    nodate_folder: str = option(
        "NoDate",
        kind=NAME,
        metavar="FOLDER",
        help="folder in DEST for undated photos",
        check=folder_problem,
    )
    duplicates_folder: str = option(
        "Duplicates",
        kind=NAME,
        metavar="FOLDER",
        help="folder in DEST for duplicates in move mode",
        check=folder_problem,
    )
    tidy: bool = option(
        True,
        kind=SWITCH,
        switch=False,
        help="keep every folder below SOURCE (by default a chain of folders holding one "
        "subfolder each becomes its innermost folder)",
    )


@dataclass(frozen=True, slots=True)
class AnalyseOptions:
    """What the worker checks, turns and dates in each file."""

    min_size: int = option(
        50_000,
        kind=SIZE,
        help="skip smaller images without camera metadata or companions",
    )
    verify: Verify = option(
        Verify.STRUCTURE,
        kind=_enum(Verify),
        help="structure (default): cheap structural check; full: decode every pixel",
    )
    fix_orientation: FixOrientation = option(
        FixOrientation.JPEG,
        kind=_enum(FixOrientation),
        help="turn images upright: jpeg (default) losslessly for JPEGs, all also PNGs, none",
    )
    max_pixels: int = option(
        200_000_000,
        kind=WHOLE,
        help="larger images are treated as decompression bombs",
        check=_at_least(1, "must be a positive number of pixels (default 200000000)"),
    )
    date_from_folder: bool = option(
        False,
        kind=SWITCH,
        switch=True,
        help="when nothing else dates a file, use a date or year in its folder names",
    )
    date_from_mtime: bool = option(
        False,
        kind=SWITCH,
        switch=True,
        help="as a last resort, date a file by its modification time",
    )
    similar: str | None = option(
        kind=_choice("report", "set-aside"),
        bare="report",
        help="also find near-duplicates (resized, re-encoded, messenger copies): list them in "
        "DEST/.imgorg/similar.jsonl (report, the default), or also move the lesser copies into "
        "DEST/Similar (set-aside); needs the 'similar' extra",
    )


@dataclass(frozen=True, slots=True)
class CompressOptions:
    """When and how far JPEGs are re-encoded.

    Used by ``engine.formats.compress``."""

    enabled: bool = option(
        True, kind=SWITCH, switch=False, name="compress", help="place every file byte for byte"
    )
    above: int = option(
        3_000_000,
        kind=SIZE,
        name="compress_above",
        help="re-encode JPEGs larger than this",
        check=_at_least(1, "must be a positive size"),
    )
    target_size: int = option(
        6_000_000,
        kind=SIZE,
        help="largest size a re-encoded JPEG may have",
        check=_at_least(
            MIN_TARGET_SIZE,
            f"must be at least {MIN_TARGET_SIZE // 1000}KB "
            "(re-encoded JPEGs would be shrunk to thumbnails)",
        ),
    )
    very_large: int = option(
        10_000_000,
        kind=SIZE,
        help="above this, downscale when the quality floor cannot reach the target",
        check=_at_least(1, "must be a positive size"),
    )
    quality_floor: int = option(
        70,
        kind=WHOLE,
        metavar="Q",
        help="lowest JPEG quality ever used",
        check=lambda q: None if 1 <= q <= 100 else "must be between 1 and 100",
    )
    min_saving: float = option(
        0.05, kind=FRACTION, help="re-encode only if it saves at least this much"
    )


@dataclass(frozen=True)
class Settings:
    source: str
    dest: str
    run: RunOptions = field(default_factory=RunOptions)
    walk: WalkOptions = field(default_factory=WalkOptions)
    folders: FolderOptions = field(default_factory=FolderOptions)
    analyse: AnalyseOptions = field(default_factory=AnalyseOptions)
    compress: CompressOptions = field(default_factory=CompressOptions)

    @property
    def workers(self) -> int:
        return self.run.workers

    def describe(self) -> dict[str, Any]:
        """Every setting by its name, as the journal records a run's settings."""
        out: dict[str, Any] = {"source": self.source, "dest": self.dest}
        for _group, spec, value in _values(self):
            if isinstance(value, frozenset):
                value = sorted(value)
            out[spec.name] = str(value) if isinstance(value, StrEnum) else value
        return out


GROUPS: tuple[tuple[str, type], ...] = tuple(
    (f.name, f.default_factory)  # type: ignore[misc]
    for f in dataclasses.fields(Settings)
    if f.default_factory is not dataclasses.MISSING
)


def options() -> Iterator[tuple[str, dataclasses.Field[Any], Option]]:
    """Every setting: its group's name in Settings, its field and its Option (named)."""
    for group, cls in GROUPS:
        for f in dataclasses.fields(cls):
            spec = f.metadata["option"]
            yield group, f, dataclasses.replace(spec, name=spec.name or f.name)


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def help_text(f: dataclasses.Field[Any], spec: Option) -> str:
    """The help of a flag; the default is added unless the help already says it."""
    default = default_of(f)
    if "default" in spec.help or spec.switch is not None or default in (None, ()):
        return spec.help
    return f"{spec.help} (default {spec.kind.show(default)})"


def _values(settings: Settings) -> Iterator[tuple[str, Option, Any]]:
    for group, f, spec in options():
        yield group, spec, getattr(getattr(settings, group), f.name)


# The keys a config file may set: the flags of ``imgorg organize`` as README.md documents them
# (section "Config file"; tests/test_bad_input.py keeps the two lists equal).
CONFIG_KEYS = tuple(spec.key for _group, _f, spec in options() if spec.public)
# The previous release read a switch by its setting's name (``compress = false``): still read.
OLD_SWITCH_KEYS = {spec.dashed: spec.name for _g, _f, spec in options() if spec.switch is False}


def load_config(path: str) -> dict[str, Any]:
    """Read a TOML config; keys are the flag names of CONFIG_KEYS (``target-size = "6MB"``,
    ``no-tidy = true``), also spelt with ``_``. Any other key is an error."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"cannot read config {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"config {path} is not valid TOML: {exc}") from exc
    section = raw.get("organize", raw)
    if not isinstance(section, dict):
        raise SettingsError(f"config {path}: [organize] must be a table of settings")
    beside = sorted(key for key in raw if key != "organize") if section is not raw else []
    if beside:
        raise SettingsError(
            f"config {path}: key(s) outside [organize]: {', '.join(beside)}; put every "
            "setting under [organize], or write the file without the table"
        )
    names = {spec.key: spec.name for _group, _f, spec in options() if spec.public}
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    unknown = []
    for key, value in section.items():
        flag = key.replace("_", "-")
        name = names.get(flag) or OLD_SWITCH_KEYS.get(flag)
        if name is None:
            unknown.append(key)
            continue
        if name in given:
            raise SettingsError(f"config {path}: {given[name]} and {key} set the same thing")
        given[name] = key
        if flag.startswith("no-") or flag in OLD_SWITCH_KEYS:
            if not isinstance(value, bool):
                raise SettingsError(f"config {path}: {key} must be true or false, not {value!r}")
            values[name] = not value if flag.startswith("no-") else value
        else:
            values[name] = value
    if unknown:
        raise SettingsError(
            f"config {path}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"a config may set: {', '.join(CONFIG_KEYS)}"
        )
    return values


def build(values: dict[str, Any]) -> Settings:
    """Settings from a mapping of setting names to raw values (flag texts or config values),
    each parsed and checked as its field's metadata says; None stands for the default."""
    known = {spec.name: (group, f, spec) for group, f, spec in options()}
    unknown = set(values) - set(known) - {"source", "dest"}
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    if values.get("source") is None or values.get("dest") is None:
        raise SettingsError("SOURCE and DEST are required")
    for name in ("source", "dest"):
        if not os.fsdecode(values[name]):  # never the current folder by accident ("$UNSET")
            raise SettingsError(f"{name.upper()} is an empty path")
    groups: dict[str, dict[str, Any]] = {group: {} for group, _cls in GROUPS}
    for name, raw in values.items():
        if raw is None or name in ("source", "dest"):
            continue
        group, f, spec = known[name]
        try:
            value = spec.kind.parse(raw)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{spec.dashed}: {exc}") from exc
        problem = spec.check(value) if spec.check else None
        if problem:
            raise SettingsError(f"{spec.dashed} {raw!r} {problem}")
        groups[group][f.name] = value
    settings = Settings(
        os.path.abspath(os.path.expanduser(os.fsdecode(values["source"]))),
        os.path.abspath(os.path.expanduser(os.fsdecode(values["dest"]))),
        **{group: cls(**groups[group]) for group, cls in GROUPS},
    )
    _check_folders(settings.folders, settings.analyse.similar == "set-aside")
    return settings


def _check_folders(folders: FolderOptions, similar_set_aside: bool) -> None:
    """No folder flag names the same folder as another, or one inside another, or the folder
    ``--similar set-aside`` puts near-duplicates in."""
    seen: dict[str, str] = {}
    if similar_set_aside:
        seen[SIMILAR_FOLDER.casefold() + "/"] = (
            f"{SIMILAR_FOLDER!r}, where --similar set-aside puts copies"
        )
    for name in ("corrupted_folder", "nodate_folder", "duplicates_folder"):
        flag, folder = name.replace("_", "-"), getattr(folders, name)
        path = folder.rstrip("/").casefold() + "/"
        for other_path, other in seen.items():
            if path.startswith(other_path) or other_path.startswith(path):
                raise SettingsError(f"{flag} {folder!r} is the same folder as, or inside, {other}")
        seen[path] = f"{flag} {folder!r}"


# The settings that decide what a placed file became (its folder, name and bytes): a later
# run with others leaves the files an earlier run placed as that run made them.
PLACEMENT_SETTINGS = (
    "layout",
    "rename",
    "tidy",
    "corrupted_folder",
    "nodate_folder",
    "duplicates_folder",
    "fix_orientation",
    "date_from_folder",
    "date_from_mtime",
    "compress",
    "compress_above",
    "target_size",
    "very_large",
    "quality_floor",
    "min_saving",
)


def placement_changes(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """``name before -> now`` for each setting of ``PLACEMENT_SETTINGS`` the two runs' recorded
    settings (``Settings.describe``) give differently; a setting ``before`` does not record (a
    journal from an older release) is not compared."""
    return [
        f"{name} {before[name]} -> {now.get(name)}"
        for name in PLACEMENT_SETTINGS
        if name in before and before[name] != now.get(name)
    ]
