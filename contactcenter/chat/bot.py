"""The chat bot's reading (``docs/chat.md``, "The bot"): which public article answers a question,
and whether the visitor asks for a person.

The retriever is pluggable: ``CHAT_BOT_RETRIEVER`` names a class whose ``retrieve(question=,
language=)`` returns :class:`Hit` rows, best first, over the **public** knowledge articles only
(a local embedding model may replace the default). The default, :class:`KnowledgeRetriever`, asks
the knowledge base's public search (PostgreSQL full-text ranking, the SQLite fallback elsewhere)
for candidates and scores each by the share of the question's words that the article holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from contactcenter.knowledge import search
from contactcenter.knowledge.models import Article
from contactcenter.knowledge.selectors import MAX_SEARCH_LENGTH, MAX_SEARCH_WORDS, public_article_search

#: Candidates the default retriever scores.
CANDIDATES = 3
#: Words that ask for a person, in every language the bot speaks (folded: no accents, lower case).
PERSON_WORDS = frozenset(
    [
        *("agent", "agents", "human", "humans", "person", "someone", "somebody", "operator", "advisor"),
        *("representative", "conseiller", "conseillere", "conseillers", "humain", "humaine", "humains"),
        *("personne", "quelqu", "operateur", "operatrice", "agente", "interlocuteur"),
    ]
)
#: Phrases that ask for a person.
PERSON_PHRASES = ("real person", "talk to a", "speak to a", "parler a quelqu", "un vrai", "une vraie")


@dataclass(frozen=True)
class Hit:
    """An article the retriever found, and how well it answers (0 to 1)."""

    article: Article
    score: float


class Retriever(Protocol):
    def retrieve(self, *, question: str, language: str) -> list[Hit]:
        """The public articles in ``language`` answering ``question``, best first."""


def _question_words(question: str) -> list[str]:
    stems = search.fallback_stems(question)
    return list(dict.fromkeys(stems))[:MAX_SEARCH_WORDS]


class KnowledgeRetriever:
    """The knowledge base's own public search (see the module)."""

    def retrieve(self, *, question: str, language: str) -> list[Hit]:
        folded = search.words(search.fold(question))
        meaningful = [word for word in folded if word not in search.STOP_WORDS and len(word) > 1]
        term = " ".join(meaningful[:MAX_SEARCH_WORDS])[:MAX_SEARCH_LENGTH].strip()
        stems = _question_words(term)
        if not term or not stems:
            return []
        try:
            candidates = list(public_article_search(query=term, language=language, limit=CANDIDATES))
        except ValidationError:
            return []
        if not candidates:
            return []
        texts = dict(
            Article.objects.filter(pk__in=[article.pk for article in candidates]).values_list("pk", "search_text")
        )
        hits = []
        for article in candidates:
            text = texts.get(article.pk, "")
            found = sum(1 for stem in stems if stem in text)
            hits.append(Hit(article=article, score=round(found / len(stems), 3)))
        return sorted(hits, key=lambda hit: -hit.score)


@cache
def _retriever_class(path: str) -> type:
    return import_string(path)


def retriever() -> Retriever:
    """The retriever ``CHAT_BOT_RETRIEVER`` names."""
    return _retriever_class(settings.CHAT_BOT_RETRIEVER)()


def best_answer(*, question: str, language: str) -> Hit | None:
    """The best public article for ``question``, if it answers well enough (``CHAT_BOT_MIN_SCORE``);
    an article that is not public, or not published, is never answered whatever the retriever says."""
    for hit in retriever().retrieve(question=question, language=language):
        article = hit.article
        if article.audience != "public" or article.status != "published" or article.language != language:
            continue
        return hit if hit.score >= settings.CHAT_BOT_MIN_SCORE else None
    return None


def asks_for_person(text: str) -> bool:
    """Whether the visitor asks for a person ("agent", "human", "conseiller", "humain"…)."""
    folded = search.fold(text)
    words = set(re.findall(r"[a-z]+", folded))
    return bool(words & PERSON_WORDS) or any(phrase in folded for phrase in PERSON_PHRASES)
