"""The vocabulary of the access matrix, shared by the entry modules of every app.

An entry maps ``(route name, http method)`` to a :class:`Case`: the URL keyword arguments and the
body to send, built from the ``org`` fixture, and the status each role must get.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

ROLES = ("anonymous", "nobody", "agent", "other_agent", "supervisor", "manager", "admin")
_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def statuses(default: int, **by_role: int) -> dict[str, int]:
    """``default`` for every signed-in role with a profile; 401 for anonymous and 403 for a user
    without a role unless said otherwise."""
    table = {role: default for role in ROLES}
    table["anonymous"], table["nobody"] = 401, 403
    table.update(by_role)
    return table


ADMIN_ONLY_CREATE = statuses(403, admin=201)
ADMIN_ONLY_CHANGE = statuses(403, admin=200)


@dataclass
class Case:
    expected: dict[str, int]
    kwargs: Callable[[SimpleNamespace], dict[str, Any]] = lambda org: {}
    body: Callable[[SimpleNamespace], Any] | None = None
    query: str = ""
    notes: str = field(default="")
