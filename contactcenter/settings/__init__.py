"""Settings package: ``base`` is read from the environment; ``test`` speeds up the test suite."""

from .base import *  # noqa: F403
