"""Call recordings (``docs/telephony.md`` "Recordings"): stored, fetched from the phone system,
streamed to those who may hear them, deleted when their time is up.

* **Stored.** :func:`recording_store` keeps one recording per interaction in the recordings
  storage (``STORAGES["recordings"]``: the media folder, or an S3-compatible bucket), under a
  random name by year and month. What it is comes from its first bytes, never from its name or
  the type the sender claims (:func:`contactcenter.core.uploads.audio_content_type`): WAV, MP3,
  Ogg, FLAC, WebM, MP4 audio. Its size is bounded (``RECORDING_MAX_BYTES``); its SHA-256 is kept
  (the stream's ETag); a WAV file's duration is read from its header.
* **Fetched.** A call event may say where the phone system keeps the call's recording (an
  absolute path, or an http(s) URL); once the call is over the intake calls
  :func:`contactcenter.telephony.tasks.recording_fetch_schedule`, which queues the job
  ``recording_fetch`` (:func:`recording_fetch`): a path is read only from under ``RECORDINGS_PBX_ROOT`` (anything
  else, ``..`` and symbolic links included, is refused), a URL with the Basic credentials of the
  settings (Twilio: the account SID and auth token), a time limit and the size limit. What may
  work later (the phone system still writing the file, a network error, a 5xx) raises, and the job
  is tried again with backoff; what never will (outside the folder, not audio, too large) is
  logged and dropped. Fetching a recording the interaction already has does nothing.
* **Streamed.** :func:`byte_range` reads a ``Range`` header (one range; anything else is answered
  whole), :func:`recording_chunks` reads the stored file from there.
* **Deleted** with its row: the file goes after the commit (:func:`recording_file_forget`, run
  for every deleted row, the cascades from an interaction included), so that a rolled-back
  deletion keeps its file. Retention (``RECORDING_RETENTION_DAYS``, each recording's
  ``retain_until`` and the data-protection retention periods) and a customer's erasure delete them.

Never logged: a recording's content, and a URL's credentials or query (signed URLs carry secrets
there): :func:`location_for_log`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import struct
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.core.uploads import audio_content_type
from contactcenter.telephony.models import Recording, RecordingSource
from customers.models import Customer
from interactions.models import Interaction

logger = logging.getLogger("contactcenter.telephony")

#: Bytes read at a time (hashing, copying, streaming).
CHUNK_BYTES = 64 * 1024
#: Bytes read to recognise the format and, for WAV, find its duration.
HEAD_BYTES = 4096
#: A fetched file is kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


class RecordingExists(Exception):
    """The interaction has a recording already (the API answers 409)."""

    def __init__(self, recording: Recording) -> None:
        super().__init__(recording.pk)
        self.recording = recording
        self.message = _("This interaction has a recording already: delete it first to replace it.")


class RecordingRefused(Exception):
    """A recording that fetching again will not make acceptable (outside the folder, not audio,
    too large, refused by the server): logged and dropped, not retried."""


class RecordingUnavailable(Exception):
    """A recording that cannot be read now but may be later (being written, network, 5xx): the
    job is tried again."""


# --- What the file is --------------------------------------------------------------------------


def wav_duration(head: bytes) -> float | None:
    """A WAV file's duration in seconds from its first bytes: the ``data`` chunk's size over the
    ``fmt`` chunk's byte rate (any codec: PCM, µ-law, A-law…); ``None`` when the header does not
    say (a stream whose sizes were never filled in, chunks past ``head``)."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    offset, byte_rate = 12, None
    while offset + 8 <= len(head):
        chunk, size = head[offset : offset + 4], struct.unpack("<I", head[offset + 4 : offset + 8])[0]
        if chunk == b"fmt " and offset + 16 <= len(head):
            byte_rate = struct.unpack("<I", head[offset + 16 : offset + 20])[0]
        elif chunk == b"data":
            if not byte_rate or size in (0, 0xFFFFFFFF):
                return None
            return round(size / byte_rate, 3)
        offset += 8 + size + (size & 1)
    return None


@dataclass(frozen=True)
class Examined:
    content_type: str
    size: int
    sha256: str
    duration: float | None


def _examine(file: IO[bytes]) -> Examined:
    """Read ``file`` once from its start: its type (``ValidationError`` on ``file`` when not
    audio), size (``ValidationError`` when over ``RECORDING_MAX_BYTES``), hash and duration."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    content_type = audio_content_type(head)
    if content_type is None:
        raise ValidationError(
            {"file": [_("This file is not a recording: WAV, MP3, Ogg, FLAC, WebM or MP4 audio is accepted.")]},
            code="invalid_content",
        )
    digest, size, limit = hashlib.sha256(head), len(head), settings.RECORDING_MAX_BYTES
    while chunk := file.read(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
        if size > limit:
            break
    if size > limit:
        raise ValidationError(
            {"file": [_("A recording may weigh %(max)s bytes at most.") % {"max": limit}]}, code="too_large"
        )
    file.seek(0)
    return Examined(content_type, size, digest.hexdigest(), wav_duration(head) if content_type == "audio/wav" else None)


# --- Storing and deleting ------------------------------------------------------------------------


def _retain_until(now: datetime) -> datetime | None:
    days = settings.RECORDING_RETENTION_DAYS
    return now + timedelta(days=days) if days > 0 else None


def _recording_of(interaction: Interaction) -> Recording | None:
    """The interaction's recording: as joined with it when it was (the API's views), else read."""
    relation = Interaction._meta.get_field("telephony_recording")
    if relation.is_cached(interaction):
        return relation.get_cached_value(interaction)
    return Recording.objects.filter(interaction_id=interaction.pk).first()


def recording_store(
    *,
    interaction: Interaction,
    file: IO[bytes],
    source: str = RecordingSource.UPLOADED,
    location: str = "",
    by: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> Recording:
    """Keep ``file`` as the recording of ``interaction`` (see the module docstring).

    Raises ``ValidationError`` (``file`` → messages) when it is not audio or too large, and
    :class:`RecordingExists` when the interaction has one already; nothing is stored then (a file
    written before the refusal is deleted)."""
    examined = _examine(file)
    existing = _recording_of(interaction)
    if existing is not None:
        raise RecordingExists(existing)
    now = now or timezone.now()
    recording = Recording(
        interaction_id=interaction.pk,
        content_type=examined.content_type,
        size=examined.size,
        sha256=examined.sha256,
        duration_seconds=examined.duration,
        source=source,
        location=location[:2000],
        retain_until=_retain_until(now),
    )
    recording.file.save("recording", File(file), save=False)  # the name comes from upload_to
    try:
        with transaction.atomic():
            # Its one constraint (not empty) holds: an empty file is not audio.
            recording.full_clean(exclude=["interaction", "file"], validate_constraints=False)
            recording.save()
    except IntegrityError:
        # Another one was stored meanwhile (two uploads, an upload and a fetch).
        recording.file.storage.delete(recording.file.name)
        raise RecordingExists(Recording.objects.get(interaction_id=interaction.pk)) from None
    except BaseException:
        recording.file.storage.delete(recording.file.name)
        raise
    logger.info(
        "recording of interaction %s stored (%s, %s bytes, %s)",
        interaction.pk,
        examined.content_type,
        examined.size,
        source if not by else f"by {by.get_username()}",
    )
    return recording


def recording_file_forget(sender: Any, instance: Recording, **kwargs: Any) -> None:
    """``post_delete`` receiver of :class:`Recording`: its file is deleted from the storage once
    the deletion is committed (whatever deleted the row: a service, a cascade, the admin)."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: _delete_file(storage, name))


def _delete_file(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError as error:  # the row is gone already: the file is an orphan to remove by hand
        logger.error("recording file %s could not be deleted: %s", name, error)


@transaction.atomic
def recording_delete(*, recording: Recording, by: AbstractBaseUser | None = None) -> None:
    """Delete the recording, its file after the commit."""
    interaction_id = recording.interaction_id
    recording.delete()
    logger.info(
        "recording of interaction %s deleted%s", interaction_id, f" by {by.get_username()}" if by is not None else ""
    )


def recordings_delete(queryset: QuerySet[Recording], *, batch_size: int = 500) -> int:
    """Delete the recordings of ``queryset`` in batches (one transaction each), their files after
    each commit; returns how many. Safe to run again: what is gone is not found twice."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    deleted = 0
    for index in range(0, len(ids), batch_size):
        with transaction.atomic():
            count, _by_model = Recording.objects.filter(pk__in=ids[index : index + batch_size]).delete()
            deleted += count
    return deleted


def recordings_expire(*, now: datetime | None = None) -> int:
    """Delete the recordings past their ``retain_until`` (the daily job ``recordings_expire``)."""
    return recordings_delete(Recording.objects.filter(retain_until__lt=now or timezone.now()))


def recordings_offered_before(cutoff: datetime) -> QuerySet[Recording]:
    """The recordings of the interactions offered before ``cutoff`` (the retention period of
    recordings in the data-protection settings)."""
    return Recording.objects.filter(interaction_id__in=Interaction.objects.filter(offered_at__lt=cutoff).values("pk"))


def recordings_customer_erased(*, customer: Customer) -> dict[str, int]:
    """The customer hook of an erasure: the recordings of the customer's interactions are deleted,
    files and all (their voice is personal data)."""
    return {
        "recordings": recordings_delete(
            Recording.objects.filter(interaction_id__in=Interaction.objects.filter(customer=customer).values("pk"))
        )
    }


# --- Fetching from the phone system --------------------------------------------------------------


def location_for_log(location: str) -> str:
    """A location as it may be logged: a URL without its credentials, query and fragment."""
    if location.startswith("/"):
        return location
    parts = urlsplit(location)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _pbx_path(location: str) -> str:
    """The real path of ``location``, which must lie under ``RECORDINGS_PBX_ROOT`` once ``..`` and
    symbolic links are resolved; :class:`RecordingRefused` otherwise."""
    root = settings.RECORDINGS_PBX_ROOT
    if not root:
        raise RecordingRefused("RECORDINGS_PBX_ROOT is not set: recording paths are not read")
    if "\x00" in location:
        raise RecordingRefused("a path holding a NUL byte")
    root_real = os.path.realpath(root)
    path = os.path.realpath(location)
    if os.path.commonpath([root_real, path]) != root_real or path == root_real:
        raise RecordingRefused(f"{location} is not under RECORDINGS_PBX_ROOT")
    return path


def _open_path(location: str) -> IO[bytes]:
    path = _pbx_path(location)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    except FileNotFoundError as error:
        raise RecordingUnavailable(f"{location} does not exist (yet)") from error
    except IsADirectoryError as error:
        raise RecordingRefused(f"{location} is a folder") from error
    if os.fstat(handle.fileno()).st_size > settings.RECORDING_MAX_BYTES:
        handle.close()
        raise RecordingRefused(f"{location} is larger than RECORDING_MAX_BYTES")
    return handle


#: HTTP statuses worth trying again: not there yet (Twilio makes a recording available a few
#: seconds after the call), timeouts, rate limits, server errors.
RETRY_STATUSES = frozenset({404, 408, 425, 429, 500, 502, 503, 504})


def _download(location: str) -> IO[bytes]:
    """The body of the URL ``location`` in a temporary file, with the settings' Basic credentials,
    their time limit and the size limit."""
    request = urllib.request.Request(location, headers={"User-Agent": "Switchboard recordings"})  # noqa: S310
    username, password = settings.RECORDINGS_FETCH_USERNAME, settings.RECORDINGS_FETCH_PASSWORD
    if username or password:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        # Not sent on to another host a redirect leads to (a signed storage URL refuses it).
        request.add_unredirected_header("Authorization", f"Basic {token}")
    limit = settings.RECORDING_MAX_BYTES
    shown = location_for_log(location)
    try:
        with urllib.request.urlopen(request, timeout=settings.RECORDINGS_FETCH_TIMEOUT) as response:  # noqa: S310
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise RecordingRefused(f"{shown} is larger than RECORDING_MAX_BYTES")
            spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned)
            size = 0
            while chunk := response.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    spool.close()
                    raise RecordingRefused(f"{shown} is larger than RECORDING_MAX_BYTES")
                spool.write(chunk)
    except urllib.error.HTTPError as error:
        if error.code in RETRY_STATUSES:
            raise RecordingUnavailable(f"{shown} answered {error.code}") from None
        raise RecordingRefused(f"{shown} answered {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise RecordingUnavailable(f"{shown} could not be read ({reason})") from None
    spool.seek(0)
    return spool


def recording_fetch(*, interaction_id: int, location: str) -> Recording | None:
    """Copy the recording at ``location`` (a path under ``RECORDINGS_PBX_ROOT`` or an http(s) URL)
    into storage as the recording of the interaction ``interaction_id``.

    Returns the recording, the one the interaction had already (nothing is read then), or ``None``
    when the interaction is gone. Raises :class:`RecordingRefused` for what fetching again cannot
    fix, :class:`RecordingUnavailable` for what it may."""
    existing = Recording.objects.filter(interaction_id=interaction_id).first()
    if existing is not None:
        return existing
    interaction = Interaction.objects.filter(pk=interaction_id).only("pk").first()
    if interaction is None:
        return None
    if location.startswith("/"):
        handle = _open_path(location)
    elif urlsplit(location).scheme in ("http", "https"):
        handle = _download(location)
    else:
        raise RecordingRefused("neither an absolute path nor an http(s) URL")
    try:
        return recording_store(interaction=interaction, file=handle, source=RecordingSource.FETCHED, location=location)
    except ValidationError as error:
        raise RecordingRefused(f"{location_for_log(location)}: {' '.join(error.messages)}") from None
    except RecordingExists as exists:
        return exists.recording
    finally:
        handle.close()


# --- Streaming -----------------------------------------------------------------------------------

#: :func:`byte_range`'s answer when the range lies past the end (416).
UNSATISFIABLE = "unsatisfiable"


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The one range ``header`` (``Range: bytes=…``) asks of a file of ``size`` bytes, as
    ``(first, last)`` inclusive; ``None`` for the whole file (no header, several ranges, another
    unit, a malformed one: answered whole, as HTTP allows); :data:`UNSATISFIABLE` when it starts
    past the end."""
    if not header:
        return None
    unit, _sep, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first_text == "":  # the last N bytes
            length = int(last_text)
            if length <= 0:
                return UNSATISFIABLE
            return (max(size - length, 0), size - 1) if size else UNSATISFIABLE
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first >= size:
        return UNSATISFIABLE
    if first < 0 or last < first:
        return None
    return first, min(last, size - 1)


def recording_chunks(recording: Recording, *, first: int = 0, last: int | None = None) -> Iterator[bytes]:
    """The stored file's bytes from ``first`` to ``last`` (inclusive; ``None``: the end), in
    chunks; the file is closed at the end, or when the client goes away."""
    last = recording.size - 1 if last is None else last
    handle = recording.file.storage.open(recording.file.name, "rb")
    try:
        handle.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()
