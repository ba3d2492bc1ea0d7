"""Routing's tests offer tickets: ``ROUTING_TICKETS`` is on for them (off by default)."""

import pytest


@pytest.fixture(autouse=True)
def _tickets_are_routed(settings):
    settings.ROUTING_TICKETS = True
