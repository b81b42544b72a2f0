"""Turn an uploaded zip file into a :class:`~engine.package.PackageSource`, safely.

Zip uploads come from designers' browsers and from other provinces, so every archive is
hostile until proven otherwise. A zip can hide paths that climb out of a folder
(``../../etc/passwd``), symbolic links, millions of entries, a few kilobytes that inflate
to gigabytes, or a central directory that lies about how large a member is. This module
never writes anything to disk and never holds more than the configured limits in memory:

* the archive is only read from the bytes already in memory (``io.BytesIO``);
* every entry name is checked before anything is decompressed;
* the sizes the archive *declares* are checked first (cheap, catches honest mistakes and
  naive bombs), then every member is inflated in small chunks with a running byte count
  that stops as soon as the real output goes past what was declared, because a hostile
  archive can declare anything.

The result has exactly the keys :func:`engine.package.read_package` produces from disk, so
the same files give the same ``content_hash`` (the version) whichever way they arrive.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.package import MAX_FILE_BYTES, MAX_FILES, PackageSource

MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100
# Text files legitimately compress 5-20 times; a ratio check on small files would only
# refuse harmless ones, and a small file cannot exhaust memory anyway.
RATIO_CHECK_ABOVE = 1024 * 1024

# Input is fed to zlib this many compressed bytes at a time: ``unconsumed_tail`` is a copy
# of the input not yet used, so feeding the whole member at once would copy it again on
# every bounded call.
_CHUNK = 64 * 1024

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, (fields we take from the directory), name and extra lengths
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_FLAG_ENCRYPTED = 0x1
_FLAG_UTF8 = 0x800
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN_PATH_CHARS = 200

ZIP_MESSAGES: dict[str, tuple[str, str]] = {
    "zip_invalid": (
        "Tệp tải lên không phải là tệp zip hợp lệ: tệp bị hỏng, có đặt mật khẩu hoặc dùng kiểu nén "
        "không được hỗ trợ. Hãy nén lại thư mục thủ tục rồi tải lên lần nữa.",
        "The upload is not a valid zip file: it is damaged, password-protected or uses an unsupported "
        "compression method. Zip the procedure folder again and upload it once more.",
    ),
    "zip_path_unsafe": (
        "Tệp zip chứa đường dẫn không an toàn: {path}. Đường dẫn không được là đường dẫn tuyệt đối, "
        "chứa '..', dấu gạch ngược, bị trùng lặp hay là liên kết tượng trưng (symlink).",
        "The zip file contains an unsafe path: {path}. Paths must not be absolute, contain '..' or "
        "backslashes, appear twice or be symbolic links.",
    ),
    "zip_too_many_files": (
        "Tệp zip có quá nhiều tệp ({count}, tối đa {limit}).",
        "The zip file holds too many files ({count}, at most {limit}).",
    ),
    "zip_too_large": (
        "Nội dung tệp zip sau khi giải nén quá lớn ({size} byte, tối đa {limit} byte).",
        "The content of the zip file is too large once unpacked ({size} bytes, at most {limit}).",
    ),
    "zip_file_too_large": (
        "Tệp {path} trong zip quá lớn ({size} byte, tối đa {limit} byte).",
        "The file {path} in the zip is too large ({size} bytes, at most {limit}).",
    ),
    "zip_bomb": (
        "Tệp {path} trong zip bị nén bất thường hoặc giải nén ra nhiều hơn kích thước đã khai báo "
        "(có thể là bom zip) nên bị từ chối.",
        "The file {path} in the zip is compressed abnormally or unpacks to more than its declared size "
        "(a possible zip bomb), so it is refused.",
    ),
    "zip_no_package": (
        "Tệp zip phải chứa đúng một thư mục thủ tục bpmn/<tên-thủ-tục>/ (tìm thấy {count}).",
        "The zip file must hold exactly one procedure folder bpmn/<slug>/ (found {count}).",
    ),
    "zip_unexpected_entry": (
        "Tệp {path} nằm ngoài các thư mục được phép (bpmn/{slug}/, forms/{slug}/, forms/common/).",
        "The file {path} is outside the allowed folders (bpmn/{slug}/, forms/{slug}/, forms/common/).",
    ),
}


class ZipRejected(ValueError):
    """The upload is refused; ``code`` names the sentence in :data:`ZIP_MESSAGES`."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, lang: str = "vi") -> str:
        """The sentence for this refusal in ``lang`` (Vietnamese when the language is unknown)."""
        vi, en = ZIP_MESSAGES[self.code]
        return (en if lang == "en" else vi).format(**self.params)


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    path: str  # the package key, after the wrapping folder is removed


def read_package_zip(
    data: bytes,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_files: int = MAX_FILES,
    max_ratio: int = MAX_RATIO,
) -> PackageSource:
    """Read one procedure package from zip bytes, or raise :class:`ZipRejected`."""
    infos = _open(data, max_files)
    for info in infos:
        _check_entry(info)
    kept = [info for info in infos if not _ignored(info)]
    members = _unwrap(kept)
    slug = _slug(members)
    _check_layout(members, slug)
    _check_declared_sizes(members, max_total_bytes, max_ratio)
    return PackageSource(slug=slug, files=_read_members(data, members, max_total_bytes))


# --- the archive and its names ---------------------------------------------------------


def _open(data: bytes, max_files: int) -> list[zipfile.ZipInfo]:
    # zipfile builds an object for every central directory record before we could count
    # them, and a few megabytes of empty entries would cost hundreds of megabytes of ZipInfo
    # objects. So count the record signatures in the raw bytes first: zipfile refuses a
    # record that does not start with one, so this never undercounts the entries (it can
    # only overcount if a stored file happens to contain the four bytes).
    entries = data.count(_CENTRAL_SIGNATURE)
    if entries > max_files:
        raise ZipRejected("zip_too_many_files", count=entries, limit=max_files)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as error:
        raise ZipRejected("zip_invalid") from error


def _shown(name: str) -> str:
    # The name goes into a sentence shown to a person and written to logs: no control
    # characters, and no 64 KB names.
    name = _CONTROL.sub("?", name)
    return name if len(name) <= _SHOWN_PATH_CHARS else name[:_SHOWN_PATH_CHARS] + "…"


def _check_entry(info: zipfile.ZipInfo) -> None:
    """Refuse names and entry kinds that could mean something else to another tool."""
    name = info.orig_filename  # zipfile cuts ``filename`` at a NUL; the original keeps it
    if _unsafe_name(name) or stat.S_ISLNK(info.external_attr >> 16):
        raise ZipRejected("zip_path_unsafe", path=_shown(name))
    if info.flag_bits & _FLAG_ENCRYPTED:
        raise ZipRejected("zip_invalid")
    # Browsers and operating systems write stored or deflated members; refusing the other
    # methods keeps the bzip2/lzma decoders out of reach of hostile input.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ZipRejected("zip_invalid")


def _unsafe_name(name: str) -> bool:
    if "\x00" in name or "\\" in name or name.startswith("/") or _DRIVE.match(name):
        return True
    parts = name.removesuffix("/").split("/")
    # "." and empty parts are not dangerous here (nothing is extracted) but they would give
    # keys that no file on disk has, so the same package could hash to two versions.
    return any(part in ("", ".", "..") for part in parts)


def _ignored(info: zipfile.ZipInfo) -> bool:
    """Folders and the clutter archivers add (``__MACOSX/``, ``.DS_Store``), as on disk."""
    parts = info.orig_filename.split("/")
    return info.is_dir() or "__MACOSX" in parts or parts[-1].startswith(".")


def _unwrap(infos: list[zipfile.ZipInfo]) -> list[_Member]:
    """Drop one folder that wraps everything (``khai-sinh-export/bpmn/...``)."""
    firsts = {info.orig_filename.split("/", 1)[0] for info in infos}
    wrapped = (
        len(firsts) == 1
        and all("/" in info.orig_filename for info in infos)
        # A package without forms has every entry under bpmn/: that is the layout itself.
        and firsts != {"bpmn"}
    )
    members = [_Member(info, info.orig_filename.split("/", 1)[1] if wrapped else info.orig_filename) for info in infos]
    seen: set[str] = set()
    for member in members:
        # Two entries with one name: tools disagree on which one wins, a known smuggling trick.
        if member.path in seen:
            raise ZipRejected("zip_path_unsafe", path=_shown(member.info.orig_filename))
        seen.add(member.path)
    return members


def _slug(members: Iterable[_Member]) -> str:
    slugs = {parts[1] for parts in (m.path.split("/") for m in members) if parts[0] == "bpmn" and len(parts) >= 3}
    if len(slugs) != 1:
        raise ZipRejected("zip_no_package", count=len(slugs))
    return slugs.pop()


def _check_layout(members: Iterable[_Member], slug: str) -> None:
    allowed = (f"bpmn/{slug}/", f"forms/{slug}/", "forms/common/")
    for member in members:
        parts = member.path.split("/")
        # A package exported for a province carries its overlay: overlays/<province>/<slug>.yaml
        overlay = len(parts) == 3 and parts[0] == "overlays" and parts[2] == f"{slug}.yaml"
        if not member.path.startswith(allowed) and not overlay:
            raise ZipRejected("zip_unexpected_entry", path=_shown(member.info.orig_filename), slug=slug)


# --- sizes ------------------------------------------------------------------------------


def _check_declared_sizes(members: list[_Member], max_total_bytes: int, max_ratio: int) -> None:
    """What the archive claims: cheap to check, and enough to stop honest mistakes and naive bombs."""
    for member in members:
        info, shown = member.info, _shown(member.info.orig_filename)
        if info.file_size > RATIO_CHECK_ABOVE and info.file_size > max_ratio * max(info.compress_size, 1):
            raise ZipRejected("zip_bomb", path=shown)
        if info.file_size > MAX_FILE_BYTES:
            raise ZipRejected("zip_file_too_large", path=shown, size=info.file_size, limit=MAX_FILE_BYTES)
    total = sum(member.info.file_size for member in members)
    if total > max_total_bytes:
        raise ZipRejected("zip_too_large", size=total, limit=max_total_bytes)


def _read_members(data: bytes, members: list[_Member], max_total_bytes: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    remaining = max_total_bytes
    view = memoryview(data)  # slices of a memoryview share the upload's memory instead of copying it
    for member in sorted(members, key=lambda m: m.path):
        # The declared sizes passed, but they may lie: the real output is held to them and
        # to the limits, whichever is smaller.
        allowed = min(member.info.file_size, MAX_FILE_BYTES, remaining)
        content = _read_member(view, member.info, allowed)
        remaining -= len(content)
        files[member.path] = content
    return files


def _read_member(view: memoryview, info: zipfile.ZipInfo, allowed: int) -> bytes:
    shown = _shown(info.orig_filename)
    raw = _compressed_bytes(view, info)
    if info.compress_type == zipfile.ZIP_STORED:
        if len(raw) > allowed:
            raise ZipRejected("zip_bomb", path=shown)
        content = bytes(raw)
    else:
        content = _inflate(raw, allowed, shown)
    # Fewer bytes than declared, or other bytes than the checksum says: damaged or forged.
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        raise ZipRejected("zip_invalid")
    return content


def _compressed_bytes(view: memoryview, info: zipfile.ZipInfo) -> memoryview:
    """The member's compressed bytes, located through its local header as zipfile does."""
    offset = info.header_offset
    if offset < 0 or offset + _LOCAL_HEADER.size > len(view):
        raise ZipRejected("zip_invalid")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(view, offset)
    name_start = offset + _LOCAL_HEADER.size
    start = name_start + name_length + extra_length
    end = start + info.compress_size
    if signature != _LOCAL_SIGNATURE or end > len(view):
        raise ZipRejected("zip_invalid")
    # The local header must name the same file as the central directory: archives where
    # the two differ show one file to the checker and another to the extractor.
    encoding = "utf-8" if info.flag_bits & _FLAG_UTF8 else "cp437"
    try:
        local_name = bytes(view[name_start : name_start + name_length]).decode(encoding)
    except UnicodeDecodeError as error:
        raise ZipRejected("zip_invalid") from error
    if local_name != info.orig_filename:
        raise ZipRejected("zip_invalid")
    return view[start:end]


def _inflate(raw: memoryview, allowed: int, shown: str) -> bytes:
    """Inflate ``raw`` in chunks, stopping at the first byte past ``allowed``."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # zip members are raw deflate streams
    out = bytearray()
    try:
        for start in range(0, len(raw), _CHUNK):
            piece: bytes | memoryview = raw[start : start + _CHUNK]
            while not inflater.eof:
                # Ask for at most one byte more than allowed: enough to prove a lie, never more.
                produced = inflater.decompress(piece, allowed + 1 - len(out))
                out += produced
                if len(out) > allowed:
                    raise ZipRejected("zip_bomb", path=shown)
                piece = inflater.unconsumed_tail
                if not piece and not produced:
                    break  # this chunk is used up and zlib holds nothing more back
            if inflater.eof:
                break
    except zlib.error as error:
        raise ZipRejected("zip_invalid") from error
    if not inflater.eof:
        raise ZipRejected("zip_invalid")  # the stream was cut short
    return bytes(out)
