"""A server process's start: everything a request uses loaded, then kept out of the garbage
collector's full passes.

Python's cyclic garbage collector walks every tracked object of the process on a full
(generation 2) pass. A server process holds a few hundred thousand of them that live as long as it
does (Django, the models, the URLconf, the views and serializers, the libraries), and on this
project's 2-core reference machine a full pass over them took about 130 ms: whichever requests that
process was serving waited that long, and the slowest percent of every endpoint's times were those
pauses. :func:`settle` loads the URLconf (and with it every view module) before the first request,
collects once, and moves every object alive then into the permanent generation
(:func:`gc.freeze`), which the passes skip: a full pass then walks what requests made since, and
took about 12 ms. Nothing is leaked by it: what was frozen was going to live as long as the process.

``SERVER_GC_FREEZE=0`` leaves the collector as Python sets it.
"""

from __future__ import annotations

import gc

from django.conf import settings
from django.urls import get_resolver


def settle() -> bool:
    """Load the URLconf, collect, freeze what is alive (``SERVER_GC_FREEZE``, on by default).
    Whether it froze."""
    if not settings.SERVER_GC_FREEZE:
        return False
    get_resolver().url_patterns  # noqa: B018  (imports every view module now, not on a first request)
    gc.collect()
    gc.freeze()
    return True
