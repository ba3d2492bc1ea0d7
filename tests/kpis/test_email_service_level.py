"""Email counts in offered, handled, ASA and service level like every channel, against its queue's
threshold, which for email is hours (the queue's ``service_level_seconds`` goes up to 7 days)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contactcenter.agents.models import MAX_SERVICE_LEVEL_SECONDS
from kpis.definitions import KpiFilters, KpiScope
from kpis.selectors import kpi_rows
from tests.agents.factories import QueueFactory
from tests.kpis.kpi_data import END, START, at, contact

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"
    settings.SHORT_ABANDON_SECONDS = 5


def test_an_email_queue_with_an_eight_hour_threshold_counts_its_mail_against_it(org):
    mail = QueueFactory(name="Email", channel="email", service_level_seconds=8 * HOUR)
    t = at(3, 9)
    contact(t, agent=org.agent_a, queue=mail, channel="email", wait=2 * HOUR, talk=300)  # within
    contact(t, agent=org.agent_a, queue=mail, channel="email", wait=8 * HOUR, talk=300)  # at the threshold
    contact(t, agent=org.agent_b, queue=mail, channel="email", wait=9 * HOUR, talk=300)  # late
    contact(t, queue=mail, channel="email")  # not answered yet: offered, not within
    contact(t, agent=org.agent_a, queue=org.queue_a, wait=30, talk=60)  # a call over its 20 s: late

    rows = kpi_rows(
        scope=KpiScope(everything=True),
        start=START,
        end=END,
        group_by="channel",
        filters=KpiFilters(),
        now=at(9, 1),
    )
    email = {row.key: row for row in rows}["email"]

    assert (email.offered, email.handled, email.answered_in_threshold) == (4, 3, 2)
    assert email.service_level == 2 / 4
    assert email.asa == (2 + 8 + 9) * HOUR / 3


def test_the_threshold_goes_up_to_seven_days(db):
    assert MAX_SERVICE_LEVEL_SECONDS == 7 * 24 * HOUR
    QueueFactory.build(name="Demo email", channel="email", service_level_seconds=28800).full_clean()
    QueueFactory.build(name="Week", channel="email", service_level_seconds=MAX_SERVICE_LEVEL_SECONDS).full_clean()
    with pytest.raises(ValidationError) as refused:
        QueueFactory.build(name="Longer", service_level_seconds=MAX_SERVICE_LEVEL_SECONDS + 1).full_clean()
    assert "service_level_seconds" in refused.value.message_dict


def test_the_api_takes_an_eight_hour_threshold_and_refuses_more_than_a_week(org, api_client_for):
    admin_api = api_client_for(org.admin)
    created = admin_api.post(
        "/api/v1/queues/", {"name": "Email", "channel": "email", "service_level_seconds": 28800}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["service_level_seconds"] == 28800
    refused = admin_api.patch("/api/v1/queues/Email/", {"service_level_seconds": 7 * 24 * HOUR + 1}, format="json")
    assert refused.status_code == 400 and "service_level_seconds" in refused.json()
