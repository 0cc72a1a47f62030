"""Attachments: checked by their content, stored outside any web root under
generated names, served only to those who may see the ticket."""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import filetype

from shared.errors import ApiError

if TYPE_CHECKING:  # the worker process loads no werkzeug for a type
    from werkzeug.datastructures import FileStorage

# The types accepted, each with its file name extensions (the first one is given to files without one).
ALLOWED_TYPES = {"image/png": ("png",), "image/jpeg": ("jpg", "jpeg"), "application/pdf": ("pdf",),
                 "text/plain": ("txt",)}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def sniff_content_type(data: bytes) -> str | None:
    """The type the bytes really are (PNG, JPEG, PDF or plain text), whatever the name says."""
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    if _is_plain_text(data):
        return "text/plain"
    return None


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if "\x00" in text:
        return False
    head = text[:4096].lstrip().lower()
    # Markup is not plain text: a browser could be talked into rendering it.
    if head.startswith(("<!doctype", "<html", "<script", "<svg", "<?xml")):
        return False
    control = sum(1 for ch in text[:65536] if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f")
    return control == 0


# Characters no file name needs: path and shell specials that browsers and file systems treat apart.
_RESERVED = set('"<>|:*?/\\')
MAX_BASE_NAME = 200


def _name_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category[0] == "C" or category in ("Zl", "Zp"):
        return ""  # control, format (bidi overrides, zero-width), unassigned, private use
    if category == "Zs":
        return " "
    return "" if ch in _RESERVED else ch


def safe_filename(name: str | None, content_type: str) -> str:
    """The name a file is kept and served under: the client's base name, cleaned, with the
    extension of the type its content was found to be (never the client's).

    `poly.html` holding a PNG becomes `poly.png`; a right-to-left override, other
    control and format characters and any path are dropped. The same name cleaned
    again stays the same, so names stored before are fixed when served.
    """
    extensions = ALLOWED_TYPES[content_type]
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/")).rsplit("/", 1)[-1]
    base = " ".join("".join(_name_char(ch) for ch in base).split())
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = stem.strip(" .")[:MAX_BASE_NAME].strip(" .") or "attachment"
    extension = extension.lower() if extension.lower() in extensions else extensions[0]
    return f"{stem}.{extension}"


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII `filename` for old clients and the exact UTF-8 `filename*` (RFC 6266)."""
    stem, _, extension = filename.rpartition(".")
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(ch))
    ascii_stem = re.sub(r"[^A-Za-z0-9 ._()+-]", "_", folded).strip(" ._") or "attachment"
    return (f'attachment; filename="{ascii_stem}.{extension}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")


def check_files(files: list[FileStorage], *, max_bytes: int, max_count: int) -> list[CheckedFile]:
    """Read and check every uploaded file; refuse the whole message on the first bad one."""
    files = [f for f in files if f is not None and (f.filename or f.content_length)]
    if len(files) > max_count:
        raise ApiError(400, "too_many_files", f"At most {max_count} files may be attached to one message.",
                       {"max_files": max_count, "received": len(files)})
    checked = []
    for upload in files:
        data = upload.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ApiError(413, "file_too_large", f"Each file may be at most {max_bytes // (1024 * 1024)} MiB.",
                           {"filename": upload.filename, "max_bytes": max_bytes})
        if not data:
            raise ApiError(400, "empty_file", "An attached file is empty.", {"filename": upload.filename})
        content_type = sniff_content_type(data)
        if content_type is None:
            raise ApiError(415, "unsupported_file_type",
                           "Only PNG, JPEG, PDF and plain-text files may be attached.",
                           {"filename": upload.filename, "allowed": sorted(ALLOWED_TYPES)})
        checked.append(CheckedFile(safe_filename(upload.filename, content_type), content_type, data,
                                   hashlib.sha256(data).hexdigest()))
    return checked


@dataclass(frozen=True)
class AttachmentRules:
    """What one message may carry, as the service is configured."""

    max_bytes: int
    max_files: int

    def check(self, files: list[FileStorage]) -> list[CheckedFile]:
        return check_files(files, max_bytes=self.max_bytes, max_count=self.max_files)

    def public(self) -> dict:
        """The rules as clients show and check them before anything is uploaded."""
        return {"max_bytes": self.max_bytes, "max_files": self.max_files, "types": list(ALLOWED_TYPES),
                "extensions": [f".{extension}" for extensions in ALLOWED_TYPES.values() for extension in extensions]}


class AttachmentStore:
    """Files on disk under generated names; the database keeps the rest."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def save(self, checked: CheckedFile) -> tuple[str, str]:
        attachment_id = str(uuid.uuid4())
        # Named by the type found in the content, never by the client's name.
        storage_name = f"{uuid.uuid4().hex}.{ALLOWED_TYPES[checked.content_type][0]}"
        path = self.path(storage_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as handle:
            handle.write(checked.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return attachment_id, storage_name

    def path(self, storage_name: str) -> Path:
        return self.directory / storage_name[:2] / storage_name

    def delete(self, storage_name: str) -> None:
        """Remove the file for good (a file already gone is fine: a retry finds nothing to do)."""
        self.path(storage_name).unlink(missing_ok=True)
