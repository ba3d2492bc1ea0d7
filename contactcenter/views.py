from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET

from contactcenter.core.jobs import workers_late


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers: 200 when the database answers, with
    ``workers`` saying whether the background workers keep up (``late``: a schedule or a queued
    job waits for longer than ``BACKGROUND_LATE_SECONDS``; the web nodes still serve)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        late = workers_late()
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503, headers={"Retry-After": "5"})
    return JsonResponse({"status": "ok", "workers": "late" if late else "ok"})


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
