"""ASGI entry point: HTTP through Django, WebSocket through Channels.

Production: ``uvicorn contactcenter.asgi:application`` (or daphne), any number of processes,
sharing live events through Redis (``REDIS_URL``).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
# Django must be set up before the consumers (and the models they import) are loaded.
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from contactcenter.core.serving import KeptThreadsASGIHandler, settle  # noqa: E402
from contactcenter.live.auth import BrowserOriginValidator, TicketAuthMiddleware  # noqa: E402
from contactcenter.routing import SocketsByPath, visitor_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

# Django's handler, each request's synchronous code on a thread kept between requests
# (contactcenter/core/serving.py).
django_asgi_app = KeptThreadsASGIHandler()

# A browser's Origin must be one of ALLOWED_HOSTS; the user comes from the session cookie, or from a
# single-use ``?ticket=`` (contactcenter/live/auth.py, docs/live.md). The chat widget's socket is
# opened from the company's site: no session, the widget's own allowed origins (docs/chat.md).
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SocketsByPath(
            visitors=URLRouter(visitor_websocket_urlpatterns),
            staff=BrowserOriginValidator(AuthMiddlewareStack(TicketAuthMiddleware(URLRouter(websocket_urlpatterns)))),
        ),
    }
)

# Everything loaded, out of the garbage collector's full passes (contactcenter/core/serving.py).
settle()
