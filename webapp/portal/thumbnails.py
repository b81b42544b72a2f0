"""Small JPEG previews of attached images, made once per content and kept beside the uploads."""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)
SIZE = (240, 240)
IMAGE_TYPES = ("image/jpeg", "image/png")


def thumbnail(path: Path, content_type: str) -> Path | None:
    """The preview of the image at ``path`` (content-addressed, so its name is its hash); None for a PDF
    or an image that cannot be decoded."""
    if content_type not in IMAGE_TYPES:
        return None
    small = path.parent.parent / "thumbs" / f"{path.name}.jpg"
    if small.exists():
        return small
    try:
        with Image.open(path) as image:
            image.thumbnail(SIZE)
            small.parent.mkdir(parents=True, exist_ok=True)
            partial = small.with_suffix(".part")
            image.convert("RGB").save(partial, "JPEG", quality=70)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as err:
        # A truncated or hostile image gets no preview; the file itself can still be opened.
        log.warning("no preview for an attachment (%s)", type(err).__name__)
        return None
    partial.replace(small)
    return small
