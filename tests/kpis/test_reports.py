"""The admin reports (issue #8): who may open them, what they show (every KPI beside its goal,
SVG charts), drill-down to exactly the interactions a figure counts, CSV and XLSX exports with
formula escaping, and query counts independent of the data's volume."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from kpis.definitions import GROUPS, KpiFilters, KpiScope
from kpis.drilldown import FIGURES, drilldown_interactions
from kpis.exports import escape_cell
from kpis.selectors import kpi_rows
from tests.agents.factories import QueueFactory
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import SurveyResponseFactory
from tests.kpis.kpi_data import END, START, at, contact

pytestmark = pytest.mark.django_db

EVIL = "=cmd|' /C calc'!A0"
PERFORMANCE = reverse("admin:kpis-report", args=["performance"])
STAFFING = reverse("admin:kpis-report", args=["staffing"])
INDEX = reverse("admin:kpis-reports")
WEEK = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def week(org):
    """Queue A: agent A handles three (one within 20 s), one abandoned; Queue B: agent B handles
    two, one abandoned; a queue named like a formula with one call by agent A."""
    evil_queue = QueueFactory(name=EVIL)
    customer = CustomerFactory(first_name=EVIL, last_name="")
    first = contact(at(2, 9), agent=org.agent_a, queue=org.queue_a, customer=customer, wait=10, talk=100, acw=20)
    contact(at(3, 9), agent=org.agent_a, queue=org.queue_a, customer=customer, wait=30, talk=200)
    contact(at(4, 10), agent=org.agent_a, queue=org.queue_a, wait=40, talk=300, sentiment=0.5)
    contact(at(4, 11), queue=org.queue_a, ended_after=60)
    contact(at(5, 9), agent=org.agent_b, queue=org.queue_b, wait=5, talk=60)
    contact(at(6, 9), agent=org.agent_b, queue=org.queue_b, wait=50, talk=90, sentiment=-0.4)
    contact(at(6, 10), queue=org.queue_b, ended_after=100)
    contact(at(7, 12), agent=org.agent_a, queue=evil_queue, wait=1, talk=30)
    contact(at(7, 13), queue=org.queue_a, ended_after=2)  # a short abandon
    contact(at(10, 9), agent=org.agent_a, queue=org.queue_a, wait=1, talk=30)  # after the period
    SurveyResponseFactory(interaction=first, kind="csat", score=5)
    return org


def _login(client, user):
    client.force_login(user)
    return client


# --- Access ----------------------------------------------------------------------------------------


def test_managers_and_supervisors_see_the_reports_in_the_admin(client, week):
    for user in (week.manager, week.supervisor_a, week.admin):
        _login(client, user)
        index = client.get(INDEX)
        assert index.status_code == 200
        assert PERFORMANCE in index.text and STAFFING in index.text
        assert INDEX in client.get(reverse("admin:index")).text
        assert client.get(PERFORMANCE).status_code == 200
        assert client.get(STAFFING).status_code == 200


def test_agents_may_not_open_the_reports(client, week):
    # An agent is not staff: the admin sends them to its login page.
    _login(client, week.agent_a)
    response = client.get(PERFORMANCE)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    # An agent made staff by hand still may not open a report.
    week.agent_a.is_staff = True
    week.agent_a.save()
    assert client.get(PERFORMANCE).status_code == 403
    assert client.get(STAFFING).status_code == 403
    assert client.get(PERFORMANCE, {**WEEK, "export": "csv"}).status_code == 403
    drill = reverse("admin:kpis-report-drilldown", args=["performance"])
    assert client.get(drill, {**WEEK, "figure": "offered"}).status_code == 403
    index = client.get(INDEX)
    assert index.status_code == 200 and PERFORMANCE not in index.text
    assert client.get(reverse("admin:kpis-report", args=["nothing"])).status_code == 404


# --- The performance page --------------------------------------------------------------------------


def _grouped_rows(html: str) -> dict[str, str]:
    table = html.split('id="kpi-grouped"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, re.S))


def shown(user) -> str:
    """An agent as the report names them: by name."""
    return escape(user.get_full_name())


def test_every_kpi_beside_its_goal(client, week):
    _login(client, week.manager)
    response = client.get(PERFORMANCE, {**WEEK, "group_by": "agent"})
    html = response.text
    rows = _grouped_rows(html)
    assert set(rows) == {shown(week.agent_a), shown(week.agent_b), "(no agent)"}
    # Summary: 8 offered (the short abandon left out), 6 handled, 2 abandoned.
    summary = html.split('id="kpi-summary"', 1)[1].split("</table>", 1)[0]
    for label in ("Offered", "Handled", "Abandoned", "Service level", "AHT (s)", "FCR", "CSAT", "NPS", "Occupancy"):
        assert f'<th scope="row">{label}</th>' in summary
    assert re.search(r'Offered</th><td class="num"><a [^>]*>8</a>', summary)
    assert re.search(r'Handled</th><td class="num"><a [^>]*>6</a>', summary)
    # Service level: 3 of 8 within 20 s → 37.5 %, goal ≥ 80.0 % (KPI_GOALS), missed.
    assert re.search(r"Service level</th><td class=\"num\"><a [^>]*>37.5\u00a0%</a> <span class=\"missed\"", summary)
    assert "≥ 80.0\u00a0%" in summary
    assert "≤ 5.0\u00a0%" in summary  # abandonment goal
    # Agent A: 4 handled; the queue goal shows with a queue filter.
    assert re.search(r">4</a>", rows[shown(week.agent_a)])
    filtered = client.get(PERFORMANCE, {**WEEK, "queue": "Queue A"}).text
    assert "≥ 80.0\u00a0% in 20 s" in filtered


def test_supervisors_see_their_team_only(client, week):
    _login(client, week.supervisor_a)
    html = client.get(PERFORMANCE, {**WEEK, "group_by": "agent"}).text
    assert set(_grouped_rows(html)) == {shown(week.agent_a), "(no agent)"}
    assert "agent_b" not in html and shown(week.agent_b) not in html
    assert 'value="Team B"' not in html
    # Not even by naming agent B in the filter: the choice is not theirs to make.
    response = client.get(PERFORMANCE, {**WEEK, "agent": "agent_b"})
    assert 'class="errornote"' in response.text and 'id="kpi-summary"' not in response.text


def test_charts_are_inline_svg_with_a_title_and_a_table(client, week):
    _login(client, week.manager)
    html = client.get(PERFORMANCE, {**WEEK, "compare": "queue"}).text
    assert html.count('<svg class="kpi-chart"') == 3
    assert 'role="img"' in html and "<title id=" in html and "<desc id=" in html
    assert "Offered, handled and abandoned per day" in html and "Offered and handled per queue" in html
    assert '<path d="M' in html and "<rect x=" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace("http://testserver", "")
    # The formula-like queue name is escaped in the chart and the table, never markup.
    assert "=cmd|&#x27; /C calc&#x27;!A0" in html
    # The daily table behind the chart has the seven days.
    assert html.count('<th scope="row">2026-03-0') >= 7


def test_presets_and_bad_periods(client, week):
    _login(client, week.manager)
    assert client.get(PERFORMANCE, {"preset": "last_month"}).status_code == 200
    assert client.get(PERFORMANCE, {"preset": "last_7_days", "group_by": "day"}).status_code == 200
    bad = client.get(PERFORMANCE, {"start": "2026-03-08", "end": "2026-03-01"})
    assert bad.status_code == 200 and "The period must end on or after its first day." in bad.text
    assert 'id="kpi-summary"' not in bad.text
    long = client.get(PERFORMANCE, {"start": "2024-01-01", "end": "2026-03-01"})
    assert "A report covers 366 days at most." in long.text


def test_page_queries_do_not_grow_with_the_data(client, week):
    _login(client, week.manager)
    params = {**WEEK, "group_by": "agent", "compare": "queue"}
    client.get(PERFORMANCE, params)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PERFORMANCE, params).status_code == 200
    for day in range(2, 9):
        for hour in range(8, 12):
            contact(at(day, hour), agent=week.agent_b, queue=week.queue_b, wait=5, talk=60)
            contact(at(day, hour, 30), queue=QueueFactory(name=f"Q{day}{hour}"), ended_after=60)
    with CaptureQueriesContext(connection) as many:
        assert client.get(PERFORMANCE, params).status_code == 200
    # 30, and the routing figures of the total and of the groups: the offers, the callbacks due and the
    # web chats; and their quality figures: evaluations, samples, disputes, score per criterion.
    assert len(many) == len(few) <= 44


# --- Drill-down ------------------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", [None, *GROUPS])
def test_drilldown_lists_exactly_the_interactions_counted(week, group_by):
    scope = KpiScope(everything=True)
    end = END
    rows = kpi_rows(scope=scope, start=START, end=end, group_by=group_by)
    checked = 0
    for row in rows:
        for figure in FIGURES:
            found = drilldown_interactions(
                scope=scope, start=START, end=end, figure=figure, group_by=group_by, key=row.key
            )
            assert found.count() == getattr(row, figure), (group_by, row.key, figure)
            checked += getattr(row, figure)
    assert checked > 0


def test_drilldown_follows_the_scope_and_filters(week):
    supervisor = KpiScope(user_id=week.supervisor_a.pk, team_id=week.team_a.pk)
    end = END
    filters = KpiFilters(channel="voice")
    for scope in (supervisor, KpiScope(user_id=week.agent_b.pk)):
        rows = kpi_rows(scope=scope, start=START, end=end, group_by="queue", filters=filters)
        for row in rows:
            for figure in ("offered", "handled", "abandoned", "handled_ended"):
                found = drilldown_interactions(
                    scope=scope, start=START, end=end, figure=figure, group_by="queue", key=row.key, filters=filters
                )
                assert found.count() == getattr(row, figure)
    queues = {i.queue.name for i in drilldown_interactions(scope=supervisor, start=START, end=end, figure="offered")}
    assert queues == {"Queue A", EVIL}


def test_the_figures_link_to_their_interactions(client, week):
    _login(client, week.supervisor_a)
    html = client.get(PERFORMANCE, {**WEEK, "group_by": "agent"}).text
    links = re.findall(r'<a href="(/admin/reports/performance/interactions/\?[^"]+)"', html)
    offered = next(link for link in links if "figure=offered" in link and "key=agent_a" in link)
    page = client.get(offered.replace("&amp;", "&"))
    assert page.status_code == 200
    # Agent A: four offered inbound contacts in the week (the evil queue's included).
    assert re.search(r'id="drilldown-count">4 interactions', page.text)
    assert page.text.count(reverse("admin:interactions_interaction_changelist")) >= 4
    # The row without an agent: Queue A's abandoned contact only (Queue B's is not the team's).
    unassigned = next(
        link for link in links if "figure=abandoned" in link and "group_by=agent" in link and "key=" not in link
    )
    page = client.get(unassigned.replace("&amp;", "&"))
    assert re.search(r'id="drilldown-count">1 interaction,', page.text)
    bad = reverse("admin:kpis-report-drilldown", args=["performance"])
    assert client.get(bad, {**WEEK, "figure": "nothing"}).status_code == 404
    assert client.get(bad, {**WEEK, "figure": "offered", "group_by": "day", "key": "yesterday"}).status_code == 404


# --- Exports ---------------------------------------------------------------------------------------


def test_escape_cell():
    assert escape_cell(EVIL) == "'" + EVIL
    for text in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert escape_cell(text) == "'" + text
    assert escape_cell("Queue A") == "Queue A"
    assert escape_cell(-12.5) == -12.5 and escape_cell(None) is None


def test_csv_export(client, week):
    _login(client, week.manager)
    response = client.get(PERFORMANCE, {**WEEK, "group_by": "queue", "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="performance-20260302-20260308.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Queue", "Offered", "Handled", "Abandoned"]
    by_key = {row[0]: row for row in rows[1:]}
    assert set(by_key) == {"Queue A", "Queue B", "'" + EVIL}
    assert by_key["Queue A"][1:4] == ["4", "3", "1"]
    assert by_key["Queue B"][1:4] == ["3", "2", "1"]
    # Rounded as the page shows them (Queue A's service level: 1 of 4, "25.0 %"), the exact
    # figures in columns of their own after them.
    assert rows[0][4] == "Service level (%)" and by_key["Queue A"][4] == "25.0"
    exact = rows[0].index("Service level (exact)")
    assert float(by_key["Queue A"][exact]) == 0.25
    aht = rows[0].index("AHT (s)")
    assert by_key["Queue A"][aht] == str(round((100 + 20 + 200 + 300) / 3, 1))
    assert float(by_key["Queue A"][rows[0].index("AHT (s) (exact)")]) == pytest.approx((100 + 20 + 200 + 300) / 3)


def test_xlsx_export(client, week):
    _login(client, week.manager)
    response = client.get(PERFORMANCE, {**WEEK, "group_by": "queue", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere
    assert "&apos;=cmd|&apos; /C calc&apos;!A0" in strings or "'=cmd|' /C calc'!A0" in strings
    assert "Queue A" in strings
    assert "<v>25</v>" in sheet and "<v>0.25</v>" in sheet  # numbers stay numbers, rounded then exact


def test_staffing_export_and_page(client, week):
    _login(client, week.supervisor_a)
    params = {"queue": "Queue A", "day": "2026-03-09", "weeks": 1, "aht": "", "shrinkage": "30"}
    page = client.get(STAFFING, params)
    assert page.status_code == 200
    assert len(re.findall(r'<th scope="row">\d\d:\d\d–\d\d:\d\d</th>', page.text)) == 48
    assert '<svg class="kpi-chart"' in page.text and "To schedule without the what-if" in page.text
    response = client.get(STAFFING, {**params, "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Start", "End", "Calls"] and len(rows) == 49
    # Monday 2 March 09:00: agent A's one call.
    nine = next(row for row in rows if row[0].startswith("2026-03-09T09:00"))
    assert float(nine[2]) == 1.0
    bad = client.get(STAFFING, {**params, "weeks": 0, "shrinkage": 100})
    assert bad.status_code == 200 and 'id="forecast-table"' not in bad.text
    assert bad.text.count('class="errornote"') >= 2


def test_charts_escape_their_text_and_break_lines_on_missing_values():
    from kpis.charts import bar_chart, line_chart

    svg = line_chart(title="<b>", desc="a & b", labels=["x", "y", "z"], series=[("s", [1, None, 3])])
    assert "<title id=" in svg and "&lt;b&gt;" in svg and "a &amp; b" in svg
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    assert path.count("M") == 2 and "L" not in path  # two separate points, no line across the gap
    bars = bar_chart(title="t", desc="d", labels=["a", "b"], series=[("s", [2, None])])
    assert bars.count("<rect x=") == 1 + 1  # one bar, one legend swatch


# --- Reading the page without being misled --------------------------------------------------------------


def test_agents_are_named_and_sorted_as_people_read(client, org):
    from tests.agents.factories import AgentProfileFactory

    agents = {}
    for number in (10, 2, 1):
        user = AgentProfileFactory(
            user__username=f"agent{number}", user__first_name="Agent", user__last_name=str(number), team=org.team_a
        ).user
        contact(at(2, 9), agent=user, queue=org.queue_a, wait=5, talk=60)
        agents[number] = user
    _login(client, org.manager)
    response = client.get(PERFORMANCE, {**WEEK, "group_by": "agent"})
    names = list(_grouped_rows(response.text))
    assert names == ["Agent 1", "Agent 2", "Agent 10"]
    export = client.get(PERFORMANCE, {**WEEK, "group_by": "agent", "export": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "Username"
    assert [(row[0], row[-1]) for row in rows[1:]] == [
        ("Agent 1", "agent1"),
        ("Agent 2", "agent2"),
        ("Agent 10", "agent10"),
    ]


def test_the_heading_names_the_filters(client, week):
    _login(client, week.manager)
    everything = client.get(PERFORMANCE, WEEK).text
    assert re.search(r'<h2 id="summary-title">All contacts, ', everything)
    voice = client.get(PERFORMANCE, {**WEEK, "channel": "voice", "queue": "Queue A"}).text
    heading = re.search(r'<h2 id="summary-title">(.*?)</h2>', voice).group(1)
    assert heading.startswith("Queue: Queue A, Channel: Voice, ")
    assert "All contacts" not in heading


def notes(html: str) -> list[str]:
    found = re.search(r'<ul class="kpi-notes" id="kpi-notes">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []


def test_the_page_says_when_channels_are_mixed(client, week):
    _login(client, week.manager)
    assert any("Every channel is counted together" in note for note in notes(client.get(PERFORMANCE, WEEK).text))
    one = client.get(PERFORMANCE, {**WEEK, "channel": "voice"}).text
    assert not any("Every channel" in note for note in notes(one))


def test_the_page_says_why_handled_can_pass_offered(client, week):
    _login(client, week.manager)
    assert not any("Handled can be higher" in note for note in notes(client.get(PERFORMANCE, WEEK).text))
    contact(at(3, 15), agent=week.agent_a, queue=week.queue_a, wait=0, talk=60, direction="outbound")
    contact(at(3, 16), agent=week.agent_a, queue=week.queue_a, wait=0, talk=60, direction="outbound")
    contact(at(3, 17), agent=week.agent_a, queue=week.queue_a, wait=0, talk=60, direction="outbound")
    html = client.get(PERFORMANCE, {**WEEK, "group_by": "agent"}).text
    assert any("Handled can be higher than Offered" in note for note in notes(html))


def test_the_group_without_an_agent_is_explained(client, week):
    _login(client, week.manager)
    html = client.get(PERFORMANCE, {**WEEK, "group_by": "agent"}).text
    assert list(_grouped_rows(html))[-1] == "(no agent)"
    assert any("counts the contacts no agent answered" in note for note in notes(html))
    by_queue = client.get(PERFORMANCE, {**WEEK, "group_by": "queue", "compare": "queue"}).text
    assert not any("no agent answered" in note for note in notes(by_queue))


def test_the_notes_and_groups_speak_french(client, week):
    _login(client, week.manager)
    html = client.get(PERFORMANCE, {**WEEK, "group_by": "agent"}, HTTP_ACCEPT_LANGUAGE="fr").text
    assert "(sans agent)" in _grouped_rows(html)
    assert any("Tous les canaux sont comptés ensemble" in note for note in notes(html))
