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
