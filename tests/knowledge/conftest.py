"""Knowledge base fixtures: the ``org`` fixture's people, by role."""

from __future__ import annotations

import pytest


@pytest.fixture
def agent(org):
    return org.agent_a


@pytest.fixture
def manager(org):
    return org.manager
