"""Every knob of a run in one immutable object, from defaults, a TOML file and the command line."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.naming import Layout
from engine.planner import DEFAULT_EXTENSIONS, normalise_extensions
from engine.sizes import parse_size


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
    layout: Layout = Layout.NESTED
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
    similar: str | None = None  # --similar report: near-duplicates hashed in the workers

    @property
    def workers(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)

    def describe(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["extensions"] = sorted(self.extensions)
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in out.items()}


_SIZE_KEYS = {"min_size", "compress_above", "target_size", "very_large"}
_ENUMS: dict[str, type[StrEnum]] = {
    "mode": Mode,
    "layout": Layout,
    "verify": Verify,
    "fix_orientation": FixOrientation,
}


def load_config(path: str) -> dict[str, Any]:
    """Read a TOML config; keys are flag names with ``-`` or ``_`` (``target-size = "6MB"``)."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"cannot read config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config {path} is not valid TOML: {exc}") from exc
    section = raw.get("organize", raw)
    return {key.replace("-", "_"): value for key, value in section.items()}


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
        except ValueError as exc:
            raise SettingsError(f"{key.replace('_', '-')}: {exc}") from exc
    if "source" not in clean or "dest" not in clean:
        raise SettingsError("SOURCE and DEST are required")
    settings = Settings(**clean)
    _validate(settings)
    return settings


def _convert(key: str, value: Any) -> Any:
    if key in _SIZE_KEYS:
        return parse_size(value)
    if key in _ENUMS:
        try:
            return _ENUMS[key](str(value).lower())
        except ValueError:
            choices = ", ".join(m.value for m in _ENUMS[key])
            raise ValueError(f"{value!r} is not one of {choices}") from None
    if key == "extensions":
        items = value.split(",") if isinstance(value, str) else list(value)
        return normalise_extensions(items)
    if key == "min_saving":
        text = str(value).strip()
        number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        return number / 100 if number >= 1 else number
    if key == "path_map":
        items = [value] if isinstance(value, str) else list(value)
        pairs = []
        for item in items:
            ours, sep, theirs = str(item).partition("=")
            if not sep or not ours or not theirs:
                raise ValueError(f"{item!r} is not CLIENT_PATH=WORKER_PATH")
            pairs.append((os.path.abspath(ours), theirs))
        return tuple(pairs)
    if key in ("jobs", "quality_floor", "max_pixels"):
        return int(value)
    if key in ("source", "dest"):
        return os.path.abspath(os.path.expanduser(os.fsdecode(value)))
    return value


def _validate(s: Settings) -> None:
    if not 1 <= s.quality_floor <= 100:
        raise SettingsError("quality-floor must be between 1 and 100")
    if not 0 <= s.min_saving < 1:
        raise SettingsError("min-saving must be a fraction below 1 (e.g. 5% or 0.05)")
    if s.jobs < 0:
        raise SettingsError("jobs must be 0 (all cores) or more")
    if s.backend not in ("loky", "dask"):
        raise SettingsError("backend must be loky or dask")
    for name in ("corrupted_folder", "nodate_folder", "duplicates_folder"):
        folder = getattr(s, name)
        if not folder or os.path.isabs(folder) or ".." in folder.split("/"):
            raise SettingsError(f"{name.replace('_', '-')} must be a folder name inside DEST")
    if not s.extensions:
        raise SettingsError("extensions must name at least one file type")
