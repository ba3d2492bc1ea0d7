"""Placeholder: routes arrive with the work on this endpoint."""

urlpatterns: list = []
