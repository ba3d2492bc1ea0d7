"""The back office in a real browser, in English and in French."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def back_office_user(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.test", "a-long-pass-phrase")


def log_in(page, live_server, language: str) -> None:
    page.set_extra_http_headers({"Accept-Language": language})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_the_back_office_index_groups_customers_first(page, live_server, back_office_user):
    log_in(page, live_server, "en")
    assert page.locator("#site-name").text_content().strip() == "Switchboard administration"
    sections = [text.strip() for text in page.locator("#content-main .module caption").all_text_contents()]
    # Survey responses sit with the interactions; the KPIs are the reports.
    assert sections[:3] == ["Customers", "Interactions and tickets", "Reports"]


def test_the_back_office_speaks_french(page, live_server, back_office_user):
    log_in(page, live_server, "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#site-name").text_content().strip() == "Administration de Switchboard"
    sections = [text.strip() for text in page.locator("#content-main .module caption").all_text_contents()]
    assert sections[:2] == ["Clients", "Interactions et tickets"]
    page.get_by_role("link", name="Tickets", exact=True).click()
    assert "Sélectionnez" in page.locator("#content h1").inner_text()


def test_a_wide_report_scrolls_inside_its_box_not_the_page(page, live_server, back_office_user):
    from datetime import timedelta

    from django.utils import timezone

    from tests.agents.factories import AgentProfileFactory, QueueFactory
    from tests.kpis.kpi_data import contact

    queue = QueueFactory(name="Support")
    agent = AgentProfileFactory(user__username="agent1", queues=[queue]).user
    contact(timezone.now() - timedelta(hours=1), agent=agent, queue=queue, wait=5, talk=60)
    page.set_viewport_size({"width": 1024, "height": 768})
    log_in(page, live_server, "en")
    page.goto(f"{live_server.url}/admin/reports/performance/?preset=this_month&group_by=agent")
    box = page.locator("#kpi-grouped-box")
    box.wait_for()
    sizes = page.evaluate(
        """() => {
            const box = document.getElementById("kpi-grouped-box");
            return {page: document.documentElement.scrollWidth, view: window.innerWidth,
                    content: box.scrollWidth, shown: box.clientWidth};
        }"""
    )
    assert sizes["content"] > sizes["shown"], sizes  # the table is wider than its box: it scrolls there
    assert sizes["page"] <= sizes["view"], sizes  # and the page itself does not
    # The interactions behind a figure: a wide list, in its own box too, on a narrow screen.
    page.set_viewport_size({"width": 800, "height": 768})
    page.locator("#kpi-summary a").first.click()
    page.locator("#drilldown-table").wait_for()
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
