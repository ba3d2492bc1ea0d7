"""Writing scripts: drafts with history, publishing frozen numbered versions, restoring, comparing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contactcenter.scripts.models import Script, ScriptVersion
from contactcenter.scripts.selectors import script_diff
from contactcenter.scripts.services import (
    script_create,
    script_publish,
    script_restore,
    script_update,
    script_update_draft,
)
from tests.scripts.factories import make_script, steps

pytestmark = pytest.mark.django_db


def test_publishing_numbers_versions_and_records_who(org):
    script = make_script(by=org.manager)

    first = script_publish(script=script, by=org.manager)
    second = script_publish(script=script, by=org.admin)

    assert (first.number, second.number) == (1, 2)
    assert first.published_by == org.manager and second.published_by == org.admin
    assert first.steps == steps()


def test_publishing_freezes_the_version_later_draft_edits_change_no_published_step(org):
    script = make_script(by=org.manager)
    version = script_publish(script=script, by=org.manager)

    edited = steps()
    edited[0]["text"] = "Good morning {first_name}."
    edited[0]["answers"].pop()
    script_update_draft(script=script, steps=edited, by=org.manager)
    script.draft[1]["text"] = "mutated in memory"  # not even a shared object

    version.refresh_from_db()
    assert version.steps == steps()


def test_a_stored_version_refuses_to_be_saved_again_or_deleted(org):
    script = make_script(by=org.manager)
    version = script_publish(script=script, by=org.manager)

    version.steps = []
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        version.delete()
    assert ScriptVersion.objects.get(pk=version.pk).steps == steps()


def test_an_invalid_draft_is_refused_with_every_problem_and_nothing_is_published(org):
    broken = steps()
    broken[1]["answers"][0]["next"] = "nowhere"
    broken.append({"key": "lost", "text": "No way in"})
    script = make_script(draft=broken, by=org.manager)

    with pytest.raises(ValidationError) as caught:
        script_publish(script=script, by=org.manager)

    messages = caught.value.message_dict["steps"]
    assert "Step “billing”, answer “Done” leads to “nowhere”, which is no step of this script." in messages
    assert "No answer leads to step “lost”: link it from another step or remove it." in messages
    assert not script.versions.exists()


def test_every_draft_edit_is_in_history_with_who(org):
    script = script_create(name="Billing", draft=[], by=org.manager)
    script_update_draft(script=script, steps=steps(), by=org.admin)
    script_update(script=script, name="Billing 2", by=org.manager)
    script_update(script=script, name="Billing 2", by=org.admin)  # nothing changed: no row

    history = list(script.history.order_by("history_id"))
    assert [(h.history_user, h.name, len(h.draft)) for h in history] == [
        (org.manager, "Billing", 0),
        (org.admin, "Billing", 4),
        (org.manager, "Billing 2", 4),
    ]


def test_a_draft_must_be_a_list_of_objects(org):
    script = make_script(by=org.manager)

    with pytest.raises(ValidationError) as caught:
        script_update_draft(script=script, steps=["hello"], by=org.manager)

    assert "draft" in caught.value.message_dict
    script.refresh_from_db()
    assert script.draft == steps()


def test_restore_copies_a_version_into_the_draft_and_publishing_makes_a_new_number(org):
    script = make_script(by=org.manager)
    v1 = script_publish(script=script, by=org.manager)
    changed = steps()
    changed[2]["text"] = "I will call you back."
    script_update_draft(script=script, steps=changed, by=org.manager)
    script_publish(script=script, by=org.manager)

    restored = script_restore(version=v1, by=org.admin)
    restored.draft[0]["text"] = "edited after restoring"
    restored.save()

    v1.refresh_from_db()
    assert v1.steps == steps()
    assert Script.objects.get(pk=script.pk).history.first().history_user == org.admin
    v3 = script_publish(script=script, by=org.manager)
    assert v3.number == 3
    assert v3.steps[0]["text"] == "edited after restoring" and v3.steps[2]["text"] == steps()[2]["text"]


def test_the_diff_names_added_removed_and_changed_steps_word_by_word():
    old = steps()
    new = steps()
    new[0]["text"] = "Hello {first_name}, this is {agent} from billing. How can I help?"
    new[0]["answers"][1]["next"] = "closing"
    new[2]["disposition"] = "resolved"
    new.insert(2, {"key": "refund", "text": "Your refund is on its way.", "answers": []})
    del new[4]  # closing
    new[0]["answers"].append({"label": "Refund", "next": "refund"})

    diff = {step.key: step for step in script_diff(old, new)}

    assert {key: step.status for key, step in diff.items()} == {
        "greeting": "changed",
        "billing": "unchanged",
        "refund": "added",
        "other": "changed",
        "closing": "removed",
    }
    greeting = diff["greeting"]
    # Words, spaces kept: "{agent}." became "{agent} from billing."
    assert [(c.op, c.text) for c in greeting.text if c.op != "equal"] == [
        ("delete", "{agent}."),
        ("insert", "{agent} from billing."),
    ]
    assert "".join(c.text for c in greeting.text if c.op != "delete") == new[0]["text"]
    assert "Answer “Something else” now leads to “closing” (was “other”)." in greeting.changes
    assert "Answer “Refund” added, leading to “refund”." in greeting.changes
    assert "Suggested disposition: “callback” → “resolved”." in diff["other"].changes
    assert "Moved from position 3 to 4." in diff["other"].changes
