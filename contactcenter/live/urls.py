"""The live layer's one HTTP route, included by ``contactcenter/api_urls.py``."""

from django.urls import path

from contactcenter.live.api import WsTicketView

urlpatterns = [
    path("auth/ws-ticket/", WsTicketView.as_view(), name="auth-ws-ticket"),
]
