"""Sampling (docs/quality.md, *Sampling*): each week, N random interactions per agent and per
sampling rule land in the evaluators' queues.

For one rule and one week (Monday to Sunday, the center's local time):

- the interactions of the rule's queue (every queue when it has none), of its channels (every
  channel when it lists none; else the scorecard's channel when it has one), handled by an agent
  (answered and ended) and offered that week, at least ``min_duration_seconds`` long (handle time:
  talk + hold + after-call work, the KPI engine's definition), never one already sampled (by any
  rule) nor evaluated;
- per agent, ``per_agent_per_week`` of them minus those the rule already sampled for them that
  week (a second run tops up, never doubles), **spread evenly over the channels**: the database
  ranks each agent's interactions of each channel at random (a window function partitioned by
  agent and channel) and returns at most N per agent and channel; the picks then take the first
  of each channel in turn, so a channel with too few contacts leaves its share to the others;
- each sample is assigned round-robin to the QA evaluators whose evaluator teams cover the agent's
  team (the ``quality`` users of :class:`~contactcenter.quality.models.EvaluatorTeam`), else to the
  supervisors of that team, else to nobody (any evaluator who may see it takes it).

A ``seed`` makes the random order reproducible (tests, a dry run then the real one): the rank is
then ``md5(id || seed)`` instead of ``random()``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import CharField, Count, Exists, F, OuterRef, QuerySet, Value, Window
from django.db.models.functions import MD5, Cast, Concat, Random, RowNumber
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.core.roles import QUALITY, SUPERVISOR
from contactcenter.quality.models import Evaluation, EvaluatorTeam, SampleItem, SamplingRule
from interactions.durations import handle_seconds_sql
from interactions.models import Interaction


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def last_week(today: date | None = None) -> date:
    """The Monday of the last complete week (the one before ``today``'s, default today, local)."""
    return week_of(today or timezone.localdate()) - timedelta(days=7)


def _bounds(week: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(week, time.min))
    return start, timezone.make_aware(datetime.combine(week + timedelta(days=7), time.min))


def sampling_pool(*, rule: SamplingRule, week: date) -> QuerySet[Interaction]:
    """The interactions ``rule`` may sample in ``week`` (a Monday): see the module's docstring.
    Not evaluated, sampled by no rule; one query when read."""
    start, end = _bounds(week)
    pool = Interaction.objects.filter(
        offered_at__gte=start,
        offered_at__lt=end,
        agent__isnull=False,
        answered_at__isnull=False,
        ended_at__isnull=False,
    )
    if rule.queue_id is not None:
        pool = pool.filter(queue_id=rule.queue_id)
    channels = list(rule.channels or [])
    if not channels and rule.scorecard.channel:
        channels = [rule.scorecard.channel]
    if channels:
        pool = pool.filter(channel__in=channels)
    if rule.min_duration_seconds:
        pool = pool.alias(handled_for=handle_seconds_sql()).filter(handled_for__gte=rule.min_duration_seconds)
    return pool.exclude(Exists(SampleItem.objects.filter(interaction_id=OuterRef("pk")))).exclude(
        Exists(Evaluation.objects.filter(interaction_id=OuterRef("pk")))
    )


def _ranked(pool: QuerySet[Interaction], *, per_channel: int, seed: str | None) -> list[tuple[int, int, str, int]]:
    """``(interaction id, agent id, channel, rank)`` of the first ``per_channel`` interactions of
    each agent and channel in random order (``rank`` from 1), chosen by the database. One query."""
    if seed is None:
        order = Random()
    else:
        order = MD5(Concat(Cast("pk", output_field=CharField()), Value(f":{seed}"), output_field=CharField()))
    ranked = pool.annotate(
        pick=Window(RowNumber(), partition_by=[F("agent_id"), F("channel")], order_by=[order.asc(), F("pk").asc()])
    ).filter(pick__lte=per_channel)
    return list(ranked.values_list("pk", "agent_id", "channel", "pick"))


def sample_picks(*, rule: SamplingRule, week: date, seed: str | None = None) -> dict[int, list[int]]:
    """``{agent id: [interaction ids]}``: what ``rule`` samples in ``week`` on top of what it
    already has, ``per_agent_per_week`` at most per agent, spread over the channels. Two queries."""
    already = dict(
        SampleItem.objects.filter(rule=rule, week=week).order_by().values_list("agent_id").annotate(n=Count("pk"))
    )
    wanted = rule.per_agent_per_week
    rows = _ranked(sampling_pool(rule=rule, week=week), per_channel=wanted, seed=seed)
    by_agent: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for pk, agent_id, channel, rank in rows:
        by_agent[agent_id].append((rank, channel, pk))
    picks: dict[int, list[int]] = {}
    for agent_id, candidates in sorted(by_agent.items()):
        need = wanted - already.get(agent_id, 0)
        if need > 0:
            # The first of each channel, then the second of each… : an even spread over the channels.
            picks[agent_id] = [pk for _rank, _channel, pk in sorted(candidates)[:need]]
    return picks


def evaluators_by_team(team_ids: Iterable[int]) -> dict[int | None, list[int]]:
    """``{team id: [user ids]}``: who evaluates a team's samples, in a fixed order (username): its
    QA evaluators (active ``quality`` users of :class:`EvaluatorTeam`), else its active supervisors.
    Two queries."""
    team_ids = {pk for pk in team_ids if pk is not None}
    users = get_user_model()
    found: dict[int | None, list[int]] = defaultdict(list)
    qa = (
        EvaluatorTeam.objects.filter(team_id__in=team_ids, user__is_active=True, user__agent_profile__role=QUALITY)
        .order_by("team_id", f"user__{users.USERNAME_FIELD}")
        .values_list("team_id", "user_id")
    )
    for team_id, user_id in qa:
        found[team_id].append(user_id)
    missing = team_ids - set(found)
    if missing:
        supervisors = (
            AgentProfile.objects.filter(team_id__in=missing, role=SUPERVISOR, user__is_active=True)
            .order_by("team_id", f"user__{users.USERNAME_FIELD}")
            .values_list("team_id", "user_id")
        )
        for team_id, user_id in supervisors:
            found[team_id].append(user_id)
    return found


@dataclass
class RuleSample:
    """What one rule sampled (or would sample, on a dry run) in one week."""

    rule: SamplingRule
    week: date
    agents: int = 0
    items: int = 0
    #: evaluator user id (``None``: nobody) → samples assigned.
    assigned: dict[int | None, int] = field(default_factory=dict)


@transaction.atomic
def sampling_rule_apply(
    *, rule: SamplingRule, week: date, dry_run: bool = False, seed: str | None = None
) -> RuleSample:
    """Sample ``week`` (any day of it) for ``rule``: :func:`sample_picks`, assigned round-robin per
    team (:func:`evaluators_by_team`, the evaluator with the fewest open samples of the rule's week
    first). The rule's row is locked, so two runs at once do not both top up; running it again
    adds nothing once every agent has their N (or the pool is empty). ``dry_run``: nothing is
    written, the counts say what would be."""
    week = week_of(week)
    SamplingRule.objects.select_for_update().filter(pk=rule.pk).first()
    picks = sample_picks(rule=rule, week=week, seed=seed)
    result = RuleSample(rule=rule, week=week, agents=len(picks), items=sum(len(v) for v in picks.values()))
    if not picks:
        return result
    teams = dict(AgentProfile.objects.filter(user_id__in=list(picks)).values_list("user_id", "team_id"))
    evaluators = evaluators_by_team(teams.values())
    load = dict(
        SampleItem.objects.filter(week=week, assigned_to__isnull=False, state="open")
        .order_by()
        .values_list("assigned_to_id")
        .annotate(n=Count("pk"))
    )
    turns: dict[int | None, Iterator[int | None]] = {}
    items: list[SampleItem] = []
    for agent_id, interaction_ids in picks.items():
        team_id = teams.get(agent_id)
        if team_id not in turns:
            people = sorted(evaluators.get(team_id, []), key=lambda pk: (load.get(pk, 0), pk))
            turns[team_id] = itertools.cycle(people or [None])
        for interaction_id in interaction_ids:
            evaluator = next(turns[team_id])
            result.assigned[evaluator] = result.assigned.get(evaluator, 0) + 1
            items.append(
                SampleItem(
                    rule=rule, interaction_id=interaction_id, agent_id=agent_id, week=week, assigned_to_id=evaluator
                )
            )
    if not dry_run:
        SampleItem.objects.bulk_create(items, ignore_conflicts=True)
    return result


def sampling_run(
    *,
    week: date | None = None,
    dry_run: bool = False,
    seed: str | None = None,
    progress: Callable[[list[SamplingRule]], Iterable[SamplingRule]] | None = None,
) -> list[RuleSample]:
    """Every active sampling rule applied to ``week`` (default: last week, see
    :func:`last_week`), each in its own transaction; ``progress`` wraps the rules (a progress bar)."""
    week = week_of(week) if week is not None else last_week()
    rules = list(SamplingRule.objects.filter(is_active=True).select_related("scorecard").order_by("name", "pk"))
    walk = progress(rules) if progress is not None else rules
    return [sampling_rule_apply(rule=rule, week=week, dry_run=dry_run, seed=seed) for rule in walk]
