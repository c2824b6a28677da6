"""Draw the brand images for HACS, Home Assistant and the add-on store.

The images are generated, not hand-made, so they stay reproducible and
licence-clean: a microphone in a speech bubble on Home Assistant blue. The
test ``tests/distribution/test_brand.py`` regenerates them and checks the
committed files are byte-identical, so edit this script, never the PNGs.

``python scripts/make_brand.py`` writes:

- ``custom_components/local_voice/brand/icon.png`` 256x256 and ``icon@2x.png``
  512x512, ``logo.png`` 512x128 (Home Assistant's brand-image sizes);
- ``addon/icon.png`` 128x128 and ``addon/logo.png`` 250x100 (add-on store).
"""

from __future__ import annotations

import argparse
import sys
from io import BytesIO
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
BLUE: Final = (3, 169, 244, 255)
WHITE: Final = (255, 255, 255, 255)
DARK: Final = (33, 33, 33, 255)
SCALE: Final = 4  # draw large, then downsample for smooth edges
MIN_FONT: Final = 8


def _icon(size: int) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = big / 16
    # Speech bubble with a tail at the lower left.
    draw.rounded_rectangle((unit, unit, 15 * unit, 12.5 * unit), radius=3 * unit, fill=BLUE)
    draw.polygon([(3.5 * unit, 12 * unit), (3 * unit, 15 * unit), (7 * unit, 12 * unit)], BLUE)
    # Microphone: capsule, holder arc, stem and base.
    draw.rounded_rectangle(
        (6.5 * unit, 2.8 * unit, 9.5 * unit, 8 * unit), radius=1.5 * unit, fill=WHITE
    )
    width = max(1, round(0.7 * unit))
    draw.arc((5 * unit, 4.5 * unit, 11 * unit, 9.8 * unit), 0, 180, fill=WHITE, width=width)
    draw.line((8 * unit, 9.8 * unit, 8 * unit, 11 * unit), fill=WHITE, width=width)
    draw.line((6.3 * unit, 11 * unit, 9.7 * unit, 11 * unit), fill=WHITE, width=width)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _logo(width: int, height: int) -> Image.Image:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    icon = _icon(height)
    image.alpha_composite(icon, (0, 0))
    draw = ImageDraw.Draw(image)
    left = round(height * 1.12)
    size = round(height * 0.42)
    font = ImageFont.load_default(size=size)
    while size > MIN_FONT and draw.textlength("Local Voice", font=font) > width - left - 4:
        size -= 1
        font = ImageFont.load_default(size=size)
    draw.text((left, height // 2), "Local Voice", fill=DARK, font=font, anchor="lm")
    return image


def images() -> dict[Path, Image.Image]:
    """Every brand image, keyed by its path in the repository."""
    brand = REPO_ROOT / "custom_components" / "local_voice" / "brand"
    addon = REPO_ROOT / "addon"
    return {
        brand / "icon.png": _icon(256),
        brand / "icon@2x.png": _icon(512),
        brand / "logo.png": _logo(512, 128),
        addon / "icon.png": _icon(128),
        addon / "logo.png": _logo(250, 100),
    }


def render(image: Image.Image) -> bytes:
    """PNG bytes without metadata, so the same drawing gives the same file."""
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write the images (or, with --check, report the ones that differ)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stale = []
    for path, image in images().items():
        data = render(image)
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        sys.stdout.write(f"wrote {path.relative_to(REPO_ROOT)} {image.size[0]}x{image.size[1]}\n")
    for path in stale:
        sys.stdout.write(f"stale: {path.relative_to(REPO_ROOT)} (run scripts/make_brand.py)\n")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
