"""Settings are declared once (engine/settings.py): every setting of organize and plan is a flag
with help and a config key, a config with a key gives the same Settings as its flag, and the
README's flags table lists every flag."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from engine.cli import parser, settings_of
from engine.settings import CONFIG_KEYS, Settings, build, load_config, options

# For every config key: the flag's words after the key on the command line, and the same value
# as a config file gives it. A new setting needs a line here (the first test says so).
SAMPLES: dict[str, tuple[list[str], Any]] = {
    "mode": (["move"], "move"),
    "jobs": (["3"], 3),
    "backend": (["dask"], "dask"),
    "scheduler": (["tcp://cluster:8786"], "tcp://cluster:8786"),
    "path-map": (["/data=/mnt/data"], ["/data=/mnt/data"]),
    "dry-run": ([], True),
    "restore-missing": ([], True),
    "report": (["TMP/r.jsonl"], "TMP/r.jsonl"),
    "no-space-check": ([], True),
    "extensions": ([".jpg,PNG"], ["jpg", ".png"]),
    "no-videos": ([], True),
    "layout": (["{year}/{month:02}"], "{year}/{month:02}"),
    "rename": (["{date:%Y%m%d}_{name}"], "{date:%Y%m%d}_{name}"),
    "corrupted-folder": (["Broken"], "Broken"),
    "nodate-folder": (["Sorted/Undated"], "Sorted/Undated"),
    "duplicates-folder": (["Twins"], "Twins"),
    "no-tidy": ([], True),
    "min-size": (["1MB"], 1_000_000),
    "verify": (["full"], "full"),
    "fix-orientation": (["all"], "all"),
    "max-pixels": (["1000"], 1000),
    "date-from-folder": ([], True),
    "date-from-mtime": ([], True),
    "similar": (["set-aside"], "set-aside"),
    "no-compress": ([], True),
    "compress-above": (["4MB"], "4MB"),
    "target-size": (["5MiB"], 5 * 2**20),
    "very-large": (["20MB"], "20MB"),
    "quality-floor": (["80"], 80),
    "min-saving": (["10%"], 0.1),
}


def _subparser(command: str) -> argparse.ArgumentParser:
    return parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]


def _from_flags(tmp_path: Path, *argv: str, command: str = "organize") -> Settings:
    args = parser().parse_args([command, str(tmp_path / "src"), str(tmp_path / "dest"), *argv])
    return settings_of(args)


def _from_config(tmp_path: Path, key: str, value: Any) -> Settings:
    config = tmp_path / "imgorg.toml"
    config.write_text(f"[organize]\n{key} = {_toml(value)}\n")
    args = parser().parse_args(
        ["organize", str(tmp_path / "src"), str(tmp_path / "dest"), "--config", str(config)]
    )
    return settings_of(args)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def test_every_setting_has_one_flag_a_config_key_and_help() -> None:
    public = [spec for _group, _f, spec in options() if spec.public]
    assert [spec.key for spec in public] == list(CONFIG_KEYS)
    assert len(set(CONFIG_KEYS)) == len(CONFIG_KEYS)
    assert set(SAMPLES) == set(CONFIG_KEYS), "add a sample of the new setting to SAMPLES"
    for command in ("organize", "plan"):
        flags = {
            action.option_strings[0]: action
            for action in _subparser(command)._actions
            if action.option_strings
        }
        for key in CONFIG_KEYS:
            assert f"--{key}" in flags, (command, key)
            assert len(flags[f"--{key}"].help or "") > 20, (command, key)


def test_internal_settings_are_neither_flags_nor_keys() -> None:
    internal = [spec.key for _group, _f, spec in options() if not spec.public]
    assert sorted(internal) == ["plan-dir", "sync"]
    flags = {o for a in _subparser("organize")._actions for o in a.option_strings}
    assert not {f"--{key}" for key in internal} & flags
    assert not set(internal) & set(CONFIG_KEYS)


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_a_config_key_gives_the_same_settings_as_its_flag(tmp_path: Path, key: str) -> None:
    words, value = SAMPLES[key]
    words = [w.replace("TMP", str(tmp_path)) for w in words]
    if isinstance(value, str):
        value = value.replace("TMP", str(tmp_path))
    default = _from_flags(tmp_path)
    by_flag = _from_flags(tmp_path, f"--{key}", *words)
    assert by_flag != default, f"--{key} {' '.join(words)} changed nothing"
    assert _from_config(tmp_path, key, value) == by_flag
    assert _from_config(tmp_path, key.replace("-", "_"), value) == by_flag
    assert _from_flags(tmp_path, f"--{key}", *words, command="plan") == by_flag


def test_the_command_line_wins_over_the_config(tmp_path: Path) -> None:
    config = tmp_path / "imgorg.toml"
    config.write_text("target-size = '4MB'\nquality-floor = 60\n")
    args = parser().parse_args(
        ["organize", "s", "d", "--config", str(config), "--target-size", "5MB"]
    )
    settings = settings_of(args)
    assert settings.compress.target_size == 5_000_000
    assert settings.compress.quality_floor == 60


def test_the_help_shows_each_default_from_the_field() -> None:
    helptext = " ".join(_subparser("organize").format_help().split())
    for shown in (
        "larger than this (default 3MB)",
        "may have (default 6MB)",
        "reach the target (default 10MB)",
        "quality ever used (default 70)",
        "this much (default 5%)",
        "or companions (default 0.05MB)",
        "decompression bombs (default 200000000)",
        "for broken files (default Corrupted)",
        "process pool (default loky)",
    ):
        assert shown in helptext


def test_the_defaults_are_the_documented_ones() -> None:
    settings = build({"source": "s", "dest": "d"})
    assert settings.describe() == {
        **settings.describe(),
        "mode": "copy",
        "min_size": 50_000,
        "compress": True,
        "compress_above": 3_000_000,
        "target_size": 6_000_000,
        "very_large": 10_000_000,
        "quality_floor": 70,
        "min_saving": 0.05,
        "verify": "structure",
        "fix_orientation": "jpeg",
        "max_pixels": 200_000_000,
        "tidy": True,
        "sync": True,
        "nodate_folder": "NoDate",
    }


def test_the_journal_records_every_setting_by_its_name(tmp_path: Path) -> None:
    """describe() is what a run's journal row holds: the flat names the previous release wrote."""
    names = {spec.name for _group, _f, spec in options()} | {"source", "dest"}
    assert set(build({"source": "s", "dest": "d"}).describe()) == names
    assert {"compress", "compress_above", "tidy", "space_check", "plan_dir"} <= names


def test_a_wrong_value_names_its_flag(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^quality-floor '0' must be between 1 and 100$"):
        _from_flags(tmp_path, "--quality-floor", "0")
    with pytest.raises(ValueError, match=r"^target-size '5KB' must be at least 10KB"):
        _from_flags(tmp_path, "--target-size", "5KB")
    with pytest.raises(ValueError, match=r"^jobs: 'many' is not a whole number$"):
        _load_and_build(tmp_path, "jobs = 'many'")


def _load_and_build(tmp_path: Path, line: str) -> Settings:
    config = tmp_path / "imgorg.toml"
    config.write_text(line + "\n")
    return build({"source": "s", "dest": "d", **load_config(str(config))})


def test_the_readme_flags_table_lists_every_flag() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Flags", 1)[1].split("\n\n", 2)[1]
    documented = set(re.findall(r"`(--[a-z-]+)", table))
    flags = {
        option
        for action in _subparser("organize")._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert documented == flags


def test_a_flag_with_a_bare_value_takes_it_when_given_alone(tmp_path: Path) -> None:
    """``--similar`` alone means ``--similar report``."""
    args = parser().parse_args(["organize", str(tmp_path / "s"), str(tmp_path / "d"), "--similar"])
    assert settings_of(args).analyse.similar == "report"
