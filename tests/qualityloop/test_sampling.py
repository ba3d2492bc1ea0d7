"""Sampling: each week, N random interactions per agent and sampling rule, spread over the rule's
channels, never one too short, already sampled or evaluated, assigned round-robin to the team's
QA evaluators (else its supervisors); a management command and a weekly job."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.core.jobs import job_of
from contactcenter.quality import tasks
from contactcenter.quality.models import EvaluatorTeam, SampleItem, SamplingRule
from contactcenter.quality.sampling import last_week, sample_picks, sampling_rule_apply, sampling_run, week_of
from tests.agents.factories import AgentProfileFactory
from tests.qualityloop.helpers import WEEK, contact, evaluation, scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    return scorecard()


@pytest.fixture
def rule(org, card):
    return SamplingRule.objects.create(
        name="Weekly", queue=org.queue_a, scorecard=card[0], per_agent_per_week=4, channels=["voice", "chat"]
    )


def _fill(org, agent, n_voice=5, n_chat=5):
    for n in range(n_voice):
        contact(agent, org.queue_a, channel="voice", day=n % 7)
    for n in range(n_chat):
        contact(agent, org.queue_a, channel="chat", day=n % 7)


def test_n_per_agent_spread_over_the_channels(org, rule):
    second = AgentProfileFactory(user__username="agent_a2", team=org.team_a, queues=[org.queue_a]).user
    _fill(org, org.agent_a)
    _fill(org, second, n_voice=1, n_chat=8)  # too few calls: chats fill the rest
    contact(org.agent_a, org.queue_a, channel="email")  # a channel the rule does not sample
    contact(org.agent_b, org.queue_b)  # another queue
    result = sampling_rule_apply(rule=rule, week=WEEK, seed="t")
    assert (result.agents, result.items) == (2, 8)
    mine = Counter(SampleItem.objects.filter(agent=org.agent_a).values_list("interaction__channel", flat=True))
    assert mine == {"voice": 2, "chat": 2}
    theirs = Counter(SampleItem.objects.filter(agent=second).values_list("interaction__channel", flat=True))
    assert theirs == {"voice": 1, "chat": 3}
    assert set(SampleItem.objects.values_list("week", flat=True)) == {WEEK}
    assert not SampleItem.objects.filter(interaction__queue=org.queue_b).exists()


def test_short_other_week_sampled_or_evaluated_contacts_are_never_picked(org, rule, card):
    _card, version, criteria = card
    rule.min_duration_seconds = 120
    rule.save()
    keep = contact(org.agent_a, org.queue_a, talk_minutes=5)
    contact(org.agent_a, org.queue_a, talk_minutes=1)  # 70 s: too short
    contact(org.agent_a, org.queue_a, day=8)  # next week
    contact(org.agent_a, org.queue_a, day=-1)  # last week
    evaluation(
        version=version, criteria=criteria, agent=org.agent_a, evaluator=org.supervisor_a, queue=org.queue_a, values={}
    )  # evaluated already
    other = SamplingRule.objects.create(name="Other", scorecard=_card, per_agent_per_week=1)
    taken = contact(org.agent_a, org.queue_a)
    SampleItem.objects.create(rule=other, interaction=taken, agent=org.agent_a, week=WEEK)  # sampled already
    assert sample_picks(rule=rule, week=WEEK, seed="x") == {org.agent_a.pk: [keep.pk]}


def test_deterministic_with_a_seed_and_a_second_run_tops_up_only(org, rule):
    _fill(org, org.agent_a, n_voice=6, n_chat=6)
    first = sample_picks(rule=rule, week=WEEK, seed="same")
    assert sample_picks(rule=rule, week=WEEK, seed="same") == first
    assert len(first[org.agent_a.pk]) == 4
    sampling_rule_apply(rule=rule, week=WEEK, seed="same")
    assert sampling_rule_apply(rule=rule, week=WEEK, seed="other").items == 0
    rule.per_agent_per_week = 5
    rule.save()
    assert sampling_rule_apply(rule=rule, week=WEEK).items == 1
    assert SampleItem.objects.count() == 5


def test_the_selection_is_one_sql_query_with_a_window(org, rule):
    _fill(org, org.agent_a)
    with CaptureQueriesContext(connection) as queries:
        sample_picks(rule=rule, week=WEEK, seed="s")
    assert len(queries) == 2  # what the rule has already, then the ranked picks
    assert "ROW_NUMBER() OVER (PARTITION BY" in queries[1]["sql"].upper()


def test_assigned_round_robin_to_the_teams_qa_evaluators_else_its_supervisors(org, rule):
    qa1 = AgentProfileFactory(user__username="qa1", role="quality", team=None).user
    qa2 = AgentProfileFactory(user__username="qa2", role="quality", team=None).user
    EvaluatorTeam.objects.create(user=qa1, team=org.team_a)
    EvaluatorTeam.objects.create(user=qa2, team=org.team_a)
    _fill(org, org.agent_a)
    result = sampling_rule_apply(rule=rule, week=WEEK, seed="r")
    assert result.assigned == {qa1.pk: 2, qa2.pk: 2}
    # Team B has no QA evaluator: its supervisor takes its samples.
    supervisor_b = AgentProfileFactory(user__username="supervisor_b", role="supervisor", team=org.team_b).user
    rule_b = SamplingRule.objects.create(name="B", queue=org.queue_b, scorecard=rule.scorecard, per_agent_per_week=2)
    contact(org.agent_b, org.queue_b)
    contact(org.agent_b, org.queue_b)
    sampling_rule_apply(rule=rule_b, week=WEEK)
    assert set(SampleItem.objects.filter(rule=rule_b).values_list("assigned_to", flat=True)) == {supervisor_b.pk}


def test_a_dry_run_writes_nothing(org, rule):
    _fill(org, org.agent_a)
    assert sampling_rule_apply(rule=rule, week=WEEK, dry_run=True).items == 4
    assert not SampleItem.objects.exists()


def test_the_command_samples_the_week_given_with_a_progress_bar(org, rule):
    _fill(org, org.agent_a)
    out, err = StringIO(), StringIO()
    call_command("quality_sample", "--week", "2026-03-05", "--dry-run", "--seed", "c", stdout=out, stderr=err)
    assert "Weekly: 4 would be sampled for 1 agents (week of 2026-03-02)." in out.getvalue()
    assert "Sampling rules" in err.getvalue()
    assert not SampleItem.objects.exists()
    call_command("quality_sample", "--week", "2026-03-05", stdout=StringIO(), stderr=StringIO())
    assert SampleItem.objects.count() == 4


def test_the_weekly_job_samples_last_week(org, rule):
    _fill(org, org.agent_a)
    assert str(job_of(tasks.quality_sample).every) == "every Monday at 05:17"
    with time_machine.travel("2026-03-09 06:00:00+01:00", tick=False):
        assert last_week() == WEEK == week_of(WEEK)
        assert tasks.quality_sample() == {"rules": 1, "items": 4}
        assert sampling_run()[0].items == 0
