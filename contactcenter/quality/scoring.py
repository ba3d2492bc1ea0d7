"""The score of an evaluation: one pure definition, from the answers, with no database.

    score % = 100 × Σ(weight × value / maximum) / Σ(weight)

over the criteria not marked not applicable (a yes/no criterion's maximum is 1: yes = 1, no = 0;
a points criterion's is its ``max_points``). A critical criterion answered "no" (or 0 points)
fails the whole evaluation: ``critical_failed`` and a score of 0. When every criterion is not
applicable there is nothing to score: the score is ``None``.

The services call :func:`score_of` when an evaluation is published and when a dispute's decision
corrects its answers; the KPI figures read the stored score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    """One criterion as answered: its weight and best value, whether it is critical, and the
    answer (``value`` ``None`` with ``not_applicable``)."""

    weight: int
    maximum: int
    value: int | None
    not_applicable: bool = False
    critical: bool = False


@dataclass(frozen=True)
class Score:
    """``percent``: 0–100 with two decimals, ``None`` when every criterion was not applicable."""

    percent: Decimal | None
    critical_failed: bool


class ScoringError(ValueError):
    """An answer the formula cannot score (no value, a value above the maximum…)."""


def check_item(item: Item) -> None:
    """Raise :class:`ScoringError` when ``item`` cannot be scored."""
    if item.weight < 1:
        raise ScoringError("weight must be positive")
    if item.maximum < 1:
        raise ScoringError("maximum must be positive")
    if item.not_applicable:
        if item.value is not None:
            raise ScoringError("a criterion not applicable has no value")
        return
    if item.value is None:
        raise ScoringError("a value is needed")
    if not 0 <= item.value <= item.maximum:
        raise ScoringError("the value lies outside the scale")


def item_percent(item: Item) -> Decimal | None:
    """One criterion's own score in % (value / maximum), ``None`` when not applicable: what the
    calibration report and the per-criterion figures compare."""
    check_item(item)
    if item.not_applicable:
        return None
    return (HUNDRED * Decimal(item.value) / Decimal(item.maximum)).quantize(CENT, ROUND_HALF_UP)


def score_of(items: Iterable[Item]) -> Score:
    """The evaluation's score from its answered criteria (see the module's formula)."""
    items = list(items)
    for item in items:
        check_item(item)
    counted = [item for item in items if not item.not_applicable]
    critical_failed = any(item.critical and item.value == 0 for item in counted)
    if not counted:
        return Score(percent=None, critical_failed=False)
    if critical_failed:
        return Score(percent=Decimal("0.00"), critical_failed=True)
    total_weight = sum(item.weight for item in counted)
    earned = sum(Decimal(item.weight) * Decimal(item.value) / Decimal(item.maximum) for item in counted)
    percent = (HUNDRED * earned / Decimal(total_weight)).quantize(CENT, ROUND_HALF_UP)
    return Score(percent=percent, critical_failed=False)


def spread(values: Iterable[Decimal | None]) -> Decimal | None:
    """The spread of several evaluators' scores of one criterion: highest minus lowest, over the
    ones that scored it (``None`` when fewer than one did)."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    return (max(present) - min(present)).quantize(CENT, ROUND_HALF_UP)
