"""The demo's call script: two published versions of a branching script, calls on each."""

from io import StringIO

import pytest
from django.core.management import call_command

from contactcenter.scripts.graph import validate_steps
from contactcenter.scripts.models import Script
from contactcenter.scripts.selectors import script_diff

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_two_valid_branching_versions_with_calls_on_each():
    args = ("--customers=40", "--days=3", "--now=2026-11-18T18:30:00+01:00")
    call_command("demo", *args, stdout=StringIO(), stderr=StringIO())
    call_command("demo", *args, stdout=StringIO(), stderr=StringIO())  # idempotent

    script = Script.objects.get()
    v2, v1 = script.versions.order_by("-number")
    assert (v1.number, v2.number) == (1, 2) and v1.published_at < v2.published_at
    for version in (v1, v2):
        assert validate_steps(version.steps) == []
        assert max(len(step["answers"]) for step in version.steps) > 1  # it branches
        assert version.interactions.exists()
    assert not v1.interactions.filter(offered_at__gte=v2.published_at).exists()
    assert not v2.interactions.filter(offered_at__lt=v2.published_at).exists()
    changed = {step.key: step.status for step in script_diff(v1, v2) if step.status != "unchanged"}
    assert changed == {"sales": "changed", "offer": "added", "ticket": "changed", "closing": "changed"}
