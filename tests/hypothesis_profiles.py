"""Hypothesis profiles: ``dev`` for local runs (the default: few examples, a quick answer) and
``ci``, the full run that ``.ci/run`` selects with ``HYPOTHESIS_PROFILE=ci``.

Both drop Hypothesis's 200 ms deadline: property tests judge behaviour, not speed, and on a busy
2-core CI machine an example may take longer without anything being wrong (benchmarks live in
bench/). A test that asks for its own number of examples says it with :func:`examples`, so that a
local run stays quick too.
"""

from __future__ import annotations

import os

from hypothesis import settings

#: Examples per property test in a local run.
DEV_MAX_EXAMPLES = 20

settings.register_profile("ci", deadline=None)  # Hypothesis's default number of examples (100)
settings.register_profile("dev", deadline=None, max_examples=DEV_MAX_EXAMPLES)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or "dev"
settings.load_profile(PROFILE)


def examples(full: int) -> int:
    """``full`` examples under the ``ci`` profile; at most :data:`DEV_MAX_EXAMPLES` locally."""
    return full if PROFILE == "ci" else min(full, DEV_MAX_EXAMPLES)
