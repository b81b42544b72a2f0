"""Uploaded zip packages: the same version as on disk, and every hostile archive refused.

Every hostile archive is built here with zipfile (no binary fixtures), so each test shows
exactly which trick it plays.
"""

from __future__ import annotations

import io
import stat
import string
import tracemalloc
import warnings
import zipfile
from collections.abc import Mapping

import pytest

from engine.package import MAX_FILE_BYTES, read_package
from engine.zipsafe import ZIP_MESSAGES, ZipRejected, read_package_zip
from tests.conftest import REPO

KHAI_SINH = ("bpmn/khai-sinh", "forms/khai-sinh", "forms/common")
PROCESS = b'<?xml version="1.0" encoding="UTF-8"?><definitions/>'
MB = 1024 * 1024


def _zip(entries: Mapping[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _repository_zip(prefix: str = "") -> bytes:
    """The khai-sinh package zipped from the repository, folder entries included."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in KHAI_SINH:
            for path in sorted((REPO / folder).rglob("*")):
                archive.write(path, prefix + path.relative_to(REPO).as_posix())
    return buffer.getvalue()


def _rejected(data: bytes, code: str, **limits: int) -> ZipRejected:
    """Assert the upload is refused with ``code`` and that its sentence renders in both languages."""
    with pytest.raises(ZipRejected) as info:
        read_package_zip(data, **limits)
    error = info.value
    assert error.code == code, (error.code, error.params)
    for lang in ("vi", "en"):
        sentence = error.message(lang)
        assert "{" not in sentence and "}" not in sentence, sentence
    return error


def _zeros_zip(name: str, size: int) -> tuple[bytes, zipfile.ZipInfo]:
    """A deflated member of ``size`` zero bytes, written in chunks so the test never holds it whole."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bpmn/x/process.bpmn", PROCESS)
        with archive.open(name, "w") as member:
            chunk = bytes(MB)
            for _ in range(size // MB):
                member.write(chunk)
        info = archive.getinfo(name)
    return buffer.getvalue(), info


def _peak_while_refused(data: bytes, code: str) -> int:
    tracemalloc.start()
    try:
        _rejected(data, code)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


# --- accepted uploads ------------------------------------------------------------------


def test_repository_package_round_trips_with_the_same_hash() -> None:
    on_disk = read_package(REPO / "bpmn" / "khai-sinh")
    uploaded = read_package_zip(_repository_zip())
    assert uploaded.slug == "khai-sinh"
    assert dict(uploaded.files) == dict(on_disk.files)
    assert uploaded.content_hash == on_disk.content_hash


def test_one_wrapping_folder_is_removed_and_archiver_clutter_ignored() -> None:
    buffer = io.BytesIO(_repository_zip("khai-sinh-export/"))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("__MACOSX/khai-sinh-export/bpmn/khai-sinh/._process.bpmn", b"\x00\x05\x16\x07")
        archive.writestr("__MACOSX/khai-sinh-export/forms/common/nguoi.schema.json", b"resource fork")
        archive.writestr("khai-sinh-export/.DS_Store", b"Bud1")
        archive.writestr("khai-sinh-export/forms/common/.gitkeep", b"")
    uploaded = read_package_zip(buffer.getvalue())
    assert uploaded.slug == "khai-sinh"
    assert uploaded.content_hash == read_package(REPO / "bpmn" / "khai-sinh").content_hash


def test_a_package_without_forms_is_not_mistaken_for_a_wrapped_one() -> None:
    uploaded = read_package_zip(_zip({"bpmn/x/process.bpmn": PROCESS, "bpmn/x/fee.dmn": b"<dmn/>"}))
    assert uploaded.slug == "x"
    assert set(uploaded.files) == {"bpmn/x/process.bpmn", "bpmn/x/fee.dmn"}


def test_stored_members_are_read_too() -> None:
    uploaded = read_package_zip(_zip({"bpmn/x/process.bpmn": PROCESS}, zipfile.ZIP_STORED))
    assert uploaded.files == {"bpmn/x/process.bpmn": PROCESS}


# --- names -----------------------------------------------------------------------------


def test_path_traversal_is_refused() -> None:
    data = _zip({"bpmn/x/process.bpmn": PROCESS, "bpmn/x/../../etc/passwd": b"root:x:0:0"})
    assert _rejected(data, "zip_path_unsafe").params == {"path": "bpmn/x/../../etc/passwd"}


@pytest.mark.parametrize(
    "name",
    ["/etc/passwd", "C:/Windows/win.ini", "bpmn\\x\\process.bpmn", "bpmn/./x/process.bpmn", "bpmn//x/a.json"],
)
def test_absolute_drive_backslash_and_odd_paths_are_refused(name: str) -> None:
    data = _zip({"bpmn/x/process.bpmn": PROCESS, name: b"x"})
    assert _rejected(data, "zip_path_unsafe").params == {"path": name}


def test_nul_in_a_name_is_refused() -> None:
    # zipfile cuts names at NUL when writing, so the byte is patched into both headers.
    data = _zip({"bpmn/x/process.bpmn": PROCESS, "bpmn/x/evil_.bpmn": b"x"}).replace(b"evil_", b"evil\x00")
    error = _rejected(data, "zip_path_unsafe")
    assert error.params == {"path": "bpmn/x/evil?.bpmn"}  # shown without the control character


def test_symlink_entry_is_refused() -> None:
    link = zipfile.ZipInfo("bpmn/x/process.bpmn")
    link.create_system = 3  # unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(link, "/etc/passwd")
    assert _rejected(buffer.getvalue(), "zip_path_unsafe").params == {"path": "bpmn/x/process.bpmn"}


def test_duplicate_names_are_refused() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate it is asked to write
        buffer = io.BytesIO(_zip({"bpmn/x/process.bpmn": PROCESS}))
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr("bpmn/x/process.bpmn", b"<other/>")
    _rejected(buffer.getvalue(), "zip_path_unsafe")


# --- sizes and bombs -------------------------------------------------------------------


def test_zip_bomb_is_refused_with_bounded_memory() -> None:
    size = 50 * MB
    data, info = _zeros_zip("bpmn/x/zeros.bin", size)
    assert info.file_size == size and len(data) < MB  # really a bomb: 50 MB from well under 1 MB
    peak = _peak_while_refused(data, "zip_bomb")
    assert peak < MB  # the 50 MB never exist in memory


def test_central_directory_lying_about_the_size_is_caught_while_inflating() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bpmn/x/process.bpmn", PROCESS)
        with archive.open("bpmn/x/zeros.bin", "w") as member:
            for _ in range(50):
                member.write(bytes(MB))
        # The central directory is written on close from these objects: claim 100 bytes, so
        # every declared-size check passes and only the running count can catch the lie.
        archive.getinfo("bpmn/x/zeros.bin").file_size = 100
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("bpmn/x/zeros.bin").file_size == 100
    peak = _peak_while_refused(data, "zip_bomb")
    assert peak < MB


def test_declared_size_larger_than_the_content_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bpmn/x/process.bpmn", PROCESS)
        archive.getinfo("bpmn/x/process.bpmn").file_size = len(PROCESS) + 10
    _rejected(buffer.getvalue(), "zip_invalid")


def test_a_forged_checksum_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bpmn/x/process.bpmn", PROCESS)
        archive.getinfo("bpmn/x/process.bpmn").CRC ^= 1
    _rejected(buffer.getvalue(), "zip_invalid")


def test_one_file_above_the_package_file_limit_is_refused() -> None:
    data = _zip({"bpmn/x/process.bpmn": PROCESS, "bpmn/x/big.txt": b"x" * (MAX_FILE_BYTES + 1)}, zipfile.ZIP_STORED)
    error = _rejected(data, "zip_file_too_large")
    assert error.params == {"path": "bpmn/x/big.txt", "size": MAX_FILE_BYTES + 1, "limit": MAX_FILE_BYTES}


def test_total_above_the_limit_is_refused() -> None:
    error = _rejected(_repository_zip(), "zip_too_large", max_total_bytes=1000)
    assert error.params["limit"] == 1000 and error.params["size"] > 1000


def test_too_many_files_is_refused() -> None:
    entries = {"bpmn/x/process.bpmn": PROCESS} | {f"forms/x/f{i}.schema.json": b"{}" for i in range(500)}
    assert _rejected(_zip(entries), "zip_too_many_files").params == {"count": 501, "limit": 500}
    _rejected(_repository_zip(), "zip_too_many_files", max_files=3)


def test_too_many_files_is_refused_before_the_directory_is_parsed() -> None:
    # Not even a valid zip: the count comes first, so no ZipInfo is ever built for it.
    assert _rejected(b"PK\x01\x02" * 100_000, "zip_too_many_files").params == {"count": 100_000, "limit": 500}


# --- layout ----------------------------------------------------------------------------


def test_two_procedures_in_one_zip_are_refused() -> None:
    data = _zip({"bpmn/a/process.bpmn": PROCESS, "bpmn/b/process.bpmn": PROCESS})
    assert _rejected(data, "zip_no_package").params == {"count": 2}


def test_zip_without_a_procedure_folder_is_refused() -> None:
    data = _zip({"forms/x/to-khai.schema.json": b"{}", "process.bpmn": PROCESS})
    assert _rejected(data, "zip_no_package").params == {"count": 0}


@pytest.mark.parametrize("name", ["README.md", "forms/other/to-khai.schema.json", "bpmn/process.bpmn"])
def test_entry_outside_the_package_folders_is_refused(name: str) -> None:
    data = _zip({"bpmn/x/process.bpmn": PROCESS, name: b"x"})
    assert _rejected(data, "zip_unexpected_entry").params == {"path": name, "slug": "x"}


# --- not a (usable) zip ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip at all", _zip({"bpmn/x/process.bpmn": PROCESS * 50})[:200], b"PK\x05\x06" + bytes(18)],
    ids=["empty", "text", "truncated", "empty-directory-only"],
)
def test_bytes_that_are_not_a_package_zip_are_refused(data: bytes) -> None:
    with pytest.raises(ZipRejected) as info:
        read_package_zip(data)
    # An empty archive is a valid zip, just not a package.
    assert info.value.code == ("zip_no_package" if data.startswith(b"PK\x05\x06") else "zip_invalid")


def test_encrypted_entry_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bpmn/x/process.bpmn", PROCESS)
        archive.getinfo("bpmn/x/process.bpmn").flag_bits |= 0x1
    _rejected(buffer.getvalue(), "zip_invalid")


def test_unsupported_compression_is_refused() -> None:
    _rejected(_zip({"bpmn/x/process.bpmn": PROCESS}, zipfile.ZIP_BZIP2), "zip_invalid")


# --- messages --------------------------------------------------------------------------


def test_every_message_renders_in_vietnamese_and_english() -> None:
    for code, (vi, en) in ZIP_MESSAGES.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(vi) if name}
        assert fields == {name for _, name, _, _ in string.Formatter().parse(en) if name}, code
        error = ZipRejected(code, **{name: "x" for name in fields})
        assert error.message("vi") != error.message("en"), code
        assert error.message("fr") == error.message("vi")  # unknown language: Vietnamese
        for sentence in (error.message("vi"), error.message("en")):
            assert "{" not in sentence and "}" not in sentence, sentence


def test_rejection_is_a_value_error_with_code_and_params() -> None:
    error = ZipRejected("zip_path_unsafe", path="../x")
    assert isinstance(error, ValueError)
    assert (error.code, error.params) == ("zip_path_unsafe", {"path": "../x"})
    assert error.message().startswith("Tệp zip chứa đường dẫn không an toàn: ../x.")
    assert error.message("en").startswith("The zip file contains an unsafe path: ../x.")
