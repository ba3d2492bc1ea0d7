"""Shared fixtures, and the CI rule that a skipped test is a failed test.

With ``SWITCHBOARD_STRICT=1`` (set by ``.ci/run``), a test that would be skipped, for want of a
browser or PostgreSQL, fails instead: CI must run everything.
"""

from __future__ import annotations

import os

import pytest

STRICT = os.environ.get("SWITCHBOARD_STRICT") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under SWITCHBOARD_STRICT=1 (CI runs every test): {reason}"


@pytest.fixture
def user_factory(db):
    from tests.agents.factories import UserFactory

    return UserFactory
