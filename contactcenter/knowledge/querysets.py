"""Chainable article filters."""

from __future__ import annotations

from django.db import models


class ArticleQuerySet(models.QuerySet):
    def published(self) -> ArticleQuerySet:
        """Articles agents may read."""
        return self.filter(status="published")

    def drafts(self) -> ArticleQuerySet:
        return self.filter(status="draft")

    def in_language(self, language: str) -> ArticleQuerySet:
        return self.filter(language=language)
