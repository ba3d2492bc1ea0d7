"""Uploaded files are checked by what they contain, not by their name.

:class:`FileContentValidator` reads the start of a file (and, for office documents, the list of
files in their zip) and accepts it only when its content is of the type its extension says: a
``report.pdf`` that is an HTML page, or a ``photo.png`` that is a program, is refused with a
message naming the expected type. Known types (:data:`SIGNATURES`): PDF, PNG, JPEG, GIF, WebP,
plain text and CSV, Office Open XML (``.docx``, ``.xlsx``, ``.pptx``) and OpenDocument (``.odt``,
``.ods``, ``.odp``).

:func:`audio_content_type` names the audio format of a file whatever its name (call recordings
come from phone systems and integrations under any name).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

#: How much of a file is read to recognise it.
HEAD_BYTES = 8192
#: Bytes below 0x20 that plain text may hold: tab, line feed, form feed, carriage return.
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r")


def _is_text(head: bytes, _file: IO[bytes]) -> bool:
    # No NUL and no control character: UTF-8 and the usual 8-bit encodings of CSV exports pass.
    return all(byte >= 0x20 or byte in _TEXT_CONTROLS for byte in head)


def _zip_names(file: IO[bytes]) -> set[str]:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()


def _ooxml(folder: str) -> Callable[[bytes, IO[bytes]], bool]:
    def check(head: bytes, file: IO[bytes]) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        names = _zip_names(file)
        return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)

    return check


def _opendocument(kind: str) -> Callable[[bytes, IO[bytes]], bool]:
    # The first member of an OpenDocument zip is "mimetype", stored uncompressed: its content sits
    # at a fixed offset (30 bytes of header + 8 of name).
    expected = b"mimetypeapplication/vnd.oasis.opendocument." + kind.encode()

    def check(head: bytes, _file: IO[bytes]) -> bool:
        return head.startswith(b"PK\x03\x04") and head[30 : 30 + len(expected)] == expected

    return check


def _starts(*prefixes: bytes) -> Callable[[bytes, IO[bytes]], bool]:
    return lambda head, _file: head.startswith(prefixes)


#: Extension → (name of the type, check of its content).
SIGNATURES: dict[str, tuple[str, Callable[[bytes, IO[bytes]], bool]]] = {
    "pdf": ("PDF", _starts(b"%PDF-")),
    "png": ("PNG", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("JPEG", _starts(b"\xff\xd8\xff")),
    "jpeg": ("JPEG", _starts(b"\xff\xd8\xff")),
    "gif": ("GIF", _starts(b"GIF87a", b"GIF89a")),
    "webp": ("WebP", lambda head, _file: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "txt": ("text", _is_text),
    "csv": ("CSV", _is_text),
    "docx": ("Word", _ooxml("word/")),
    "xlsx": ("Excel", _ooxml("xl/")),
    "pptx": ("PowerPoint", _ooxml("ppt/")),
    "odt": ("OpenDocument text", _opendocument("text")),
    "ods": ("OpenDocument spreadsheet", _opendocument("spreadsheet")),
    "odp": ("OpenDocument presentation", _opendocument("presentation")),
}


def _wav(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def _mpeg_audio(head: bytes) -> bool:
    """MP3: an ID3 tag, or an MPEG audio frame header (11 sync bits, then a layer other than the
    reserved 00, which ADTS AAC uses)."""
    if head.startswith(b"ID3"):
        return True
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and (head[1] >> 1) & 0x03 != 0


#: Audio content type → its check, in the order they are tried.
AUDIO_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "audio/wav": _wav,
    "audio/ogg": lambda head: head.startswith(b"OggS"),
    "audio/flac": lambda head: head.startswith(b"fLaC"),
    "audio/webm": lambda head: head.startswith(b"\x1a\x45\xdf\xa3"),
    "audio/mp4": lambda head: head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso"),
    "audio/mpeg": _mpeg_audio,
}


def audio_content_type(head: bytes) -> str | None:
    """The content type of the audio file starting with ``head`` (its first bytes, at least 12),
    or ``None`` when it is not one of :data:`AUDIO_SIGNATURES`."""
    return next((kind for kind, check in AUDIO_SIGNATURES.items() if check(head)), None)


def _raw(value: Any) -> IO[bytes]:
    """The readable file behind a FieldFile or an UploadedFile."""
    return getattr(value, "file", value)


@deconstructible
class FileContentValidator:
    """Accepts a file whose content is of the type its extension names, among ``extensions``
    (each a key of :data:`SIGNATURES`). A file already stored (not a new upload) is not read again."""

    message = _("This file is not a real %(kind)s file (its content does not match “.%(extension)s”).")
    unknown = _("Files ending in “.%(extension)s” are not accepted.")

    def __init__(self, extensions: Iterable[str]) -> None:
        self.extensions = tuple(sorted(extension.lower() for extension in extensions))
        unknown = set(self.extensions) - set(SIGNATURES)
        if unknown:
            raise ValueError(f"no content check for {sorted(unknown)}")

    def __call__(self, value: Any) -> None:
        if value is None or getattr(value, "_committed", False):
            return
        extension = (value.name or "").rsplit(".", 1)[-1].lower() if "." in (value.name or "") else ""
        if extension not in self.extensions:
            raise ValidationError(self.unknown, code="invalid_extension", params={"extension": extension})
        kind, check = SIGNATURES[extension]
        file = _raw(value)
        position = file.tell()
        try:
            file.seek(0)
            head = file.read(HEAD_BYTES)
            matches = check(head, file)
        finally:
            file.seek(position)
        if not matches:
            raise ValidationError(self.message, code="invalid_content", params={"kind": kind, "extension": extension})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileContentValidator) and self.extensions == other.extensions

    def __hash__(self) -> int:
        return hash(self.extensions)
