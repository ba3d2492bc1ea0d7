"""Content negotiation: a ``format`` query parameter naming no renderer of the view is ignored.

The API answers JSON; ``?format=`` only chooses between a view's renderers (the schema's JSON or
YAML). Any other query parameter the API does not know is ignored, so an unknown ``format`` is
ignored too, instead of REST framework's bare 404 that no operation documents.
"""

from __future__ import annotations

from collections.abc import Sequence

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class SwitchboardContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers: Sequence[BaseRenderer], format: str) -> list[BaseRenderer]:
        return [renderer for renderer in renderers if renderer.format == format] or list(renderers)
