"""Image previews never decode a huge image: the pixel count is checked from the header first."""

from __future__ import annotations

import io
import tracemalloc
import zlib
from pathlib import Path

from PIL import Image

from webapp.portal import thumbnails


def _huge_png(path: Path, side: int = 12_500) -> None:
    """A valid 12,500 x 12,500 grey PNG of a few hundred KB, written without ever holding its pixels."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * side
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_a_huge_png_gets_no_preview_without_being_decoded(tmp_path: Path) -> None:
    blob = tmp_path / "blobs" / "ab" / "huge"
    blob.parent.mkdir(parents=True)
    _huge_png(blob)
    assert blob.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        assert thumbnails.thumbnail(blob, "image/png") is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000  # decoding it would take 156 MB (L) at least


def test_an_ordinary_photo_still_gets_its_preview(tmp_path: Path) -> None:
    blob = tmp_path / "blobs" / "cd" / "photo"
    blob.parent.mkdir(parents=True)
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1500), (10, 120, 200)).save(buffer, "JPEG")
    blob.write_bytes(buffer.getvalue())
    small = thumbnails.thumbnail(blob, "image/jpeg")
    assert small is not None
    with Image.open(small) as preview:
        assert max(preview.size) <= 240
