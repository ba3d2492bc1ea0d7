"""``UNSET``: the default of a service's keyword that means "not given: leave it as it is".

An update service cannot use ``None`` for that: ``None`` is a value (no customer, no ticket, no
disposition). An enum member types well, where ``object()`` does not: ``ticket: Ticket | Unset |
None = UNSET`` says what may be passed, and ``if ticket is not UNSET`` narrows it for a type
checker.
"""

from __future__ import annotations

import enum
from typing import Any, Final


class Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def given(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the ones left ``UNSET``: what the caller asked to change."""
    return {name: value for name, value in values.items() if value is not UNSET}
