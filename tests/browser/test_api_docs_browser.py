"""The interactive API documentation renders in a real browser with no internet: every asset it
loads comes from the instance itself."""

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_offline(page, live_server, django_user_model):
    # Until the agent desktop has its own login page, a back-office account signs in through the admin.
    django_user_model.objects.create_superuser("reader", "reader@example.test", "a-long-pass-phrase")
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or ""))

    page.goto(f"{live_server.url}/admin/login/?next=/api/docs/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/api/docs/")

    # Swagger UI built the page from /api/schema/: the title and the operations are there.
    page.wait_for_selector(".opblock", timeout=15_000)
    assert "Switchboard API" in page.locator(".info .title").inner_text()
    operations = page.locator(".opblock-summary-path").all_text_contents()
    assert any(path.startswith("/api/v1/customers/lookup/") for path in operations)
    assert any(path.startswith("/api/v1/cti/events/") for path in operations)
    assert hosts == {urlparse(live_server.url).hostname}
