"""The imaging library that runs is the one scripts/setup installed, and plugins did not bring
stock Pillow back over Pillow-SIMD."""

import importlib.metadata as metadata
import importlib.util

import pytest
from PIL import Image

from engine.imaging import imaging_library


def installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_the_running_pil_is_the_installed_distribution() -> None:
    name, version = imaging_library().split(" ", 1)
    assert Image.__version__ == version.split(" ")[0] or name == "PIL"
    if installed("pillow-simd"):
        assert not installed("pillow"), "stock Pillow was installed over Pillow-SIMD"


@pytest.mark.parametrize("plugin", ["pillow_heif", "pillow_avif", "pymediainfo"])
def test_setup_installs_the_optional_decoders(plugin: str) -> None:
    """scripts/setup installs these with --no-deps; a missing one would silently drop a format."""
    assert importlib.util.find_spec(plugin) is not None, f"{plugin} is not installed"
