"""The agent's socket receives ``offer`` when work is offered to them, after commit, and
``offer_closed`` when the offer ends; through the real channel layer (in-memory here, Redis in
CI)."""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth import get_user_model

from contactcenter.distribution.models import WorkOffer
from contactcenter.distribution.services import offer_decline
from tests.live.sockets import in_worker, open_socket, receive_type
from tests.routing.factories import agent_in, chat_queue, enqueue

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_offered_agent_receives_the_offer_then_its_end():
    queue = chat_queue()
    profile = agent_in(queue, "anna")
    user = get_user_model().objects.get(pk=profile.user_id)

    async def scenario():
        communicator = await open_socket("/ws/agent/", user)
        try:
            item = await in_worker(enqueue, queue)  # dispatched after its commit
            offer = await in_worker(WorkOffer.objects.get)
            offered = await receive_type(communicator, "offer")
            await in_worker(offer_decline, offer_id=offer.pk, by=user)
            closed = await receive_type(communicator, "offer_closed")
            return item, offer, offered, closed
        finally:
            await communicator.disconnect()

    item, offer, offered, closed = asyncio.run(scenario())
    assert offered["offer"] == offer.pk
    assert offered["expires_at"] == offer.expires_at.isoformat()
    assert offered["item"]["id"] == item.pk
    assert (offered["item"]["kind"], offered["item"]["queue"]) == ("chat", "Chat FR")
    assert isinstance(offered["seq"], int) and "at" in offered
    assert (closed["offer"], closed["item"], closed["outcome"]) == (offer.pk, item.pk, "declined")
