"""The script screens of the admin: editor, preview, publish, versions, compare, restore, and the links
to the analytics report (tests/kpis/test_script_versions.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contactcenter.scripts.models import Script
from contactcenter.scripts.services import script_publish, script_update_draft
from tests.scripts.factories import make_published, make_script, steps

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:scripts_script_{name}", args=args)


def editor_post(rows: list[dict], **extra) -> dict:
    """The editor's POST for ``rows`` ({"key", "text", "disposition"?, "order"?, "delete"?, "answers"})."""
    data = {"step-count": len(rows), **extra}
    for i, row in enumerate(rows):
        for name in ("key", "title", "text", "disposition", "order", "delete"):
            if name in row:
                data[f"step-{i}-{name}"] = row[name]
        answers = row.get("answers", [])
        data[f"step-{i}-answer-count"] = len(answers) + 1
        for j, (label, target) in enumerate(answers):
            data[f"step-{i}-answer-{j}-label"] = label
            data[f"step-{i}-answer-{j}-next"] = target
    return data


@pytest.fixture
def manager_client(client, org):
    client.force_login(org.manager)
    return client


def test_the_editor_shows_each_step_with_its_answers_and_problems(manager_client):
    broken = steps()
    broken[1]["answers"][0]["next"] = "nowhere"
    script = make_script(draft=broken)

    page = manager_client.get(url("steps", script.pk)).content.decode()

    assert 'name="step-0-key" value="greeting"' in page
    assert 'name="step-4-key" value=""' in page  # the blank row to add a step
    assert "Step “billing”, answer “Done” leads to “nowhere”, which is no step of this script." in page
    assert "nowhere (no such step)" in page


def test_saving_the_editor_keeps_an_invalid_draft_and_reorders_adds_and_removes_steps(manager_client, org):
    script = make_script(draft=[])
    rows = [
        {"key": "end", "text": "Bye", "order": "3", "disposition": "resolved"},
        {"key": "start", "text": "Hi {first_name}", "order": "1", "answers": [("Go", "end"), ("Later", "gone")]},
        {"key": "gone", "text": "To remove", "order": "2", "delete": "1"},
        {"key": "", "text": "", "answers": [("", "")]},  # the blank row
    ]

    response = manager_client.post(url("steps", script.pk), editor_post(rows))

    assert response.status_code == 302
    script.refresh_from_db()
    assert script.draft == [
        {
            "key": "start",
            "text": "Hi {first_name}",
            "answers": [{"label": "Go", "next": "end"}, {"label": "Later", "next": "gone"}],
        },
        {"key": "end", "text": "Bye", "answers": [], "disposition": "resolved"},
    ]
    assert script.history.first().history_user == org.manager
    page = manager_client.get(url("steps", script.pk)).content.decode()
    assert "leads to “gone”, which is no step of this script" in page


def test_save_and_publish_goes_to_the_publish_page_which_publishes(manager_client, org):
    script = make_script(draft=[])
    rows = [{"key": "start", "text": "Hi", "answers": [("Go", "end")]}, {"key": "end", "text": "Bye"}]

    response = manager_client.post(url("steps", script.pk), editor_post(rows, _publish="1"))
    assert response["Location"] == url("publish", script.pk)
    page = manager_client.get(url("publish", script.pk)).content.decode()
    assert "First version" in page and "Publish the draft" in page
    manager_client.post(url("publish", script.pk))

    (version,) = script.versions.all()
    assert version.published_by == org.manager and version.steps[1]["key"] == "end"


def test_an_invalid_draft_has_no_publish_button(manager_client):
    script = make_script(draft=[{"key": "start", "text": ""}])

    page = manager_client.get(url("publish", script.pk)).content.decode()

    assert "Step “start” has no text." in page and "Publish the draft" not in page
    manager_client.post(url("publish", script.pk))
    assert not script.versions.exists()


def test_the_preview_walks_the_draft_with_a_sample_customer(manager_client, org):
    org.manager.first_name = "Raymond"
    org.manager.save()
    script = make_script()

    start = manager_client.get(url("preview", script.pk)).content.decode()
    assert "Hello Amélie, this is Raymond. How can I help?" in start
    assert f"{url('preview', script.pk)}?trail=greeting,billing" in start
    end = manager_client.get(url("preview", script.pk), {"trail": "greeting,billing,closing"}).content.decode()
    assert "End of the script." in end and "Suggested disposition: resolved." in end


def test_a_version_page_compare_and_restore(manager_client, org):
    script, _v1 = make_published()
    changed = steps()
    changed[3]["text"] = "Thank you for calling, goodbye."
    script_update_draft(script=script, steps=changed, by=org.manager)
    script_publish(script=script, by=org.manager)

    assert "Let me open your last invoice." in manager_client.get(url("version", script.pk, 1)).content.decode()
    compare = manager_client.get(url("compare", script.pk), {"a": "1", "b": "2"}).content.decode()
    assert "1 step differs." in compare and "<ins>calling, goodbye.</ins>" in compare
    assert manager_client.get(url("compare", script.pk), {"a": "9"}).status_code == 404

    assert "Restore as draft" in manager_client.get(url("restore", script.pk, 1)).content.decode()
    manager_client.post(url("restore", script.pk, 1))
    assert Script.objects.get(pk=script.pk).draft == steps()
    assert script.versions.count() == 2


def test_the_script_pages_link_to_the_analytics_report_and_the_old_address_leads_there(manager_client):
    script, _v = make_published(versions=2)
    report = f"{reverse('admin:kpis-report', args=['script-versions'])}?script={script.pk}"

    for page in (reverse("admin:scripts_script_change", args=[script.pk]), url("preview", script.pk)):
        assert f'href="{report}"' in manager_client.get(page).content.decode()
    old = manager_client.get(url("analytics", script.pk))
    assert (old.status_code, old["Location"]) == (302, report)
    assert "Version 2, published" in manager_client.get(report).content.decode()


def test_a_supervisor_reads_published_scripts_but_edits_nothing(client, org):
    script, _v = make_published()
    draft_only = make_script(name="Draft only")
    client.force_login(org.supervisor_a)

    assert client.get(reverse("admin:scripts_script_change", args=[script.pk])).status_code == 200
    assert client.get(url("preview", script.pk), {"version": "1"}).status_code == 200
    assert client.get(url("steps", script.pk)).status_code == 403
    assert client.post(url("publish", script.pk)).status_code == 403
    assert client.post(url("restore", script.pk, 1)).status_code == 403
    assert client.get(url("preview", draft_only.pk)).status_code == 404
    assert script.versions.count() == 1


def test_the_change_page_summarises_the_draft_and_links_the_versions(manager_client):
    script, _v = make_published(versions=2)

    page = manager_client.get(reverse("admin:scripts_script_change", args=[script.pk])).content.decode()

    assert "4 steps. Ready to publish." in page
    assert f"{url('compare', script.pk)}?a=1&amp;b=2" in page
    assert url("restore", script.pk, 2) in page


def test_adding_a_script_goes_to_its_step_editor_and_is_in_history(manager_client, org):
    response = manager_client.post(
        reverse("admin:scripts_script_add"),
        {"name": "Retention", "description": "", "campaign": "Winter", "queues": [org.queue_a.pk], "is_active": "on"},
    )

    script = Script.objects.get(name="Retention")
    assert response["Location"] == url("steps", script.pk)
    assert list(script.queues.all()) == [org.queue_a]
    assert script.history.get().history_user == org.manager
    history = manager_client.get(reverse("admin:scripts_script_history", args=[script.pk]))
    assert history.status_code == 200


def test_a_supervisor_sees_no_publish_link(client, org):
    script, _v = make_published()
    client.force_login(org.supervisor_a)

    page = client.get(reverse("admin:scripts_script_change", args=[script.pk])).content.decode()

    assert url("publish", script.pk) not in page and url("preview", script.pk) in page


@pytest.mark.parametrize("screen", ["steps", "preview", "publish", "compare"])
def test_each_screen_costs_the_same_queries_however_many_versions(
    manager_client, org, screen, django_assert_max_num_queries
):
    script, _v = make_published(versions=1)
    manager_client.get(url(screen, script.pk))
    with CaptureQueriesContext(connection) as one:
        assert manager_client.get(url(screen, script.pk)).status_code == 200
    for _ in range(4):
        script_publish(script=script, by=org.manager)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert manager_client.get(url(screen, script.pk)).status_code == 200
