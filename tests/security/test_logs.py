"""No personal data in any log: a real uvicorn process (README's production command, DEBUG=0)
serves requests carrying customers' phones, emails and names, in URLs, bodies and headers; its
whole standard output and error are searched for them afterwards."""

from __future__ import annotations

import json
import logging
import sys
from urllib.parse import quote, quote_plus

from contactcenter.logging import RedactingFormatter, RedactPersonalData, redact
from tests.security.production import CUSTOMERS

JSON = {"Content-Type": "application/json"}


def forms_of(first: str, last: str, typed: str, e164: str, email: str) -> set[str]:
    """Every way the customer's data may be written in a log line."""
    national = e164.replace("+33", "0") if e164.startswith("+33") else e164
    digits = e164.lstrip("+")
    return {
        e164, quote(e164, safe=""), typed, quote_plus(typed), quote(typed, safe=""), digits, national,
        "00" + digits, digits[-9:],
        email, quote(email, safe=""), quote_plus(email), email.split("@")[0],
        last, first, quote(first), quote(last), f"{last} {first}", quote_plus(f"{last} {first}"),
    }  # fmt: skip


def test_the_production_server_logs_no_personal_data(production):
    for first, last, typed, e164, email in CUSTOMERS:
        # The screen pop, by every form of the number.
        for phone in (e164, typed, "00" + e164[1:]):
            answer = production.request(f"/api/v1/customers/lookup/?phone={quote(phone, safe='')}")
            assert answer.status == 200, answer.body
        # Searches: API, desk, admin.
        assert production.request(f"/api/v1/customers/?search={quote_plus(last + ' ' + first)}").status == 200
        assert production.request(f"/api/v1/customers/?search={quote(email)}").status == 200
        assert production.request(f"/desk/search/?q={quote(email)}", auth="session").status == 200
        assert production.request(f"/desk/search/?q={quote_plus(typed)}", auth="session").status == 200
        assert production.request(f"/admin/customers/customer/?q={quote_plus(last)}", auth="session").status == 200
        # Not found: a number and an email in the path, a name in the query.
        assert production.request(f"/api/v1/customers/{quote(e164)}/?name={quote(last)}").status == 404
        assert production.request(f"/desk/{quote(email)}/{quote(e164)}/", auth="session").status == 404
        # Errors: bad input carrying the customer's data, a login that fails, a body too deep, a
        # host that is not allowed.
        bad = {"first_name": first, "last_name": last, "phones": [typed, "not a phone"], "emails": [email, "x@"]}
        answer = production.request("/api/v1/customers/", method="POST", body=json.dumps(bad).encode(), headers=JSON)
        assert answer.status == 400
        answer = production.request(
            "/api/v1/auth/token/",
            method="POST",
            body=json.dumps({"username": email, "password": typed}).encode(),
            headers=JSON,
            auth="none",
        )
        assert answer.status == 400
        deep = b'{"last_name": "' + last.encode() + b'", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        answer = production.request(f"/api/v1/customers/?phone={quote(e164)}", method="POST", body=deep, headers=JSON)
        assert answer.status == 400
        assert production.request("/healthz", headers={"Host": email}, auth="none").status == 400

    production.close()
    output = production.output
    # The requests were logged, their personal data was not.
    assert "/api/v1/customers/lookup/?phone=[redacted]" in output
    assert "/desk/search/?q=[redacted]" in output
    assert "Not Found" in output
    leaks = {form for customer in CUSTOMERS for form in forms_of(*customer) if form in output}
    assert not leaks, f"personal data in the server's log: {sorted(leaks)}\n{output}"


def test_query_values_emails_and_numbers_are_redacted_but_dates_and_pages_are_kept():
    line = (
        '127.0.0.1:4242 - "GET /api/v1/customers/?search=Poulain+Am%C3%A9lie&page=2&phone=%2B33730299738 HTTP/1.1" 200'
    )
    assert redact(line) == (
        '127.0.0.1:4242 - "GET /api/v1/customers/?search=[redacted]&page=2&phone=[redacted] HTTP/1.1" 200'
    )
    assert redact("Not Found: /x/jean.dupont%40example.com/%2B33730299738/") == "Not Found: /x/[email]/[number]/"
    assert redact("06%2012%2034%2056%2078 or 0033 7 30 29 97 38 on 2026-11-23") == "[number] or [number] on 2026-11-23"
    assert redact("Is it ok? Yes.") == "Is it ok? Yes."


def test_a_traceback_is_redacted_too():
    formatter = RedactingFormatter("%(asctime)s %(message)s")
    try:
        raise ValueError("no customer with phone +33730299738 or email jean@example.fr")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "lookup %s failed", ("+33612345678",), None)
        record.exc_info = sys.exc_info()
    assert RedactPersonalData().filter(record)
    text = formatter.format(record)
    assert "lookup [number] failed" in text
    assert "ValueError: no customer with phone [number] or email [email]" in text
    assert "+33" not in text and "jean@" not in text
