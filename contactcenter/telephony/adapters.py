"""The phone systems a bridge process can serve: ``manage.py cti_bridge <kind>`` builds the
adapter of ``kind`` from its settings (``docs/telephony.md``) and the command line's options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contactcenter.telephony.asterisk import asterisk_adapter
from contactcenter.telephony.freeswitch import freeswitch_adapter
from contactcenter.telephony.runtime import Adapter

#: kind → function building its adapter from the options (``host``, ``port``, ``username``,
#: ``secret``: ``None`` where the command line gave none, the settings then decide).
ADAPTERS: dict[str, Callable[[dict[str, Any]], Adapter]] = {}

ADAPTERS["asterisk"] = asterisk_adapter
ADAPTERS["freeswitch"] = freeswitch_adapter
