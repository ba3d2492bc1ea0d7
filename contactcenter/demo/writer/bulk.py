"""What every phase of the writer uses: progress bars, validated bulk inserts with history, and
rows that keep the past timestamps the demo gives them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from django.db import models
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from contactcenter.demo.result import DemoResult, count, count_labels

HISTORY_REASON = "demo data"
BATCH_SIZE = 1000


def progress_bar(progress: TextIO | None, *, total: int, desc: str, unit: str) -> tqdm:
    """A progress bar on ``progress``; a silent one when it is ``None`` (verbosity 0)."""
    return tqdm(total=total, desc=desc, unit=unit, file=progress, disable=progress is None, leave=True)


def save_rows(
    model: type[models.Model],
    rows: Sequence[models.Model],
    result: DemoResult,
    label: str,
    progress: TextIO | None,
    *,
    exclude: Sequence[str] = (),
    history: bool = True,
) -> None:
    """Validate every row, then insert them in batches (with their history for historied models),
    counting them in ``result.created[label]``."""
    for row in rows:
        # Foreign keys, unique and check constraints: the database checks them (see the package).
        row.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    with progress_bar(
        progress, total=len(rows), desc=_("Saving %(what)s") % {"what": count_labels()[label]}, unit=_("row")
    ) as bar:
        for first in range(0, len(rows), BATCH_SIZE):
            batch = list(rows[first : first + BATCH_SIZE])
            if history:
                bulk_create_with_history(batch, model, batch_size=BATCH_SIZE, default_change_reason=HISTORY_REASON)
            else:
                model._default_manager.bulk_create(batch, batch_size=BATCH_SIZE)
            bar.update(len(batch))
    count(result.created, label, len(rows))


@contextmanager
def keep_given_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let rows keep the past ``created_at``/``updated_at`` the demo gives them.

    ``auto_now``/``auto_now_add`` fields stamp the insert time on every save, bulk inserts
    included; a ticket resolved last week would then be "resolved before it was created". The
    flags are switched off only for the duration of the load, in this process (a management
    command, single-threaded).
    """
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
