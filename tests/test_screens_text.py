"""What a person reads on the screens: times in the center's time zone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from kpis.exports import csv_response


def test_exports_write_times_in_the_centers_zone_with_its_offset():
    # 13:00 UTC on 4 March is 14:00 in Paris (winter time), 13:00 UTC on 4 July 15:00 (summer time).
    rows = [[datetime(2026, 3, 4, 13, 0, tzinfo=UTC)], [datetime(2026, 7, 4, 13, 0, tzinfo=UTC)]]

    response = csv_response("times", ["At"], rows)

    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[1:] == [["2026-03-04T14:00:00+01:00"], ["2026-07-04T15:00:00+02:00"]]
