"""Property-based API conformance: schemathesis generates requests from our own OpenAPI schema
(valid and invalid) for every operation and checks that none answers a server error, and that
every answer (status code, content type, body) matches the schema."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.throttling import SimpleRateThrottle

from contactcenter.core.tokens import api_token_issue

#: Examples per operation, the same in every profile. ``derandomize`` makes a run repeatable, not
#: every run alike (CI's found a ``format`` parameter no local run had sent): a run with it off and
#: more examples is the way to look for more.
MAX_EXAMPLES = 30


@pytest.fixture
def no_rate_limits():
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {scope: "1000000/min" for scope in original}
    yield
    SimpleRateThrottle.THROTTLE_RATES = original


@pytest.fixture
def keep_test_connection():
    """The WSGI app sends request_started/finished, whose close_old_connections would close the
    test's connection in the middle of its transaction (PostgreSQL); Django's test client
    disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def twilio_configured(settings):
    """Twilio's webhook checks signatures with the account's auth token: configured, a request
    without Twilio's signature is refused (403) as it would be in production, not 503."""
    settings.TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def api_schema(org, no_rate_limits, keep_test_connection, twilio_configured):
    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = get_wsgi_application()
    return loaded


@pytest.fixture
def admin_headers(org) -> dict[str, str]:
    return {"Authorization": f"Token {api_token_issue(user=org.admin).key}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case, admin_headers):
    # Two checks are about strictness, not conformance, and are left out on purpose:
    # a name that refers to no team is schema-valid yet rightly refused (positive data), and
    # DRF reads 0 as "0" for a text field (negative data). Server errors, status codes, content
    # types and response bodies are all checked.
    case.call_and_validate(
        headers=admin_headers,
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection],
    )
