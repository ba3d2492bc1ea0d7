"""A signed-in customer's tickets: theirs only, public messages only, and their replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contactcenter.portal.models import PortalMessage
from interactions.models import Interaction, TicketComment
from interactions.services import ticket_comment_add
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.interactions.factories import InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db):
    return AgentProfileFactory(user__username="agent_portal").user


def test_the_customer_sees_their_tickets_and_nobody_elses(signed_in, customer, other):
    mine = TicketFactory(customer=customer, subject="Ma box ne démarre plus")
    theirs = TicketFactory(customer=other, subject="Facture de mars")
    nobodys = TicketFactory(customer=None, subject="Sans client")

    home = signed_in.get("/portal/").content.decode()
    assert mine.subject in home and theirs.subject not in home and nobodys.subject not in home
    assert signed_in.get(f"/portal/tickets/{mine.pk}/").status_code == 200
    for ticket in (theirs, nobodys):
        assert signed_in.get(f"/portal/tickets/{ticket.pk}/").status_code == 404
        assert signed_in.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "Hello"}).status_code == 404
    assert signed_in.get("/portal/tickets/999999/").status_code == 404
    assert not PortalMessage.objects.exists()
    assert not Interaction.objects.exists()


def test_only_public_replies_are_shown(signed_in, customer, agent):
    ticket = TicketFactory(customer=customer, subject="Box", description="Client agacé, geste commercial refusé")
    ticket_comment_add(ticket=ticket, body="Nous avons redémarré votre box.", public=True, author=agent)
    ticket_comment_add(ticket=ticket, body="NOTE INTERNE: client difficile", public=False, author=agent)

    page = signed_in.get(f"/portal/tickets/{ticket.pk}/").content.decode()

    assert "Nous avons redémarré votre box." in page
    assert "NOTE INTERNE" not in page
    assert "geste commercial" not in page  # the description is the agents' words
    assert "agent_portal" not in page  # who answered stays inside
    assert TicketComment.objects.filter(ticket=ticket).count() == 2


def test_a_reply_is_an_inbound_web_interaction_and_reopens_a_solved_ticket(signed_in, customer):
    queue = QueueFactory(name="Support", channel="email")
    ticket = TicketFactory(customer=customer, queue=queue, status="resolved")

    response = signed_in.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "Ça recommence depuis ce matin."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"
    interaction = Interaction.objects.get(ticket=ticket)
    assert (interaction.channel, interaction.direction) == ("web", "inbound")
    assert interaction.customer == customer and interaction.queue == queue
    assert interaction.source == "portal" and interaction.external_id
    message = PortalMessage.objects.get()
    assert (message.ticket, message.customer, message.interaction) == (ticket, customer, interaction)
    page = signed_in.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Ça recommence depuis ce matin." in page


def test_a_reply_to_an_open_ticket_leaves_its_status(signed_in, customer):
    ticket = TicketFactory(customer=customer, status="open")
    signed_in.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "Une précision."})
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.interactions.count() == 1


def test_an_empty_reply_is_refused(signed_in, customer):
    ticket = TicketFactory(customer=customer)
    response = signed_in.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "   "})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Interaction.objects.exists()


def test_tickets_need_a_portal_session(customer):
    ticket = TicketFactory(customer=customer)
    anonymous = Client()
    assert anonymous.get(f"/portal/tickets/{ticket.pk}/")["Location"] == "/portal/sign-in/"
    assert anonymous.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 302
    assert not Interaction.objects.exists()


def test_a_staff_login_is_no_portal_session(customer, agent):
    ticket = TicketFactory(customer=customer)
    staff = Client()
    staff.force_login(agent)
    assert staff.get(f"/portal/tickets/{ticket.pk}/").status_code == 302


def test_the_ticket_list_reads_a_fixed_number_of_queries(signed_in, customer, agent, django_assert_num_queries):
    for _n in range(5):
        TicketFactory(customer=customer)
        InteractionFactory(customer=customer, agent=agent, offered_at=timezone.now() - timedelta(hours=1))
    # The session (cached: none), the customer, the tickets, the contacts surveyed and their answers.
    with django_assert_num_queries(4):
        assert signed_in.get("/portal/").status_code == 200


def test_the_agents_read_the_reply_on_the_ticket_in_the_desk(signed_in, customer):
    queue = QueueFactory(name="Support", channel="email")
    agent = AgentProfileFactory(user__username="agent_desk", queues=[queue]).user
    ticket = TicketFactory(customer=customer, queue=queue, status="resolved")
    signed_in.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "Toujours en panne <b>ce matin</b>."})

    desk = Client()
    desk.force_login(agent)
    page = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()

    assert "Toujours en panne &lt;b&gt;ce matin&lt;/b&gt;." in page
    assert "Web (customer portal)" in page


def test_a_customers_pages_are_never_cached(signed_in, customer):
    ticket = TicketFactory(customer=customer)
    for path in ("/portal/", f"/portal/tickets/{ticket.pk}/", "/portal/surveys/"):
        assert "no-store" in signed_in.get(path)["Cache-Control"]


def test_a_ticket_page_reads_a_fixed_number_of_queries(signed_in, customer, agent, django_assert_num_queries):
    ticket = TicketFactory(customer=customer)
    for n in range(3):
        ticket_comment_add(ticket=ticket, body=f"Réponse {n}", public=True, author=agent)
        ticket_comment_add(ticket=ticket, body=f"Note {n}", public=False, author=agent)
        signed_in.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": f"Message {n}"})
    # The customer, the ticket, its public comments, the portal messages, the customer's mail.
    with django_assert_num_queries(5):
        assert signed_in.get(f"/portal/tickets/{ticket.pk}/").status_code == 200
