"""The wallboard's queue figures read the day's interactions once: the agents counted per queue
are computed per queue after grouping, not inside the ``GROUP BY`` (where the database would run
them once per interaction of the day)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.live.selectors import queue_stats

pytestmark = pytest.mark.django_db


def test_the_agent_counts_stay_out_of_the_group_by(org):
    with CaptureQueriesContext(connection) as queries:
        queue_stats()
    (query,) = queries.captured_queries
    outer = re.search(r'GROUP BY ("agents_queue".*?) ORDER BY "agents_queue"', query["sql"])
    assert outer, query["sql"]
    # Only the queue's own columns (its primary key on PostgreSQL): nothing computed per row.
    assert re.fullmatch(r'"agents_queue"\."\w+"(, "agents_queue"\."\w+")*', outer[1]), outer[1]
