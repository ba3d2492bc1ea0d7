"""Routes of ``calls/`` (``docs/telephony.md``, *Click-to-dial*)."""

from django.urls import path

from contactcenter.telephony.api import views

_list = views.CallViewSet.as_view({"get": "list", "post": "create"})
_detail = views.CallViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("calls/", _list, name="call-list"),
    path("calls/<int:pk>/", _detail, name="call-detail"),
    # A call id is the phone system's (1767603600.42, a UUID, CA…): anything but a slash.
    path("calls/<str:call_id>/hold/", views.CallHoldView.as_view(), name="call-hold"),
    path("calls/<str:call_id>/resume/", views.CallResumeView.as_view(), name="call-resume"),
    path("calls/<str:call_id>/transfer/", views.CallTransferView.as_view(), name="call-transfer"),
]
