"""Access-matrix entries for this app's routes (merged by tests/api/test_access_matrix.py).

Every role reads and writes customers (another team's agent too: customers belong to no team);
merging is for supervisors and up; deleting, exporting and erasing for admins. Each case makes its
own customer, so that a delete, a merge or an erasure by one role leaves the others theirs.
"""

from customers.services import customer_create
from tests.api.matrix import Case, statuses, unique


def _customer(org) -> dict:
    customer = customer_create(last_name=unique("Martin"), phones=["06 12 34 56 78"], emails=["anne@example.fr"])
    return {"pk": customer.pk}


def _known_caller(org) -> dict:
    customer_create(last_name=unique("Caller"), phones=["+33 7 81 23 45 67"])
    return {}


ENTRIES: dict = {
    ("customer-list", "get"): Case(statuses(200), query="?search=martin"),
    ("customer-list", "post"): Case(
        statuses(201), body=lambda org: {"last_name": unique("Durand"), "phones": ["0612345678"]}
    ),
    ("customer-detail", "get"): Case(statuses(200), kwargs=_customer),
    ("customer-detail", "patch"): Case(statuses(200), kwargs=_customer, body=lambda org: {"phones": ["0170000000"]}),
    ("customer-detail", "delete"): Case(statuses(403, admin=204), kwargs=_customer),
    ("customer-lookup", "get"): Case(statuses(200), kwargs=_known_caller, query="?phone=0781234567"),
    ("customer-timeline", "get"): Case(statuses(200), kwargs=_customer),
    ("customer-merge", "post"): Case(
        statuses(403, supervisor=200, manager=200, admin=200),
        kwargs=_customer,
        body=lambda org: {"duplicate": _customer(org)["pk"]},
        notes="supervisors and up merge duplicates",
    ),
    ("customer-export", "get"): Case(statuses(403, admin=200), kwargs=_customer),
    ("customer-erase", "post"): Case(statuses(403, admin=200), kwargs=_customer),
}
