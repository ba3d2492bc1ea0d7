"""The pages' routes, one list per module (namespace ``desk``)."""

from contactcenter.desk import calls, knowledge, pages, tickets, training, wallboard

app_name = "desk"

urlpatterns = [
    *pages.urlpatterns,
    *calls.urlpatterns,
    *tickets.urlpatterns,
    *knowledge.urlpatterns,
    *training.urlpatterns,
    *wallboard.urlpatterns,
]
