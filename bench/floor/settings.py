"""A bare Django + DRF project: one app, no middleware but the common one, no authentication.

It reads the same ``DATABASE_URL`` as Switchboard, through the same pool and options, so that the
difference between the two is the application's own work.
"""

from __future__ import annotations

import os

import dj_database_url

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or "floor-bench-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "bench.floor"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
if os.environ.get("SERVER_TIMING") == "1":  # the same header as the application's, for the bench
    MIDDLEWARE.insert(0, "contactcenter.core.middleware.ServerTimingMiddleware")
ROOT_URLCONF = "bench.floor.views"
USE_TZ = True
TIME_ZONE = "UTC"

DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DATABASES["default"]["OPTIONS"] = {
    "connect_timeout": 5,
    "options": "-c jit=off",
    "pool": {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "8")),
        "timeout": 5,
    },
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
