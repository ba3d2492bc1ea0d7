"""One production-style instance for the module that asks for it (it takes a few seconds to start)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.production import ProductionServer


@pytest.fixture(scope="module")
def production() -> Iterator[ProductionServer]:
    server = ProductionServer().start()
    try:
        yield server
    finally:
        server.close()
