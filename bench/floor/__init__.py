"""The floor of ``bench/api.py``: the least a Django + DRF detail view can cost on this machine."""
