"""Services that call services, in one transaction without a savepoint each.

A service is atomic on its own (``transaction.atomic``); called inside another one's transaction,
Django gives it a savepoint, two queries (``SAVEPOINT``, ``RELEASE``) that only matter when the
caller catches the service's error and goes on. A caller that runs services in a row, all or
nothing, says so with :func:`services_joined` (a block) or ``service_atomic(joins=True)`` (a
service): the services it calls directly that are decorated with :func:`service_atomic` then run
in its transaction without a savepoint of their own.

All or nothing still holds: a service's error leaves the joined block (which must not catch it to
go on; Django would refuse any further query in the transaction) and rolls back everything the
block wrote, the services' writes included.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, overload

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_JOINED: ContextVar[bool] = ContextVar("switchboard_services_joined", default=False)


@contextmanager
def services_joined() -> Iterator[None]:
    """One transaction (or savepoint, inside another) for the services called in the block, none of
    their own (see the module docstring). The block must let their errors through."""
    with transaction.atomic():
        token = _JOINED.set(True)
        try:
            yield
        finally:
            _JOINED.reset(token)


@overload
def service_atomic(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def service_atomic(*, joins: bool = False) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def service_atomic(func: Callable[P, R] | None = None, /, *, joins: bool = False) -> Any:
    """``transaction.atomic`` for a service: its own transaction, or a savepoint inside another
    one's, except when called directly in a :func:`services_joined` block or by a service that
    ``joins``. With ``joins``, the service lets the errors of the services it calls through (it
    catches none of them to go on), so that they run without a savepoint of their own; the
    services those call get theirs as usual."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with transaction.atomic(savepoint=not _JOINED.get()):
                token = _JOINED.set(joins)
                try:
                    return service(*args, **kwargs)
                finally:
                    _JOINED.reset(token)

        return wrapper

    return decorate(func) if func is not None else decorate
