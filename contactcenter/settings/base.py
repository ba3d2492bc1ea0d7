"""Switchboard settings, read from the environment.

Every variable is optional: unset, the instance runs on the embedded default (SQLite file in
``var/``, in-memory channel layer, DEBUG on). Production sets ``DEBUG=0``, ``SECRET_KEY``,
``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``REDIS_URL``. A ``.env`` file at the project root may
hold the same variables; the real environment wins over it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

load_dotenv(BASE_DIR / ".env", override=False)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# --- Secret key: a real one whenever DEBUG is off -------------------------------------------------
_DEV_SECRET_KEY = "dev-only-secret-key-switchboard-never-use-in-production"  # noqa: S105
#: Keys printed in this repository (the development key, README's examples): public, so never secret.
_EXAMPLE_SECRET_KEYS = frozenset({_DEV_SECRET_KEY, "...", "bench", "change-me", "changeme", "secret"})
#: Django's own deployment check asks as much: 50 characters, 5 different ones at least.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` may not sign sessions and tokens of a production instance, or ``None`` if it may."""
    if not key:
        return "SECRET_KEY must be set when DEBUG is off."
    if key in _EXAMPLE_SECRET_KEYS or key.startswith("django-insecure-"):
        return "SECRET_KEY is an example value printed in the code or the documentation: generate your own."
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"SECRET_KEY is too weak: use at least {SECRET_KEY_MIN_LENGTH} random characters "
            f"(at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones)."
        )
    return None


SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (_secret_problem := secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(
        _secret_problem + ' For instance: python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The foundation first: its runserver (daphne's, which serves HTTP and WebSocket from one
    # process, plus the background jobs in-process) wins over daphne's and staticfiles' own.
    "contactcenter.core.apps.CoreConfig",
    # daphne before staticfiles: its runserver serves HTTP and WebSocket from one process.
    "daphne",
    "contactcenter.admin_apps.SwitchboardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "django_q",
    "contactcenter.agents",
    "contactcenter.scripts",
    "contactcenter.knowledge",
    "contactcenter.training",
    "contactcenter.chat",
    "contactcenter.quality",
    "contactcenter.desk",
    "contactcenter.live",
    "contactcenter.portal",
    "customers",
    "interactions",
    "kpis",
    "contactcenter.distribution",
    "contactcenter.mail",
    "contactcenter.telephony",
    "contactcenter.privacy",
    "contactcenter.demo",
]

MIDDLEWARE = [
    "contactcenter.core.middleware.DatabaseUnavailableMiddleware",
    # The live events of a request leave together, once its transactions have committed.
    "contactcenter.core.middleware.LiveEventsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CSP and Permissions-Policy on every answer; oversized API bodies refused before anything reads them.
    "contactcenter.core.security.SecurityHeadersMiddleware",
    "contactcenter.core.security.ApiBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "contactcenter.core.twofactor.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: it wraps the API view of a POST carrying an Idempotency-Key (SPEC §8).
    "contactcenter.core.api.idempotency.IdempotencyMiddleware",
    # A login refused for too many failures that its view did not answer is answered here (in
    # place of axes.middleware.AxesMiddleware: see contactcenter.core.logins).
    "contactcenter.core.logins.LoginLimitMiddleware",
]

# Server-Timing on every answer (the time spent in the application), for measuring: off by default.
SERVER_TIMING = env_bool("SERVER_TIMING", False)
if SERVER_TIMING:
    MIDDLEWARE.insert(0, "contactcenter.core.middleware.ServerTimingMiddleware")

# A server process loads every view before its first request and takes what it loaded out of the
# garbage collector's full passes (contactcenter/core/serving.py): on by default.
SERVER_GC_FREEZE = env_bool("SERVER_GC_FREEZE", True)

ROOT_URLCONF = "contactcenter.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "contactcenter.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
# Django's forms, with the empty choice of a list named for a person ("— none —", not "---------").
FORM_RENDERER = "contactcenter.core.renderers.SwitchboardFormRenderer"

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (psycopg 3) through a connection pool in each server process.
# Under ASGI a request's sync code may run on any of several threads, and persistent connections
# (CONN_MAX_AGE) are kept per thread: they pile up idle until PostgreSQL refuses new ones. A pool
# bounds a process to DATABASE_POOL_MAX_SIZE connections, hands each request one for its
# duration and checks it before handing it out (without a round trip when nothing was said on its
# socket), so the service recovers by itself after a database restart. JIT compilation is off
# for our connections: our queries are short lookups and reports over indexed ranges, where
# planning the JIT costs more than it saves.
VAR_DIR.mkdir(exist_ok=True)
_SQLITE_URL = f"sqlite:///{VAR_DIR / 'switchboard.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL") or _SQLITE_URL
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # WAL and IMMEDIATE transactions let the dev server's threads write without
        # "database is locked" errors.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    DATABASE_POOL = env_bool("DATABASE_POOL", True)
    DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 2)
    DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 8, 1)
    if DATABASE_POOL_MIN_SIZE > DATABASE_POOL_MAX_SIZE:
        raise ImproperlyConfigured("DATABASE_POOL_MIN_SIZE must not be above DATABASE_POOL_MAX_SIZE.")
    options = _db.setdefault("OPTIONS", {})
    options["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5, 1)
    options["options"] = "-c jit=off"
    # Values sent apart from the SQL (server-side binding), and a statement a connection has run
    # twice is prepared: planned once per connection, and no quoting of values in Python. Off by
    # default behind an external pooler, which may not follow prepared statements across clients.
    if env_bool("DATABASE_PREPARED", DATABASE_POOL):
        options["server_side_binding"] = True
        options["prepare_threshold"] = 2
    if DATABASE_POOL:
        options["pool"] = {
            "min_size": DATABASE_POOL_MIN_SIZE,
            "max_size": DATABASE_POOL_MAX_SIZE,
            # How long a request waits for a free connection (or for the database to come back)
            # before it fails, answering 503.
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, 1),
            # An idle connection above min_size is closed after this many seconds.
            "max_idle": env_int("DATABASE_POOL_MAX_IDLE", 300, 1),
        }
        _db["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django refuses both at once
        # Django's backend, whose pool checks a connection before handing it out without the round
        # trip of Django's check when its socket is quiet (contactcenter/core/postgresql/base.py).
        _db["ENGINE"] = "contactcenter.core.postgresql"
        _db["CONN_HEALTH_CHECKS"] = False
    else:
        # Without a pool (behind an external pooler such as PgBouncer), one connection per request.
        _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
        _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:// URL.")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer --------------------------------------------------------------------------
# REDIS_URL shares live events between every ASGI process; unset, events stay in-process.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis' pub/sub layer, which fans out to many sockets without exhausting the
            # connection pool (see STYLE.md, measured figures), with each group's messages numbered
            # so that a socket sees what it missed (docs/live.md, "Nothing lost silently").
            "BACKEND": "contactcenter.live.layers.NumberedRedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # Fail fast while Redis is away (a publish is given up, the write stands)
                        # and notice a dead connection: the subscriber then reconnects and
                        # subscribes again by itself when Redis is back.
                        "socket_connect_timeout": 2,
                        "socket_keepalive": True,
                        "health_check_interval": 15,
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "contactcenter.live.layers.NumberedInMemoryChannelLayer"}}

# --- Cache: throttling counters and short-lived tickets, shared through Redis when set ------
# Django's Redis cache on one connection pool per process, not one per request (contactcenter/core/redis_cache.py).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "contactcenter.core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are read from the cache and written to the cache and the database: a signed-in request
# reads no session row, and a cache restart signs nobody out (the database copy is read instead).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Routing (docs/routing.md) ----------------------------------------------------------------
# On: the tickets of every queue waiting with nobody holding them are offered to the queue's agents
# one at a time. Each queue switches it on for itself (Queue routing, routes_tickets); this setting,
# the way it was switched on before, stays for compatibility.
ROUTING_TICKETS = env_bool("ROUTING_TICKETS", False)
# Callbacks: a try that finds nobody (no answer, busy, voicemail) is made again this many minutes
# later, up to this many tries in all; then the callback is missed. A callback is kept on time when
# its first try comes within CALLBACK_ON_TIME_MINUTES of its due time. A new callback may be due
# at most CALLBACK_PAST_MINUTES ago (a form filled slowly), at most CALLBACK_AHEAD_DAYS ahead.
CALLBACK_RETRY_MINUTES = env_int("CALLBACK_RETRY_MINUTES", 15, 1)
CALLBACK_MAX_ATTEMPTS = env_int("CALLBACK_MAX_ATTEMPTS", 3, 1)
CALLBACK_ON_TIME_MINUTES = env_int("CALLBACK_ON_TIME_MINUTES", 15, 0)
CALLBACK_PAST_MINUTES = env_int("CALLBACK_PAST_MINUTES", 15, 0)
CALLBACK_AHEAD_DAYS = env_int("CALLBACK_AHEAD_DAYS", 365, 1)

# --- Telephony (docs/telephony.md) -------------------------------------------------------------
# The bridges to the phone system. `manage.py cti_bridge asterisk` logs in to the Asterisk
# Manager Interface (a manager.conf user with read rights for the events; originate, redirect
# and pause-recording rights for click-to-dial, transfer and PCI pause); `manage.py cti_bridge
# freeswitch` to FreeSWITCH's event socket; Twilio posts its webhooks to /api/v1/cti/twilio/,
# signed with the account's auth token. A command-line option wins over its variable.
ASTERISK_AMI_HOST = env_str("ASTERISK_AMI_HOST", "127.0.0.1")
ASTERISK_AMI_PORT = env_int("ASTERISK_AMI_PORT", 5038, 1)
ASTERISK_AMI_USERNAME = env_str("ASTERISK_AMI_USERNAME", "switchboard")
ASTERISK_AMI_SECRET = env_str("ASTERISK_AMI_SECRET")
# Click-to-dial on Asterisk: an extension given as digits (1001) is rung as TECHNOLOGY/1001, then
# the customer's number is dialled in CONTEXT (FreePBX: from-internal); transfers go there too.
ASTERISK_DIAL_TECHNOLOGY = env_str("ASTERISK_DIAL_TECHNOLOGY", "PJSIP")
ASTERISK_DIAL_CONTEXT = env_str("ASTERISK_DIAL_CONTEXT", "from-internal")
FREESWITCH_ESL_HOST = env_str("FREESWITCH_ESL_HOST", "127.0.0.1")
FREESWITCH_ESL_PORT = env_int("FREESWITCH_ESL_PORT", 8021, 1)
FREESWITCH_ESL_PASSWORD = env_str("FREESWITCH_ESL_PASSWORD", "ClueCon")
# How a click-to-dial rings the agent then the customer, after the variables the bridge sets
# (docs/telephony.md "FreeSWITCH"): {endpoint} (user/1001), {extension}, {to} (+33…), {digits}.
FREESWITCH_DIAL_STRING = env_str("FREESWITCH_DIAL_STRING", "{endpoint} {to} XML default")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
# The number Twilio shows to the called party on a click-to-dial (one of the account's numbers).
TWILIO_CALLER_ID = env_str("TWILIO_CALLER_ID")
# Switchboard's public address as Twilio reaches it (https://switchboard.example, no path): the
# webhook URL Twilio signs is this plus the request's path, whatever the proxies in between say;
# click-to-dial needs it to tell Twilio where to post the call's progress. Unset: the request's
# own address (behind a proxy, set SECURE_PROXY_SSL_HEADER so that it says https).
TWILIO_WEBHOOK_BASE_URL = env_str("TWILIO_WEBHOOK_BASE_URL").rstrip("/")
# Where the REST API is (tests point it at a local server).
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "https://api.twilio.com").rstrip("/")
# Record click-to-dial calls from the answer (both sides, one channel each).
TWILIO_RECORD_OUTBOUND = env_bool("TWILIO_RECORD_OUTBOUND", False)

# --- Background jobs: django-q2 on the database (docs/operations.md) ---------------------------
# The queue lives in the database (PostgreSQL in production): a job enqueued inside a transaction
# exists only if that transaction commits, and a job taken by a worker that dies is handed out
# again once its lock runs out (BACKGROUND_JOB_RETRY). "embedded" (the default) runs the work
# inside `manage.py runserver`; "external" leaves it to `manage.py worker` processes.
BACKGROUND_WORKERS = env_str("BACKGROUND_WORKERS", "embedded").lower()
if BACKGROUND_WORKERS not in {"embedded", "external"}:
    raise ImproperlyConfigured(f"BACKGROUND_WORKERS must be embedded or external, not {BACKGROUND_WORKERS!r}.")
_JOB_TIMEOUT = env_int("BACKGROUND_JOB_TIMEOUT", 300, 1)
_JOB_RETRY = env_int("BACKGROUND_JOB_RETRY", _JOB_TIMEOUT + 30, 2)
if _JOB_RETRY <= _JOB_TIMEOUT:
    # A job still running when its lock runs out would be handed to a second worker.
    raise ImproperlyConfigured("BACKGROUND_JOB_RETRY must be longer than BACKGROUND_JOB_TIMEOUT.")
#: A schedule whose run is this late, or a job queued this long, makes /healthz say "workers": "late".
BACKGROUND_LATE_SECONDS = env_int("BACKGROUND_LATE_SECONDS", 120, 5)
#: Failed job runs (dead letters included) are kept this many days.
BACKGROUND_FAILURES_DAYS = env_int("BACKGROUND_FAILURES_DAYS", 30, 1)
_WORKER_PROCESSES = env_int("BACKGROUND_WORKER_PROCESSES", 2, 1)
Q_CLUSTER = {
    "name": "switchboard",
    "orm": "default",
    # Processes per `manage.py worker` (each runs one job at a time).
    "workers": _WORKER_PROCESSES,
    "timeout": _JOB_TIMEOUT,
    "retry": _JOB_RETRY,
    # A job that raised is not handed out again by the queue: contactcenter.core.jobs retries it
    # itself, later each time (backoff), and keeps the last failure as a dead letter.
    "ack_failures": True,
    # At most one job waits in a worker's hands beyond the one it runs (its lock is ticking).
    "queue_limit": _WORKER_PROCESSES,
    "bulk": 1,
    "poll": 0.5,
    # After a stop, a periodic job runs once for the time missed, not once per missed slot.
    "catch_up": False,
    "save_limit": 1000,
    "recycle": 500,
    "label": _("Background jobs"),
    # Each run is listed in the admin; the log says only what went wrong (INFO: every run).
    "log_level": env_str("BACKGROUND_LOG_LEVEL", "WARNING").upper(),
}

# --- REST API (SPEC §5) -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "contactcenter.core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "contactcenter.core.api.pagination.NextPreviousPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "contactcenter.core.api.schema.SwitchboardAutoSchema",
    "EXCEPTION_HANDLER": "contactcenter.core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "contactcenter.core.api.negotiation.SwitchboardContentNegotiation",
    "DEFAULT_PARSER_CLASSES": ["contactcenter.core.api.parsers.BoundedJSONParser"],
    # The user's and the token's limits (PerUserThrottle, PerTokenThrottle), counted together.
    "DEFAULT_THROTTLE_CLASSES": ["contactcenter.core.api.throttling.RateLimits"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_RATE_USER", "3000/min"),
        "token": env_str("API_RATE_TOKEN", "6000/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Switchboard API",
    "DESCRIPTION": "The REST API of Switchboard, the CRM for in-house call centers (SPEC §5).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "contactcenter.core.choices.Channel",
        "RoleEnum": "contactcenter.core.roles.Role",
        "StatusEnum": "contactcenter.agents.models.Status",
        "BreakReasonEnum": "contactcenter.agents.models.BreakReason",
        "ChosenBreakReasonEnum": "contactcenter.agents.api.serializers.CHOSEN_REASON_CHOICES",
        "MyStatusEnum": "contactcenter.agents.api.serializers.SELF_SERVICE_CHOICES",
        "BreakOrOfflineEnum": "contactcenter.agents.api.serializers.SET_BY_OTHERS_CHOICES",
        "TicketStatusEnum": "interactions.models.TicketStatus",
        "PriorityEnum": "interactions.models.Priority",
        "ArticleStatusEnum": "contactcenter.knowledge.models.ArticleStatus",
        "WorkKindEnum": "contactcenter.distribution.models.WorkKind",
        "WorkStateEnum": "contactcenter.distribution.models.WorkState",
        "CallbackStateEnum": "contactcenter.distribution.models.CallbackState",
        "CallbackOutcomeEnum": "contactcenter.distribution.models.CallbackOutcome",
        "ScorecardVersionStateEnum": "contactcenter.quality.models.VersionState",
        "EvaluationStateEnum": "contactcenter.quality.models.EvaluationState",
        "EvaluationKindEnum": "contactcenter.quality.models.EvaluationKind",
        "CalibrationStateEnum": "contactcenter.quality.models.CalibrationState",
    },
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses any login for a username and address past the failure limit (django-axes).
    "contactcenter.core.logins.LoginLimitBackend",
    # Django's password check; a signed-in user is read with their agent profile in one query.
    "contactcenter.core.backends.ProfileModelBackend",
]
#: Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed: the client is
#: then the nearest address of that header that is not a trusted proxy. Unset: the socket's address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
#: Failed logins for one username from one address before that pair is locked out...
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, 1)
#: ...for this long after the last failure (an admin may unlock it sooner).
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, 1)
# django-axes counts failures in the database (not the cache: the limit holds while Redis is away),
# per username and address together: a call center shares one public address.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "contactcenter.core.logins.client_address"
AXES_LOCKOUT_CALLABLE = "contactcenter.views.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True
# axes asks for its own middleware; ours does its job (contactcenter.core.logins.LoginLimitMiddleware).
SILENCED_SYSTEM_CHECKS = ["axes.W002"]
AXES_VERBOSE = False
#: API tokens expire this many days after they are issued (an admin may issue non-expiring ones).
TOKEN_TTL_DAYS = env_int("TOKEN_TTL_DAYS", 30, 1)
#: Roles that must log in with a second factor, comma-separated; set and empty: none. Unset: none
#: under DEBUG (the demo's logins work with their password alone); otherwise supervisors, QA
#: evaluators (who hear many teams' calls), managers and admins.
_REQUIRE_2FA_ROLES = os.environ.get("REQUIRE_2FA_ROLES")
REQUIRE_2FA_ROLES = (
    ([] if DEBUG else ["supervisor", "quality", "manager", "admin"])
    if _REQUIRE_2FA_ROLES is None
    else [role.strip() for role in _REQUIRE_2FA_ROLES.split(",") if role.strip()]
)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Switchboard")


def passkey_rp_id(hosts: list[str]) -> str:
    """The first domain name of ``hosts`` (``ALLOWED_HOSTS``; a leading dot dropped), or "" when there is
    none: a passkey belongs to a domain, never to an address or a wildcard."""
    for host in hosts:
        name = host.strip().lstrip(".").lower()
        if name and name != "*" and not name.startswith("[") and not name.replace(".", "").isdigit():
            return name
    return ""


#: Passkeys (django-otp-webauthn, docs/operations.md "Passkeys"): a passkey is made for one domain, the
#: relying party ID; changing it later makes every registered passkey useless. Unset: the first domain
#: name of ALLOWED_HOSTS ("localhost" by default). None (addresses only, or "*"): no passkeys.
OTP_WEBAUTHN_RP_ID = env_str("PASSKEY_RP_ID").lower() or passkey_rp_id(ALLOWED_HOSTS)
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
#: Origins whose passkey answers are accepted, besides the address a page was served from when that
#: address is the relying party ID or under it (contactcenter.core.twofactor.PasskeyHelper).
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "PASSKEY_ORIGINS", [f"https://{OTP_WEBAUTHN_RP_ID}"] if OTP_WEBAUTHN_RP_ID else []
)
OTP_WEBAUTHN_HELPER_CLASS = "contactcenter.core.twofactor.PasskeyHelper"
# A passkey is a second factor here, after the password: never a login of its own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_TIMEOUT_SECONDS = 120
if not OTP_WEBAUTHN_RP_ID:
    # Passkeys are off (no domain to make them for): the app's checks of its relying party and
    # origins have nothing to check.
    SILENCED_SYSTEM_CHECKS += ["otp_webauthn.E010", "otp_webauthn.E030"]
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "desk:login"

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "contactcenter" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_TZ = True

# --- Static files: every asset served by the project itself (no CDN) ------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"

# --- Call recordings (docs/telephony.md "Recordings") ---------------------------------------------
# Kept in the media storage (MEDIA_ROOT) by default, or with RECORDINGS_STORAGE=s3 in an
# S3-compatible bucket (AWS, MinIO, Ceph, Scaleway, OVH…) through django-storages: private objects,
# read back through Switchboard only (it checks who may listen). Never served as they are.
RECORDINGS_STORAGE = env_str("RECORDINGS_STORAGE", "local").lower()
if RECORDINGS_STORAGE == "s3":
    STORAGES["recordings"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "location": env_str("AWS_LOCATION"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif RECORDINGS_STORAGE == "local":
    # No location: MEDIA_ROOT, read when used (tests point it at a temporary folder).
    STORAGES["recordings"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"RECORDINGS_STORAGE must be local or s3, not {RECORDINGS_STORAGE!r}.")
#: The largest recording accepted (upload or fetch).
RECORDING_MAX_BYTES = env_int("RECORDING_MAX_BYTES", 200 * 1024 * 1024, 1024)
#: Recordings are deleted this many days after they are stored (0: as the retention periods say).
RECORDING_RETENTION_DAYS = env_int("RECORDING_RETENTION_DAYS", 0)
#: The folder the phone system writes its recordings to, as this machine sees it (a mount): an
#: event's recording path is fetched only from under it. Empty: paths are refused.
RECORDINGS_PBX_ROOT = env_str("RECORDINGS_PBX_ROOT")
#: Basic credentials sent when fetching a recording URL (Twilio: the account SID and auth token).
RECORDINGS_FETCH_USERNAME = env_str("RECORDINGS_FETCH_USERNAME")
RECORDINGS_FETCH_PASSWORD = env_str("RECORDINGS_FETCH_PASSWORD")
#: Seconds without an answer before a fetch gives up (and is tried again later).
RECORDINGS_FETCH_TIMEOUT = env_int("RECORDINGS_FETCH_TIMEOUT", 30, 1)
# --- Email (docs/email.md) ------------------------------------------------------------------
#: A file a received mail carries is kept up to this size; a larger one is listed, not stored.
EMAIL_ATTACHMENT_MAX_BYTES = env_int("EMAIL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, 1)
#: Mail is sent by SMTP through EMAIL_HOST; without one (the embedded default), each message sent
#: is written as a file under var/mail/, where `make run` shows what would have gone out.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25, 1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, 1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "switchboard@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
#: The mailboxes with an IMAP host are read by the background job ``email_fetch`` (every minute)
#: at most this often, in seconds; 0: never by the job (run ``manage.py email_fetch --loop``).
EMAIL_FETCH_INTERVAL_SECONDS = env_int("EMAIL_FETCH_INTERVAL_SECONDS", 60)
#: Seconds without an answer from an IMAP server before a reading gives up (tried again later).
EMAIL_FETCH_TIMEOUT = env_int("EMAIL_FETCH_TIMEOUT", 30, 1)

# --- Customer portal (docs/portal.md) ---------------------------------------------------------
#: A sign-in link emailed to a customer works once, for this many minutes.
PORTAL_LINK_MINUTES = env_int("PORTAL_LINK_MINUTES", 15, 1)
#: At most this many links are sent to one customer within PORTAL_LINK_MINUTES (more asked: none sent).
PORTAL_LINKS_PER_CUSTOMER = env_int("PORTAL_LINKS_PER_CUSTOMER", 3, 1)
#: A portal session ends this many hours after the link was used (or at sign-out).
PORTAL_SESSION_HOURS = env_int("PORTAL_SESSION_HOURS", 12, 1)
#: The portal's address in the links mailed (https://support.example.com); unset: the address the
#: customer asked from (a host of ALLOWED_HOSTS).
PORTAL_URL = env_str("PORTAL_URL").rstrip("/")
#: Surveys are asked in the portal about the contacts handled within this many days.
PORTAL_SURVEY_DAYS = env_int("PORTAL_SURVEY_DAYS", 30, 1)

# --- Past 100M rows: interactions and CTI events partitioned by month (docs/performance.md) ---
#: On PostgreSQL only (ignored on SQLite): ``manage.py partition_tables`` converts the tables, a
#: new database is partitioned by ``migrate`` itself, and the daily job ``partitions_ahead``
#: creates PARTITION_MONTHS_AHEAD months of partitions ahead (interactions/partitions.py).
INTERACTIONS_PARTITIONED = env_bool("INTERACTIONS_PARTITIONED", False)
PARTITION_MONTHS_AHEAD = env_int("PARTITION_MONTHS_AHEAD", 3, 1)

# --- Security: on by default once DEBUG is off; each can be turned off behind a proxy -------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy and Permissions-Policy (contactcenter/core/security.py) -------------
# Everything from the instance itself: no inline script, no eval, no inline style (scripts and
# styles are static files; htmx is told not to inject its own styles), no frame, no plugin.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    # 'self' covers the live sockets (ws:// and wss:// of the same host).
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
#: Inline styles of third-party templates, allowed by their hash only: the history page of
#: django-simple-history.
CSP_STYLE_HASHES = ["border-top: 0"]
#: Browser features no page of Switchboard uses, turned off for every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
        "microphone", "midi", "payment", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip

# --- Request bodies: bounded in size and depth (contactcenter/core/api/parsers.py) --------------
#: A larger body answers 413 on the API (400 on a page: Django's limit is the same figure).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 5 * 1024 * 1024, 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
#: JSON nested deeper (arrays and objects) answers 400.
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32, 2)

# --- History: read-only; nobody reverts a customer to an older state by accident -------------
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Contact-center settings (SPEC §2) ------------------------------------------------------
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "FR").upper()
SHORT_ABANDON_SECONDS = env_int("SHORT_ABANDON_SECONDS", 5)
FCR_WINDOW_DAYS = env_int("FCR_WINDOW_DAYS", 7, 1)
#: An agent whose every socket has been gone this long goes offline (contactcenter/agents/presence.py).
PRESENCE_GRACE_SECONDS = env_int("PRESENCE_GRACE_SECONDS", 60, 1)
#: Scores interactions' notes in [-1, 1] (interactions/sentiment, docs/kpis.md "Sentiment"): a dotted path.
SENTIMENT_ANALYSER = env_str("SENTIMENT_ANALYSER", "interactions.sentiment.LexiconAnalyser")
#: Web chat (docs/chat.md): the class that finds the public articles the bot answers with (a dotted
#: path: a local embedding model may replace the knowledge base's search), and the score (0 to 1)
#: (CHAT_BOT_MIN_SCORE_PERCENT, 0 to 100) under which the bot hands the chat over instead of answering.
CHAT_BOT_RETRIEVER = env_str("CHAT_BOT_RETRIEVER", "contactcenter.chat.bot.KnowledgeRetriever")
CHAT_BOT_MIN_SCORE = env_int("CHAT_BOT_MIN_SCORE_PERCENT", 50) / 100
#: A chat left with the bot this many minutes without a word is ended (the ``chat_close_idle`` job).
CHAT_IDLE_MINUTES = env_int("CHAT_IDLE_MINUTES", 30, 1)
#: Goals the admin's performance report shows beside each KPI (kpis/reports.py, docs/kpis.md):
#: rates as fractions, ASA and AHT in seconds; at most for abandonment, ASA, AHT and negative
#: sentiment, at least for the others. A queue's own service-level goal wins for that queue.
KPI_GOALS = {
    "service_level": 0.8,
    "abandonment_rate": 0.05,
    "asa": 30.0,
    "aht": 300.0,
    "fcr": 0.75,
    "csat": 0.85,
    "nps": 30.0,
    "ces": 5.5,
    "sentiment": 0.1,
    "sentiment_positive": 0.5,
    "sentiment_negative": 0.1,
    "occupancy": 0.8,
}

# --- Logging: to the console, with personal data scrubbed from every line (contactcenter/logging.py)
# Every logger that writes goes through the one redacting handler: the root, Django's own (whose
# defaults print requests in DEBUG and mail them to ADMINS), daphne's runserver (under "django")
# and the ASGI server's access and error logs (uvicorn configures its loggers first; these settings,
# loaded with the application, replace their handlers in each server process).
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "contactcenter.logging.RedactPersonalData"}},
    "formatters": {
        "plain": {
            "()": "contactcenter.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        name: {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}
        for name in ("django", "django.server", "uvicorn", "uvicorn.access", "daphne")
    },
}
