"""Brand images: present at the sizes HA, HACS and the add-on store expect, and reproducible."""

from __future__ import annotations

import importlib.util
from typing import Any

from PIL import Image

from local_voice_harness.paths import REPO_ROOT

BRAND = REPO_ROOT / "custom_components" / "local_voice" / "brand"
ADDON = REPO_ROOT / "addon"


def _make_brand() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_brand", REPO_ROOT / "scripts" / "make_brand.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sizes() -> None:
    expected = {
        BRAND / "icon.png": (256, 256),
        BRAND / "icon@2x.png": (512, 512),
        ADDON / "icon.png": (128, 128),
    }
    for path, size in expected.items():
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == size, path
            assert image.mode == "RGBA"  # transparent background, as HA's brands require
    # Logos: landscape, shortest side 128-256 for HA; the add-on store shows ~250x100.
    with Image.open(BRAND / "logo.png") as logo:
        assert logo.width > logo.height
        assert 128 <= logo.height <= 256
    with Image.open(ADDON / "logo.png") as logo:
        assert logo.size == (250, 100)


def test_committed_images_are_what_the_script_draws() -> None:
    make_brand = _make_brand()
    drawn = make_brand.images()
    assert set(drawn) == {
        BRAND / "icon.png",
        BRAND / "icon@2x.png",
        BRAND / "logo.png",
        ADDON / "icon.png",
        ADDON / "logo.png",
    }
    for path, image in drawn.items():
        assert path.read_bytes() == make_brand.render(image), f"{path}: run scripts/make_brand.py"


def test_icon_is_not_blank() -> None:
    with Image.open(BRAND / "icon.png") as image:
        colours = image.convert("RGBA").getcolors(maxcolors=1 << 16)
    assert colours is not None
    assert len(colours) > 10  # a drawing, not a flat square
