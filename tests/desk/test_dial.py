"""Calling from the desk (docs/desktop.md, *Calling from the desk*): a dial button beside every
phone number shown, the outcome said in the page, and the call bar's hold, resume and transfer,
enabled only when a connected phone system can do them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.telephony.models import Command
from customers.services import customer_create
from interactions.cti import cti_event_apply
from tests.desk.test_desktop import HTMX, call
from tests.telephony.helpers import bridge_online

pytestmark = pytest.mark.django_db

HOLD_OFF = "No connected phone system can put calls on hold from Switchboard"


@pytest.fixture
def center(org):
    """``org`` with agent A available since yesterday, phone 1001."""
    AgentProfile.objects.filter(user=org.agent_a).update(
        status=Status.AVAILABLE, status_since=timezone.now() - timedelta(days=1), extension="1001"
    )
    return org


@pytest.fixture
def amelie(center):
    return customer_create(first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78", "01 70 00 00 02"])


@pytest.fixture
def agent(client, center):
    client.force_login(center.agent_a)
    return client


def dial(client, to: str, customer=None, **headers):
    body = {"to": to} | ({"customer": customer.pk} if customer else {})
    return client.post(reverse("desk:dial"), body, **HTMX, **headers)


def test_the_customer_card_has_a_dial_button_for_each_phone_and_one_for_the_customer(agent, amelie):
    page = agent.get(reverse("desk:customer", args=[amelie.pk]), **HTMX).content.decode()
    assert page.count('data-dial="+33612345678"') == 2  # the card's own button, and the number's
    assert 'data-dial="+33170000002"' in page
    assert 'aria-label="Call +33612345678"' in page and "Call Amélie Poulain" in page
    assert f'name="customer" value="{amelie.pk}"' in page


def test_the_caller_panel_has_a_dial_button(center, agent):
    call(center, "call.offered", "call.answered", caller="+33 6 98 76 54 32")
    page = agent.get(reverse("desk:current_call"), **HTMX).content.decode()
    assert 'data-dial="+33698765432"' in page


def test_without_a_bridge_the_agent_is_told_to_dial_it_themselves(agent, amelie):
    response = dial(agent, "+33612345678", amelie)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No phone system is connected to Switchboard: dial +33 6 12 34 56 78 yourself." in body
    assert 'data-dial-outcome="no_bridge"' in body and 'href="tel:+33612345678"' in body
    assert not Command.objects.exists()


def test_without_a_bridge_no_extension_does_not_matter(client, center):
    client.force_login(center.agent_b)
    assert 'data-dial-outcome="no_bridge"' in dial(client, "0612345678").content.decode()


def test_with_a_bridge_the_call_is_placed(center, agent, amelie):
    bridge_online("dial")
    response = dial(agent, "06 12 34 56 78", amelie)
    assert response.status_code == 200
    assert "Calling +33 6 12 34 56 78: your phone rings first, pick it up." in response.content.decode()
    command = Command.objects.get()
    assert (command.action, command.state, command.requested_by) == ("dial", "pending", center.agent_a)
    assert command.arguments == {"to": "+33612345678", "extension": "1001", "agent": "agent_a", "customer": amelie.pk}


def test_on_a_contact_no_extension_not_a_number(center, agent, client):
    bridge_online("dial")
    response = dial(agent, "nothing to call")
    assert response.status_code == 400 and 'data-dial-outcome="invalid"' in response.content.decode()
    AgentProfile.objects.filter(user=center.agent_a).update(status=Status.BUSY)
    response = dial(agent, "0612345678")
    assert response.status_code == 409
    assert "You are on a contact: finish it before placing a call." in response.content.decode()
    client.logout()
    client.force_login(center.agent_b)
    response = dial(client, "0612345678")
    assert response.status_code == 400
    assert "You have no phone extension: an admin sets it on your agent profile." in response.content.decode()
    assert not Command.objects.exists()


def test_a_user_without_a_role_may_not_dial(client, center):
    client.force_login(center.nobody)
    assert dial(client, "0612345678").status_code == 403


def test_the_outcome_in_french(agent):
    response = dial(agent, "0612345678", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Aucun système téléphonique n’est connecté à Switchboard : composez +33 6 12 34 56 78 vous-même." in (
        response.content.decode()
    )


def test_the_desktop_has_the_outcome_region(agent):
    page = agent.get(reverse("desk:desktop")).content.decode()
    assert 'id="dial-outcome"' in page and 'aria-live="polite"' in page


# --- The call bar ------------------------------------------------------------------------------------


def test_call_bar_buttons_are_off_with_the_reason_when_no_bridge_can(center, agent):
    call(center, "call.offered", "call.answered", call_id="pbx-7")
    bar = agent.get(reverse("desk:callbar"), **HTMX).content.decode()
    assert 'data-call-control="hold"' in bar and 'data-call-control="transfer"' in bar
    assert bar.count('aria-disabled="true"') == 2
    assert f'title="{HOLD_OFF}"' in bar and 'aria-describedby="call-control-hold-why"' in bar
    assert f'<span id="call-control-hold-why" class="visually-hidden">{HOLD_OFF}</span>' in bar
    assert "No connected phone system can transfer calls from Switchboard" in bar
    assert reverse("desk:call_hold") not in bar and reverse("desk:call_transfer") not in bar
    french = agent.get(reverse("desk:callbar"), HTTP_ACCEPT_LANGUAGE="fr", **HTMX).content.decode()
    assert "Aucun système téléphonique connecté ne peut mettre les appels en attente depuis Switchboard" in french


def test_call_bar_buttons_are_on_when_a_bridge_can(center, agent):
    bridge_online("dial", "hold", "transfer")
    call(center, "call.offered", "call.answered", call_id="pbx-8")
    bar = agent.get(reverse("desk:callbar"), **HTMX).content.decode()
    assert 'aria-disabled="true"' not in bar
    assert f'hx-post="{reverse("desk:call_hold")}"' in bar and f'hx-post="{reverse("desk:call_transfer")}"' in bar
    assert 'name="call_id" value="pbx-8"' in bar


def test_no_call_no_buttons(center, agent):
    bridge_online("dial", "hold", "transfer")
    assert "data-call-control" not in agent.get(reverse("desk:callbar"), **HTMX).content.decode()


def test_hold_resume_transfer_from_the_call_bar(center, agent):
    bridge_online("dial", "hold", "transfer")
    call(center, "call.offered", "call.answered", call_id="pbx-9")
    held = agent.post(reverse("desk:call_hold"), {"call_id": "pbx-9"}, **HTMX)
    assert held.status_code == 200 and "Putting the call on hold…" in held.content.decode()
    assert agent.post(reverse("desk:call_resume"), {"call_id": "pbx-9"}, **HTMX).status_code == 200
    moved = agent.post(reverse("desk:call_transfer"), {"call_id": "pbx-9", "to": "01 70 00 00 02"}, **HTMX)
    assert "Transferring the call to +33 1 70 00 00 02…" in moved.content.decode()
    assert list(Command.objects.order_by("id").values_list("action", "call_id", "arguments")) == [
        ("hold", "pbx-9", {"call_id": "pbx-9"}),
        ("resume", "pbx-9", {"call_id": "pbx-9"}),
        ("transfer", "pbx-9", {"call_id": "pbx-9", "target": "+33170000002"}),
    ]
    # Not on that call: 409; nowhere to transfer to: 400.
    assert agent.post(reverse("desk:call_hold"), {"call_id": "other"}, **HTMX).status_code == 409
    bad = agent.post(reverse("desk:call_transfer"), {"call_id": "pbx-9", "to": "my boss"}, **HTMX)
    assert bad.status_code == 400
    assert Command.objects.count() == 3


def test_an_outbound_call_is_shown_as_one_without_a_button_to_the_agents_own_phone(center, agent, amelie):
    """A click-to-dial call's events: from the agent's phone (1001) to Amélie, outbound."""
    start = timezone.now() - timedelta(seconds=10)
    for n, (event, who) in enumerate((("call.offered", None), ("call.answered", center.agent_a))):
        cti_event_apply(
            event=event,
            call_id="out-1",
            timestamp=start + timedelta(seconds=n),
            caller="1001",
            called="+33612345678",
            direction="outbound",
            queue=center.queue_a,
            agent=who,
        )
    page = agent.get(reverse("desk:current_call"), **HTMX).content.decode()
    assert "Outbound call" in page and "Amélie Poulain" in page
    assert 'data-dial="1001"' not in page and 'data-dial="+33612345678"' in page
