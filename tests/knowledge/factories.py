"""Knowledge base factories: rows are written through the services, as the admin writes them, so
that their search columns are filled (``Article.objects.create`` would leave them empty)."""

from __future__ import annotations

import factory

from contactcenter.knowledge.models import Article, ArticleCategory
from contactcenter.knowledge.services import article_create


class ArticleCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ArticleFactory(factory.Factory):
    """A published article unless ``publish=False``; ``by`` is its author (default: none)."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    body = "Some helpful text."
    summary = ""
    language = "en"
    category = factory.SubFactory(ArticleCategoryFactory)
    tags: tuple[str, ...] = ()
    publish = True
    by = None

    @classmethod
    def _create(cls, model_class: type[Article], **kwargs) -> Article:
        return article_create(**kwargs)

    @classmethod
    def _build(cls, model_class: type[Article], **kwargs) -> Article:
        kwargs.pop("publish", None)
        kwargs.pop("by", None)
        return model_class(**kwargs)
