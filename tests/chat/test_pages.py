"""The widget's files, the demo page, the admin's embed line, and the demo's widget."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from contactcenter.chat.admin import embed_line
from contactcenter.chat.models import ChatWidget
from tests.chat.factories import start, widget

pytestmark = pytest.mark.django_db


def test_the_widget_script_is_served_to_any_site(client: Client):
    response = client.get("/chat/widget.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.content.decode()
    assert "/ws/chat/" in body and "localStorage" in body and len(body) < 16_000
    assert "http" not in body.split("*/", 1)[1].replace("https:", "").replace("http:", "")  # nothing third-party
    css = client.get("/chat/widget.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")


def test_demo_page_embeds_the_widget_allowing_this_address(client: Client):
    chat_widget = widget(allowed_origins=["http://testserver"])
    page = client.get("/chat/demo/")
    assert page.status_code == 200
    assert f'data-key="{chat_widget.key}"' in page.content.decode()
    assert "Content-Security-Policy" in page.headers


def test_demo_page_without_a_widget_says_what_to_do(client: Client):
    widget()  # allowed elsewhere only
    page = client.get("/chat/demo/")
    assert page.status_code == 200 and "data-key" not in page.content.decode()
    assert "http://testserver" in page.content.decode()


def test_the_admin_shows_the_embed_line(admin_client: Client):
    chat_widget = widget()
    page = admin_client.get(f"/admin/chat/chatwidget/{chat_widget.pk}/change/")
    assert page.status_code == 200
    assert "data-key=&quot;" + chat_widget.key in page.content.decode()
    assert embed_line(chat_widget) == f'<script src="/chat/widget.js" data-key="{chat_widget.key}" async></script>'


def test_the_admin_lists_conversations_read_only(admin_client: Client):
    conversation, _token = start(widget())
    assert admin_client.get("/admin/chat/chatconversation/?q=Ask").status_code == 200
    page = admin_client.get(f"/admin/chat/chatconversation/{conversation.pk}/change/")
    assert page.status_code == 200
    assert admin_client.get("/admin/chat/chatconversation/add/").status_code == 403


def test_demo_creates_a_widget_on_the_chat_queue():
    call_command("demo", "--customers=5", "--days=1", "--now=2026-11-18T18:30:00+01:00", stdout=StringIO())
    demo = ChatWidget.objects.get(name="Demo site")
    assert demo.queue.channel == "chat" and demo.allows_origin("http://127.0.0.1:8000")
    assert demo.allows_origin("http://localhost:8000")
