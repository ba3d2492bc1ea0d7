"""The pages' routes, one list per module (namespace ``desk``)."""

from contactcenter.desk import (
    callbacks,
    callbar,
    calls,
    chats,
    dial,
    emails,
    knowledge,
    login,
    offers,
    pages,
    panels,
    quality,
    recordings,
    tickets,
    training,
    wallboard,
)

app_name = "desk"

urlpatterns = [
    *login.urlpatterns,
    *pages.urlpatterns,
    *calls.urlpatterns,
    *callbar.urlpatterns,
    *recordings.urlpatterns,
    *offers.urlpatterns,
    *chats.urlpatterns,
    *tickets.urlpatterns,
    *emails.urlpatterns,
    *knowledge.urlpatterns,
    *training.urlpatterns,
    *wallboard.urlpatterns,
    *panels.urlpatterns,
    *callbacks.urlpatterns,
    *dial.urlpatterns,
    *quality.urlpatterns,
]
