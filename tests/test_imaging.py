"""The imaging library that runs is the one scripts/setup installed, and plugins did not bring
stock Pillow back over Pillow-SIMD."""

import importlib.metadata as metadata
import importlib.util

import pytest
from PIL import Image

from engine.formats.imaging import imaging_library


def installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_the_running_pil_is_the_installed_distribution() -> None:
    name, version = imaging_library().split(" ", 1)
    assert Image.__version__ == version.split(" ")[0] or name == "PIL"
    if installed("pillow-simd"):  # installed under its own name (before scripts/setup renamed it)
        assert not installed("pillow"), "stock Pillow was installed over Pillow-SIMD"
    if name == "pillow-simd" and installed("pillow"):  # scripts/setup: pillow <version>+simd
        assert metadata.version("pillow") == f"{version}+simd"


def test_pip_finds_every_requirement_satisfied() -> None:
    """Pillow-SIMD satisfies the "Pillow" requirement, so pip check is clean."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120
    )
    if installed("pillow-simd"):  # the older layout: the plugins' "pillow" is unmet by name
        problems = [line for line in done.stdout.splitlines() if line.startswith("imgorg ")]
        assert not problems, done.stdout
    else:
        assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("plugin", ["pillow_heif", "pillow_avif", "pymediainfo"])
def test_setup_installs_the_optional_decoders(plugin: str) -> None:
    """scripts/setup installs these with --no-deps; a missing one would silently drop a format."""
    assert importlib.util.find_spec(plugin) is not None, f"{plugin} is not installed"
