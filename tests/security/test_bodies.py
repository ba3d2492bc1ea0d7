"""API bodies are bounded: too deep answers 400, too large 413, both with a JSON body; never a 500
and never an HTML page."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from rest_framework.exceptions import ParseError

from contactcenter.core.api.parsers import BoundedJSONParser, RequestTooLarge, json_depth_exceeds

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.test", "a-long-pass-phrase")
    client.force_login(user)
    return client


def post(client, body: bytes, **extra):
    return client.generic("POST", "/api/v1/customers/", body, content_type="application/json", **extra)


def test_a_hundred_thousand_brackets_answer_400_in_json(api):
    answer = post(api, b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    assert "nested too deeply" in answer.json()["detail"]


def test_a_body_nested_past_the_limit_answers_400_below_it_is_read(api):
    deep = b'{"first_name": "Ann", "tags": ' + b"[" * 40 + b"]" * 40 + b"}"
    assert post(api, deep).status_code == 400
    assert "nested too deeply" in post(api, deep).json()["detail"]
    fine = b'{"first_name": "Ann", "last_name": "Lee", "tags": ["vip"]}'
    assert post(api, fine).status_code == 201


@override_settings(API_MAX_BODY_BYTES=10_000, DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_body_over_the_limit_answers_413_in_json(api):
    body = b'{"first_name": "' + b"a" * 20_000 + b'"}'
    answer = post(api, body)
    assert answer.status_code == 413
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"detail": "The request body may weigh 10000 bytes at most."}


@override_settings(API_MAX_BODY_BYTES=10_000)
def test_a_chunked_body_is_not_read_past_the_limit():
    # Without a Content-Length, the parser stops at the limit.
    stream = io.BytesIO(b"[" + b"1," * 10_000 + b"1]")
    with pytest.raises(RequestTooLarge):
        BoundedJSONParser().parse(stream, "application/json", {})


@override_settings(API_MAX_JSON_DEPTH=3)
def test_the_depth_is_measured_on_objects_and_arrays():
    assert BoundedJSONParser().parse(io.BytesIO(b'{"a": [{"b": 1}]}'), "application/json", {}) == {"a": [{"b": 1}]}
    with pytest.raises(ParseError):
        BoundedJSONParser().parse(io.BytesIO(b'{"a": [{"b": [1]}]}'), "application/json", {})
    assert not json_depth_exceeds("text", 1)
    assert json_depth_exceeds([[[]]], 2)
    assert not json_depth_exceeds([[[]]], 3)


def test_the_production_server_answers_json_to_a_10_mb_body(production):
    answer = production.request(
        "/api/v1/customers/",
        method="POST",
        body=b"[" + b"0," * 5_000_000 + b"0]",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/json"
    assert "at most" in answer.json()["detail"]
