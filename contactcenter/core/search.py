"""What every free-text search box accepts: one rule for customers, articles and the like."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def clean_search_term(raw: str, *, max_length: int, max_words: int) -> str:
    """The term with its whitespace collapsed; ``ValidationError`` naming ``search`` when it is
    longer than ``max_length`` characters or ``max_words`` words, or carries control characters
    no one types."""
    if any(ord(char) < 32 and char not in "\t\n\r" for char in raw):
        raise ValidationError({"search": [_("The search term contains control characters.")]})
    term = " ".join(raw.split())
    if len(term) > max_length:
        raise ValidationError({"search": [_("A search term has at most %(max)s characters.") % {"max": max_length}]})
    if len(term.split()) > max_words:
        raise ValidationError({"search": [_("A search term has at most %(max)s words.") % {"max": max_words}]})
    return term
