"""A server process's start (contactcenter/core/serving.py): the ASGI application, once imported,
has loaded every view and taken what it loaded out of the garbage collector's full passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, sys
import contactcenter.asgi
print(gc.get_freeze_count(), len(gc.get_objects()), "contactcenter.distribution.api.views" in sys.modules)
"""


def probe(**env: str) -> tuple[int, int, bool]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    environment.update(DJANGO_SETTINGS_MODULE="contactcenter.settings", **env)
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    return int(output[0]), int(output[1]), output[2] == "True"


def test_the_served_application_is_loaded_and_frozen_before_its_first_request():
    frozen, tracked, views_loaded = probe()
    # The views are imported at start (not by a first request), and the objects alive then are
    # out of the collector's passes: what a full pass walks is a small part of what there is.
    assert views_loaded
    assert frozen > 100_000
    assert tracked < frozen / 4


def test_the_freeze_can_be_turned_off():
    frozen, tracked, views_loaded = probe(SERVER_GC_FREEZE="0")
    assert frozen == 0
    assert tracked > 100_000
    assert not views_loaded  # the URLconf waits for the first request, as Django does
