from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET

from contactcenter.core.jobs import workers_late


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Health for load balancers and monitoring (docs/operations.md, "Health").

    ``database``: whether it answers; ``channel_layer``: whether the live events' layer (Redis with
    ``REDIS_URL``) answers within a second; ``workers``: whether the background workers keep up
    (``late``: a schedule or a queued job waits for longer than ``BACKGROUND_LATE_SECONDS``).
    ``status`` is ``ok`` when all are, ``degraded`` otherwise. Only a database that does not answer
    makes it 503: without Redis the pages and the API still serve (live updates pause, and the
    pages refetch when it is back), so the node must stay in the load balancer.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        workers = "late" if workers_late() else "ok"
        database = "ok"
    except Exception:
        database, workers = "down", "unknown"
    channel_layer = "ok" if _channel_layer_answers() else "down"
    healthy = database == "ok" and channel_layer == "ok" and workers == "ok"
    body = {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "channel_layer": channel_layer,
        "workers": workers,
    }
    if database == "down":
        return JsonResponse(body, status=503, headers={"Retry-After": "5"})
    return JsonResponse(body)


def _channel_layer_answers() -> bool:
    layer = get_channel_layer()
    health = getattr(layer, "health", None)
    if health is None:
        return layer is not None
    try:
        return async_to_sync(health)()
    except Exception:
        return False


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for API paths that match no route (SPEC §5: JSON in and out); Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a login refused for too many failures, for a login view that does not answer
    for itself (``contactcenter.core.logins.LoginLimitMiddleware``; the desk's, the admin's and the
    token endpoint do): a bare 429 (JSON under ``/api/``) with ``Retry-After``."""
    wait = str(settings.LOGIN_LOCKOUT_MINUTES * 60)
    message = _("Too many failed logins for this username from your address. Try again later.")
    if _is_api(request):
        return JsonResponse({"detail": message}, status=429, headers={"Retry-After": wait})
    return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8", headers={"Retry-After": wait})
