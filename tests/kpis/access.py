"""Access-matrix entries for this app's routes (merged by tests/api/test_access_matrix.py)."""

ENTRIES: dict = {}
