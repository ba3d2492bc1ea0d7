"""Test settings: the base settings, made fast. ``DATABASE_URL``/``REDIS_URL`` still apply, so the
same suite runs on the embedded default and on PostgreSQL + Redis (see ``.ci/run``)."""

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1", "[::1]"]
SECURE_SSL_REDIRECT = False
LANGUAGE_CODE = "en"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests get their own file so that they never touch the demo database.
    DATABASES["default"]["TEST"] = {"NAME": ""}
