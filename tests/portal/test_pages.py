"""Every page of the portal, anonymous and signed in, under the Content-Security-Policy (no inline
script or style), in both languages, with its forms' fields labelled."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contactcenter.portal.services import portal_reply_add
from interactions.services import ticket_comment_add
from tests.agents.factories import AgentProfileFactory
from tests.interactions.factories import InteractionFactory, TicketFactory
from tests.knowledge.factories import ArticleFactory
from tests.security.test_csp_pages import problems

pytestmark = pytest.mark.django_db

FIELD = re.compile(r'<(?:input|textarea|select)\b(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"', re.I)


def unlabelled(html: str) -> list[str]:
    return [field for field in FIELD.findall(html) if f'for="{field}"' not in html]


def test_every_portal_page_is_served_under_the_policy_with_labelled_fields(signed_in, customer):
    agent = AgentProfileFactory(user__username="agent_pages").user
    ticket = TicketFactory(customer=customer)
    ticket_comment_add(ticket=ticket, body="Réponse", public=True, author=agent)
    portal_reply_add(customer=customer, ticket=ticket, body="Merci")
    InteractionFactory(customer=customer, agent=agent, offered_at=timezone.now() - timedelta(days=1))
    article = ArticleFactory(language="fr", title="Redémarrer la box", body="Débranchez-la.", audience="public")
    paths = [
        "/portal/",
        "/portal/sign-in/",
        "/portal/articles/",
        "/portal/articles/?q=box",
        f"/portal/articles/{article.slug}/",
        f"/portal/tickets/{ticket.pk}/",
        "/portal/surveys/",
        "/portal/link/unknown/",
    ]
    failures = []
    for language in ("en", "fr"):
        for client in (signed_in, Client()):
            client.cookies["django_language"] = language
            for path in paths:
                response = client.get(path)
                assert response.status_code in (200, 302, 410), (path, response.status_code)
                failures += problems(path, response)
                if response.status_code != 302:
                    html = response.content.decode()
                    failures += [f"{path}: unlabelled field {name}" for name in unlabelled(html)]
                    assert f'<html lang="{language}">' in html
    assert not failures, "\n".join(failures)


def test_the_sign_in_page_speaks_french(client):
    client.cookies["django_language"] = "fr"
    page = client.get("/portal/sign-in/").content.decode()
    assert "M'envoyer un lien" in page or "M&#x27;envoyer un lien" in page
