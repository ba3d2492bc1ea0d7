"""Route of ``interactions/{id}/recording/``, included under ``/api/v1/`` by ``contactcenter/api_urls.py``."""

from django.urls import path

from contactcenter.telephony.api.recording_views import InteractionRecordingView

urlpatterns = [
    path("interactions/<int:pk>/recording/", InteractionRecordingView.as_view(), name="interaction-recording"),
]
