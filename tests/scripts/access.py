"""Access-matrix entries for the call-script routes (merged by tests/api/test_access_matrix.py).

Every role reads the scripts that have a published version; managers and admins create, change
and publish them. A draft-only script answers 404 to the others: see test_api.py.
"""

from tests.api.matrix import Case, statuses, unique
from tests.scripts.factories import make_published, make_script, steps

MANAGERS_WRITE = statuses(403, manager=200, admin=200)


def _published(org) -> dict:
    script, _version = make_published(name=unique("script"), queues=[org.queue_a])
    return {"pk": script.pk}


def _published_version(org) -> dict:
    script, version = make_published(name=unique("script"), queues=[org.queue_a])
    return {"script_pk": script.pk, "number": version.number}


def _draft(org) -> dict:
    return {"script_pk": make_script(name=unique("script")).pk}


ENTRIES = {
    ("script-list", "get"): Case(statuses(200), query="?queue=Queue%20A"),
    ("script-list", "post"): Case(
        statuses(403, manager=201, admin=201), body=lambda org: {"name": unique("script"), "draft": steps()}
    ),
    ("script-detail", "get"): Case(statuses(200), kwargs=_published),
    ("script-detail", "patch"): Case(MANAGERS_WRITE, kwargs=_published, body=lambda org: {"description": "Shorter."}),
    ("script-version-list", "get"): Case(statuses(200), kwargs=lambda org: {"script_pk": _published(org)["pk"]}),
    ("script-version-list", "post"): Case(statuses(403, manager=201, admin=201), kwargs=_draft),
    ("script-version-detail", "get"): Case(statuses(200), kwargs=_published_version),
}
