"""The score formula (contactcenter/quality/scoring.py): weights, n.a., critical fail, all n.a."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactcenter.quality.scoring import Item, ScoringError, item_percent, score_of, spread


def yes(weight: int = 1, *, critical: bool = False) -> Item:
    return Item(weight=weight, maximum=1, value=1, critical=critical)


def no(weight: int = 1, *, critical: bool = False) -> Item:
    return Item(weight=weight, maximum=1, value=0, critical=critical)


def na(weight: int = 1, maximum: int = 1, *, critical: bool = False) -> Item:
    return Item(weight=weight, maximum=maximum, value=None, not_applicable=True, critical=critical)


def points(value: int, maximum: int, weight: int = 1, *, critical: bool = False) -> Item:
    return Item(weight=weight, maximum=maximum, value=value, critical=critical)


def test_all_yes_scores_100():
    assert score_of([yes(), yes(3), points(5, 5, 2)]).percent == Decimal("100.00")


def test_weights_count():
    # 100 × (1×1 + 3×0) / 4 = 25
    assert score_of([yes(1), no(3)]).percent == Decimal("25.00")
    assert score_of([no(1), yes(3)]).percent == Decimal("75.00")


def test_points_are_a_fraction_of_their_maximum():
    # 100 × (2 × 3/4 + 1 × 1) / 3 = 83.33
    assert score_of([points(3, 4, 2), yes(1)]).percent == Decimal("83.33")


def test_the_worked_example_of_the_docs():
    # Greeting yes/no w2 yes; Identification yes/no w3 critical yes; Solution 0–4 w4 given 3;
    # Closing yes/no w1 not applicable → 100 × (2 + 3 + 4 × 3/4) / 9 = 88.89
    result = score_of([yes(2), yes(3, critical=True), points(3, 4, 4), na(1)])
    assert result.percent == Decimal("88.89")
    assert result.critical_failed is False


def test_not_applicable_leaves_the_criterion_out_of_both_sums():
    assert score_of([yes(1), na(5)]).percent == Decimal("100.00")
    assert score_of([no(1), na(5), yes(1)]).percent == Decimal("50.00")


def test_a_failed_critical_criterion_fails_the_whole_evaluation():
    result = score_of([yes(10), no(1, critical=True), points(4, 4, 5)])
    assert result.critical_failed is True
    assert result.percent == Decimal("0.00")


def test_a_critical_points_criterion_fails_at_zero_only():
    assert score_of([points(0, 3, critical=True), yes()]).critical_failed is True
    passed = score_of([points(1, 3, critical=True), yes()])
    assert passed.critical_failed is False
    assert passed.percent == Decimal("66.67")


def test_a_critical_criterion_not_applicable_does_not_fail():
    result = score_of([na(critical=True), no(), yes()])
    assert result.critical_failed is False
    assert result.percent == Decimal("50.00")


def test_all_not_applicable_has_no_score():
    result = score_of([na(), na(2, 4)])
    assert result.percent is None
    assert result.critical_failed is False
    assert score_of([]).percent is None


@pytest.mark.parametrize(
    "item",
    [
        Item(weight=1, maximum=1, value=None),
        Item(weight=1, maximum=1, value=2),
        Item(weight=1, maximum=4, value=-1),
        Item(weight=0, maximum=1, value=1),
        Item(weight=1, maximum=1, value=1, not_applicable=True),
    ],
)
def test_answers_that_cannot_be_scored_are_refused(item):
    with pytest.raises(ScoringError):
        score_of([yes(), item])


def test_item_percent_and_spread():
    assert item_percent(points(1, 3)) == Decimal("33.33")
    assert item_percent(na()) is None
    assert spread([Decimal("100"), None, Decimal("25.5"), Decimal("50")]) == Decimal("74.50")
    assert spread([None, None]) is None


items = st.builds(
    lambda weight, maximum, fraction, not_applicable, critical: Item(
        weight=weight,
        maximum=maximum,
        value=None if not_applicable else round(fraction * maximum),
        not_applicable=not_applicable,
        critical=critical,
    ),
    st.integers(1, 100),
    st.integers(1, 10),
    st.floats(0, 1),
    st.booleans(),
    st.booleans(),
)


@given(st.lists(items, max_size=12))
def test_the_score_is_a_percentage_and_order_does_not_matter(answers):
    result = score_of(answers)
    assert score_of(list(reversed(answers))) == result
    if result.percent is not None:
        assert Decimal(0) <= result.percent <= Decimal(100)
    if result.critical_failed:
        assert result.percent == 0
    if all(item.not_applicable for item in answers):
        assert result.percent is None


@given(st.lists(items, min_size=1, max_size=12))
def test_raising_one_answer_never_lowers_the_score(answers):
    before = score_of(answers)
    index = next((i for i, item in enumerate(answers) if not item.not_applicable), None)
    if index is None:
        return
    item = answers[index]
    better = Item(item.weight, item.maximum, item.maximum, False, item.critical)
    after = score_of([*answers[:index], better, *answers[index + 1 :]])
    assert after.percent >= before.percent
