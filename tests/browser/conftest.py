"""A real browser: Debian's Chromium driven by Playwright (its own browser download cannot work
offline, so it is launched from /usr/bin/chromium)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while the browser is open (one
    # module at a time, so that later tests get a thread without a loop); the ORM calls that
    # tests make between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="switchboard-chromium-")
    with sync_playwright() as playwright:
        # Playwright's wait_for_function evaluates its condition inside the page, which the
        # Content-Security-Policy forbids (no eval): these tests bypass it; test_csp_browser.py opens a
        # browser of its own that enforces it.
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, bypass_csp=True
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(chromium):
    chromium.clear_cookies()
    page = chromium.new_page()
    yield page
    page.close()


class AsgiLiveServer:
    """``contactcenter.asgi:application`` served by uvicorn in a thread of the test process: HTTP,
    static files (from the apps' folders, as ``runserver`` serves them) and WebSockets.

    pytest-django's ``live_server`` speaks WSGI only, so pages with a live socket need this one.
    It shares the test database (PostgreSQL, or SQLite's shared in-memory database) and the channel
    layer's configuration. Drive the server through HTTP (the browser, ``requests``): a service called
    from the test thread would publish its events through another event loop, which the in-memory
    channel layer does not support.
    """

    def __init__(self) -> None:
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from contactcenter.asgi import application

        # The server listens on a socket bound here, to a port the system chose: no other process
        # (another xdist worker's server, a cluster's) can take it between choosing and binding.
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application), host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
        self.server = _thread_server_class()(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="asgi-live-server", daemon=True
        )

    def start(self) -> AsgiLiveServer:
        from django.db import connections

        # Each request and socket message of the server runs in a context of its own, with a
        # connection of its own: persistent ones would outlive the test (and keep the test database
        # from being dropped), so the server closes each when its work is done.
        self._conn_max_age = connections.settings["default"].get("CONN_MAX_AGE", 0)
        connections.settings["default"]["CONN_MAX_AGE"] = 0
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the ASGI live server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        from asgiref.sync import sync_to_async
        from django.db import connections

        loop = self.server.loop
        if loop is not None and loop.is_running():
            # The server's database connections live in its worker thread: close them there, so that
            # the test database can be flushed and dropped.
            asyncio.run_coroutine_threadsafe(sync_to_async(connections.close_all)(), loop).result(10)
        self.server.should_exit = True
        self.thread.join(15)
        self.socket.close()
        connections.settings["default"]["CONN_MAX_AGE"] = self._conn_max_age


def _thread_server_class():
    import uvicorn

    class ThreadServer(uvicorn.Server):
        """uvicorn's server, remembering its event loop (signals are left alone off the main thread)."""

        loop: asyncio.AbstractEventLoop | None = None

        async def serve(self, sockets=None) -> None:
            self.loop = asyncio.get_running_loop()
            await super().serve(sockets)

    return ThreadServer


@pytest.fixture
def asgi_live_server(transactional_db) -> Iterator[AsgiLiveServer]:
    server = AsgiLiveServer().start()
    try:
        yield server
    finally:
        server.stop()
