"""The customer portal's routes (namespace ``portal``), under ``/portal/``."""

from django.urls import path

from contactcenter.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("link/<str:token>/", views.link, name="link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("tickets/<int:pk>/", views.ticket, name="ticket"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("articles/", views.articles, name="articles"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/<int:interaction_id>/", views.survey_answer, name="survey_answer"),
]
