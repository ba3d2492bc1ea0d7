"""An id too long for the database names nothing: 404, never a server error."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_id_beyond_the_database_range_is_404(api_client_for, org, course):
    huge = "9" * 30
    client = api_client_for(org.agent_a)
    assert client.get(f"{reverse('training-course-list')}{huge}/").status_code == 404
    assert client.post(f"{reverse('training-course-list')}{course.pk}/lessons/{huge}/complete/").status_code == 404
    assert (
        client.post(f"{reverse('training-course-list')}{huge}/quiz/", {"answers": {}}, format="json").status_code == 404
    )
