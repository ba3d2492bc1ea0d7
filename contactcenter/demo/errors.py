"""The demo's one error: it cannot be loaded as asked. Pure (the simulator raises it too)."""

from __future__ import annotations


class DemoError(Exception):
    """The demo cannot be loaded as asked (the message says why); nothing was written."""
