"""Chainable article filters."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from contactcenter.core.access import can


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> ArticleQuerySet:
        """The articles ``user`` may read: all of them for those who write them, else the published
        ones; a user without a role none."""
        if can(user, "knowledge.write"):
            return self
        if can(user, "knowledge.read"):
            return self.published()
        return self.none()

    def published(self) -> ArticleQuerySet:
        """Articles agents may read."""
        return self.filter(status="published")

    def drafts(self) -> ArticleQuerySet:
        return self.filter(status="draft")

    def in_language(self, language: str) -> ArticleQuerySet:
        return self.filter(language=language)
