"""Access-matrix entries for the knowledge routes (merged by tests/api/test_access_matrix.py).

Every role reads the knowledge base; a user without a role reads nothing. Drafts answer 404 to
agents and supervisors: see test_api.py.
"""

from tests.api.matrix import Case, statuses
from tests.knowledge.factories import ArticleFactory

ENTRIES = {
    ("knowledge-article-list", "get"): Case(statuses(200), query="?search=modem"),
    ("knowledge-article-detail", "get"): Case(
        statuses(200), kwargs=lambda org: {"pk": ArticleFactory(title="Restarting the modem").pk}
    ),
}
