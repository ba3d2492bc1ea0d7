"""The demo's web chat: one widget on the demo's chat queue, allowed on the local development
server, so that ``make run`` has a working widget (``/chat/demo/``, docs/chat.md)."""

from __future__ import annotations

from contactcenter.chat.models import ChatWidget
from contactcenter.chat.services import chat_widget_create
from contactcenter.demo.result import count
from contactcenter.demo.simulator.center import CHAT
from contactcenter.demo.writer.organisation import Center

DEMO_WIDGET = "Demo site"
#: Where ``make run`` serves Switchboard (and so the demo page that embeds the widget).
DEMO_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]


def ensure_chat_widget(center: Center, *, created: dict[str, int]) -> None:
    """The demo widget, when missing (an admin's changes to it are kept)."""
    if ChatWidget.objects.filter(name=DEMO_WIDGET).exists():
        return
    chat_widget_create(
        name=DEMO_WIDGET,
        queue=center.queues[CHAT],
        languages=["fr", "en"],
        allowed_origins=DEMO_ORIGINS,
        greeting={
            "fr": "Bonjour ! Posez votre question : je réponds avec nos articles, ou je vous passe un conseiller.",
            "en": "Hello! Ask your question: I answer from our help articles, or pass you to an agent.",
        },
    )
    count(created, "chat widgets")
