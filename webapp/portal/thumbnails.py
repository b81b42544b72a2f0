"""Small JPEG previews of attached images, made once per content and kept beside the uploads."""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)
SIZE = (240, 240)
IMAGE_TYPES = ("image/jpeg", "image/png")
# A preview decodes the whole image: a 12,500 x 12,500 PNG of a few hundred KB is 470 MB of pixels.
# Images above this many pixels (a 48-megapixel photo passes) get no preview, decided from the header
# before any decoding; and at most PARALLEL previews decode at once per process.
MAX_PIXELS = 50_000_000
PARALLEL = 2
_decoding = threading.BoundedSemaphore(PARALLEL)


def thumbnail(path: Path, content_type: str) -> Path | None:
    """The preview of the image at ``path`` (content-addressed, so its name is its hash); None for a PDF
    or an image that cannot be decoded."""
    if content_type not in IMAGE_TYPES:
        return None
    small = path.parent.parent / "thumbs" / f"{path.name}.jpg"
    if small.exists():
        return small
    try:
        with warnings.catch_warnings():  # Pillow only warns below 2 x its own limit: this module decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                log.warning("no preview for an attachment of %d x %d pixels", width, height)
                return None
            if image.format == "JPEG":
                image.draft("RGB", SIZE)  # JPEG decodes straight at a fraction of its size
            with _decoding:
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
