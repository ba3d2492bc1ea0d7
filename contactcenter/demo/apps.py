"""The demo app: ``manage.py demo`` and what it loads; no models of its own."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo center: a realistic contact center over the last days, for trying Switchboard out."""

    name = "contactcenter.demo"
    label = "demo"
