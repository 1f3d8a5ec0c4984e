"""Every knob of a run in one immutable object, from defaults, a TOML file and the command line."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.policy.naming import RENAME_TOKENS, Layout, LayoutSpec, check_template, parse_layout
from engine.sizes import parse_size
from engine.stages.walk import DEFAULT_EXTENSIONS, normalise_extensions


class Mode(StrEnum):
    COPY = "copy"
    MOVE = "move"


class Verify(StrEnum):
    STRUCTURE = "structure"
    FULL = "full"


class FixOrientation(StrEnum):
    NONE = "none"
    JPEG = "jpeg"
    ALL = "all"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    source: str
    dest: str
    mode: Mode = Mode.COPY
    jobs: int = 0  # 0: every core
    backend: str = "loky"
    scheduler: str | None = None
    layout: LayoutSpec = Layout.NESTED  # nested, flat, or a folder template
    rename: str | None = None  # a file name template, e.g. {date:%Y%m%d_%H%M%S}_{name}
    extensions: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_EXTENSIONS))
    min_size: int = 50_000
    compress: bool = True
    compress_above: int = 3_000_000
    target_size: int = 6_000_000
    very_large: int = 10_000_000
    quality_floor: int = 70
    min_saving: float = 0.05
    verify: Verify = Verify.STRUCTURE
    fix_orientation: FixOrientation = FixOrientation.JPEG
    max_pixels: int = 200_000_000
    dry_run: bool = False
    report: str | None = None
    corrupted_folder: str = "Corrupted"
    nodate_folder: str = "NoDate"
    duplicates_folder: str = "Duplicates"
    tidy: bool = True
    sync: bool = True
    space_check: bool = True
    videos: bool = True
    date_from_folder: bool = False
    date_from_mtime: bool = False
    plan_dir: str | None = None  # imgorg plan: where the plan's reports go
    path_map: tuple[tuple[str, str], ...] = ()

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)

    def describe(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["extensions"] = sorted(self.extensions)
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in out.items()}


# The keys a config file may set: the flags of ``imgorg organize`` as README.md documents them
# (section "Config file"; tests/test_bad_input.py keeps the two lists equal). Each is a field of
# Settings, or ``no-X`` for a switch that turns the field X off.
CONFIG_KEYS = (
    "mode",
    "jobs",
    "backend",
    "scheduler",
    "path-map",
    "layout",
    "rename",
    "extensions",
    "min-size",
    "compress-above",
    "target-size",
    "very-large",
    "quality-floor",
    "min-saving",
    "no-compress",
    "fix-orientation",
    "no-videos",
    "date-from-folder",
    "date-from-mtime",
    "verify",
    "max-pixels",
    "no-space-check",
    "dry-run",
    "report",
    "corrupted-folder",
    "nodate-folder",
    "duplicates-folder",
    "no-tidy",
)
ENGINE_FOLDER = ".imgorg"  # DEST's own folder: journal, staging, thumbnails
MIN_TARGET_SIZE = 10_000  # a smaller target would shrink photos to thumbnails
_SIZE_KEYS = {"min_size", "compress_above", "target_size", "very_large"}
_INT_KEYS = {"jobs", "quality_floor", "max_pixels"}
_BOOL_KEYS = {
    "compress",
    "dry_run",
    "tidy",
    "sync",
    "space_check",
    "videos",
    "date_from_folder",
    "date_from_mtime",
}
_TEXT_KEYS = {
    "backend",
    "scheduler",
    "report",
    "plan_dir",
    "corrupted_folder",
    "nodate_folder",
    "duplicates_folder",
}
_FOLDER_KEYS = ("corrupted_folder", "nodate_folder", "duplicates_folder")
_ENUMS: dict[str, type[StrEnum]] = {
    "mode": Mode,
    "verify": Verify,
    "fix_orientation": FixOrientation,
}


def load_config(path: str) -> dict[str, Any]:
    """Read a TOML config; keys are the flag names of CONFIG_KEYS (``target-size = "6MB"``,
    ``no-tidy = true``), also spelt with ``_``. Any other key is an error."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"cannot read config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config {path} is not valid TOML: {exc}") from exc
    section = raw.get("organize", raw)
    if not isinstance(section, dict):
        raise SettingsError(f"config {path}: [organize] must be a table of settings")
    values: dict[str, Any] = {}
    unknown = []
    for key, value in section.items():
        flag = key.replace("_", "-")
        if flag not in CONFIG_KEYS:
            unknown.append(key)
            continue
        if flag.startswith("no-"):
            if not isinstance(value, bool):
                raise SettingsError(f"config {path}: {key} must be true or false, not {value!r}")
            values[flag[3:].replace("-", "_")] = not value
        else:
            values[flag.replace("-", "_")] = value
    if unknown:
        raise SettingsError(
            f"config {path}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"a config may set: {', '.join(CONFIG_KEYS)}"
        )
    return values


def build(values: dict[str, Any]) -> Settings:
    """Settings from a mapping of field names to raw values (strings allowed), validated."""
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        try:
            clean[key] = _convert(key, value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{key.replace('_', '-')}: {exc}") from exc
    if "source" not in clean or "dest" not in clean:
        raise SettingsError("SOURCE and DEST are required")
    settings = Settings(**clean)
    _validate(settings)
    return settings


def _convert(key: str, value: Any) -> Any:
    if key in ("layout", "rename"):
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a layout or a template")
        if key == "layout":
            return parse_layout(value)
        return check_template(value, RENAME_TOKENS, "rename")
    if key in _SIZE_KEYS:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError(f"{value!r} is not a size (use e.g. 3MB, 500KB, 6MiB)")
        return parse_size(value)
    if key in _ENUMS:
        choices = ", ".join(m.value for m in _ENUMS[key])
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not one of {choices}")
        try:
            return _ENUMS[key](value.lower())
        except ValueError:
            raise ValueError(f"{value!r} is not one of {choices}") from None
    if key in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not true or false")
        return value
    if key in _INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{value!r} is not a whole number")
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
    if key in _TEXT_KEYS:
        if not isinstance(value, str) or not value or "\0" in value:
            raise ValueError(f"{value!r} is not a name or path")
        if key in ("report", "plan_dir"):
            return os.path.abspath(os.path.expanduser(value))
        return value
    if key == "extensions":
        items = value.split(",") if isinstance(value, str) else _strings(value)
        return normalise_extensions(items)
    if key == "min_saving":
        return _fraction(value)
    if key == "path_map":
        pairs = []
        for item in [value] if isinstance(value, str) else _strings(value):
            ours, sep, theirs = item.partition("=")
            if not sep or not ours or not theirs:
                raise ValueError(f"{item!r} is not CLIENT_PATH=WORKER_PATH")
            pairs.append((os.path.abspath(ours), theirs))
        return tuple(pairs)
    if key in ("source", "dest"):
        return os.path.abspath(os.path.expanduser(os.fsdecode(value)))
    return value


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{value!r} is not a text or a list of texts")
    return list(value)


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
    if parts[0].isdigit():
        return f"{parts[0]!r} is the name of a year folder"
    return None


def top_folder(name: str) -> str:
    """The folder directly in DEST that a folder flag's value lies in."""
    return name.rstrip("/").split("/")[0]


def _validate(s: Settings) -> None:
    if not 1 <= s.quality_floor <= 100:
        raise SettingsError("quality-floor must be between 1 and 100")
    if s.jobs < 0:
        raise SettingsError("jobs must be 0 (all cores) or more")
    if s.max_pixels < 1:
        raise SettingsError("max-pixels must be a positive number of pixels (default 200000000)")
    if s.target_size < MIN_TARGET_SIZE:
        raise SettingsError(
            f"target-size must be at least {MIN_TARGET_SIZE // 1000}KB "
            "(re-encoded JPEGs would be shrunk to thumbnails)"
        )
    if s.compress_above < 1 or s.very_large < 1:
        raise SettingsError("compress-above and very-large must be positive sizes")
    if s.backend not in ("loky", "dask"):
        raise SettingsError("backend must be loky or dask")
    _validate_folders(s)
    if not s.extensions:
        raise SettingsError("extensions must name at least one file type")
    if s.report is not None:
        _check_report_path(s.report)


def _validate_folders(s: Settings) -> None:
    seen: dict[str, str] = {}
    for key in _FOLDER_KEYS:
        flag, folder = key.replace("_", "-"), getattr(s, key)
        problem = folder_problem(folder)
        if problem:
            raise SettingsError(f"{flag} {folder!r} {problem}")
        path = folder.rstrip("/").casefold() + "/"
        for other_path, other in seen.items():
            if path.startswith(other_path) or other_path.startswith(path):
                raise SettingsError(f"{flag} {folder!r} is the same folder as, or inside, {other}")
        seen[path] = f"{flag} {folder!r}"


def _check_report_path(path: str) -> None:
    """The report is written at the end of a run: find out now whether it can be."""
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise SettingsError(f"report: {path} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise SettingsError(f"report: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingsError(f"report: the folder {folder} is not writable")
