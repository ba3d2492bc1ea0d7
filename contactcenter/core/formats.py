"""How times, durations and rates are shown to people, the same on the desk, the wallboard and the admin."""

from __future__ import annotations

import math

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

#: What an empty value reads as, on every screen: the desk, the wallboard, the admin.
EMPTY = "—"


def format_duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` from an hour on; ``—`` for none (a negative one is 0:00)."""
    if seconds is None:
        return EMPTY
    total = max(math.floor(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_percent(fraction: float | None, decimals: int = 0) -> str:
    """A fraction as a percentage in the current language (``81 %`` in French); ``—`` for none."""
    if fraction is None:
        return "—"
    number = floatformat(fraction * 100, f"-{decimals}" if decimals else "0")
    return pgettext("percentage", "%(number)s%%") % {"number": number}


def format_span(seconds: int | float) -> str:
    """A goal's span of time in words, in the largest units that say it exactly: ``20 s``,
    ``1 min 30 s``, ``5 min``, ``8 h``, ``1 h 30 min``, ``2 d`` (never "28800 s")."""
    total = max(int(seconds), 0)
    days, within_day = divmod(total, 86_400)
    hours, within_hour = divmod(within_day, 3600)
    minutes, secs = divmod(within_hour, 60)
    if days and not within_day:
        return _("%(days)s d") % {"days": days}
    hours += days * 24
    if hours and minutes:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if hours and not secs:
        return _("%(hours)s h") % {"hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min %(seconds)s s") % {"hours": hours, "minutes": minutes, "seconds": secs}
    if minutes and secs:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": secs}
    if minutes:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(seconds)s s") % {"seconds": secs}
