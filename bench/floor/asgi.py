"""``uvicorn bench.floor.asgi:application`` with ``DJANGO_SETTINGS_MODULE=bench.floor.settings``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor.settings")
application = get_asgi_application()
