"""Small, rarely changed tables that every call reads (the dispositions, the queues, the queues'
published scripts), kept in the cache: Redis when ``REDIS_URL`` is set, so shared by every server
process and worker, else the one process's memory (a single process: README, "PostgreSQL and
Redis").

Each group of entries has a version in the cache; an entry is kept with the version it was read
under, and any change to the group's rows gives the group a new version (:func:`cached_forget`,
from the rows' ``post_save``/``post_delete`` receivers), so that every process reads the rows
again on its next use. The version is given twice: at once (the writer's own later reads, in the
same transaction, see the change) and again after the commit (a process that read the old rows
between the two, before the commit made the change visible, kept them under the first new
version, which the second one retires). The version is read before the rows, so an entry read
under a version always holds rows as they were at or after it.

While the cache is unreachable the rows are read from the database every time: a request never
fails for it, it only costs a query. An entry also expires on its own after
:data:`ENTRY_SECONDS`, a bound on how long a change missed by an unreachable cache could be
ignored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: An entry is read again from the database at least this often, whatever the versions say.
ENTRY_SECONDS = 300
_PREFIX = "cached"


def _version_key(group: str) -> str:
    return f"{_PREFIX}:{group}:version"


def _entry_key(group: str, key: str) -> str:
    return f"{_PREFIX}:{group}:entry:{key}"


def cached_read(group: str, key: str, read: Callable[[], T]) -> T:
    """The value ``read()`` returns for entry ``key`` of ``group``, from the cache when it holds
    one read under the group's current version (one round trip to the cache), else read now and
    kept. ``read`` must return something picklable (model instances are)."""
    version_key, entry_key = _version_key(group), _entry_key(group, key)
    try:
        found = cache.get_many([version_key, entry_key])
        version = found.get(version_key)
        if version is None:
            cache.add(version_key, uuid.uuid4().hex, timeout=None)
            version = cache.get(version_key)
        entry = found.get(entry_key)
        if entry is not None and version is not None and entry[0] == version:
            return entry[1]
    except Exception:
        logger.warning("%s read from the database: the cache is unreachable", group, exc_info=True)
        return read()
    value = read()
    if version is not None:
        try:
            cache.set(entry_key, (version, value), timeout=ENTRY_SECONDS)
        except Exception:
            logger.warning("%s not kept: the cache is unreachable", group, exc_info=True)
    return value


def _new_version(group: str) -> None:
    try:
        cache.set(_version_key(group), uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("%s not forgotten: the cache is unreachable", group, exc_info=True)


def cached_forget(group: str) -> None:
    """Every entry of ``group`` is read again from the database by its next use, in every process:
    a new version now, and another once the current transaction commits (see the module's
    docstring)."""
    _new_version(group)
    transaction.on_commit(lambda: _new_version(group))
