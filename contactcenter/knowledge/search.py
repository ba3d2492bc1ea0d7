"""How articles are searched, on PostgreSQL and on SQLite (see docs/knowledge.md).

PostgreSQL: each article holds a weighted ``tsvector`` (title A, summary and tags B, body C) built
with its own language's text search configuration (``french``, ``english``), so that French words
are stemmed as French (« résilier » and « résiliation » share the stem ``résili``). Agents often
type without accents: the vector also holds the text with its accents removed, and the query asks
for each word as typed and without accents. The words of a query are alternatives (``|``), the
last one a prefix (``:*``, the agent is still typing); ``ts_rank`` puts the articles matching the
most words, in the title first, on top.

SQLite has no text search: ``search_text`` holds the text in lower case without accents, and a
query word matches when its rough stem (a few common French and English endings cut off) appears
in it. Articles are ranked by how many of the query's words they contain.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorCombinable
from django.db.models import TextField, Value

#: settings.LANGUAGES code → PostgreSQL text search configuration; any other language: "simple".
SEARCH_CONFIGS = {"fr": "french", "en": "english"}
FALLBACK_CONFIG = "simple"

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae", "ß": "ss"})

#: Words too common to tell articles apart, for the SQLite fallback (PostgreSQL has its own lists).
STOP_WORDS = frozenset(
    " ".join(
        [
            "a an and are as at be by can do does for from how i if in is it me my of on or our so the their",
            "this to we what when where which who why with you your",
            "au aux avec ce ces comment dans de des du elle en est et il je la le les leur lui ma mais me mes",
            "moi mon ne nos notre nous on ou par pas pour qu que qui quoi sa se ses son sur ta te tes ton tu un",
            "une vos votre vous",
        ]
    ).split()
)
#: Endings cut off a folded word for the SQLite fallback, longest first: « résiliation »,
#: « résilier » and « résilié » all become « resili »; “refunds” and “refunded” become “refund”.
_ENDINGS = tuple(
    sorted(
        " ".join(
            [
                "ations ation ements ement ments ment ites ite euses euse eurs eur ances ance ences ence iques",
                "ique ables able ibles ible ions ion ings ing ies ied ers er ez ees ee es ed ly s x e",
            ]
        ).split(),
        key=len,
        reverse=True,
    )
)
MIN_STEM = 3


def fold(text: str) -> str:
    """``text`` in lower case, without accents or ligatures (« Œuvre Élément » → « oeuvre element »)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def words(text: str) -> list[str]:
    """The words of ``text`` (letters and digits), in order, repeats dropped."""
    return list(dict.fromkeys(_WORD.findall(text)))


def rough_stem(word: str) -> str:
    """``word`` (folded) without one common French or English ending, keeping ``MIN_STEM`` letters."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def search_text(*, title: str, summary: str, tags: Iterable[str], body: str) -> str:
    """What the SQLite fallback searches: every text of the article, folded."""
    return fold("\n".join([title, summary, " ".join(tags), body]))


def fallback_stems(term: str) -> list[str]:
    """The stems the SQLite fallback looks for: the term's words, folded, common words left out."""
    stems = [rough_stem(word) for word in words(fold(term)) if word not in STOP_WORDS and len(word) > 1]
    return list(dict.fromkeys(stems))


def config_for(language: str) -> str:
    return SEARCH_CONFIGS.get(language, FALLBACK_CONFIG)


def _with_folded(text: str) -> str:
    folded = fold(text)
    return text if folded == text.casefold() else f"{text}\n{folded}"


def search_vector(*, language: str, title: str, summary: str, tags: Iterable[str], body: str) -> SearchVectorCombinable:
    """The PostgreSQL expression of an article's ``search_vector``, from its texts as given."""
    config = Value(config_for(language))

    def part(text: str, weight: str) -> SearchVector:
        return SearchVector(Value(_with_folded(text), output_field=TextField()), config=config, weight=weight)

    return part(title, "A") + part(f"{summary}\n{' '.join(tags)}", "B") + part(body, "C")


def search_query(term: str, *, language: str) -> SearchQuery | None:
    """The PostgreSQL ``tsquery`` of ``term`` in ``language``'s configuration, or ``None`` when
    the term has no word.

    Only letters and digits reach ``to_tsquery`` (its operators cannot be typed in). Each word is
    asked as typed and without accents; the last one as a prefix.
    """
    typed = words(term)
    if not typed:
        return None
    alternatives: list[str] = []
    for index, word in enumerate(typed):
        suffix = ":*" if index == len(typed) - 1 else ""
        for variant in dict.fromkeys([word.casefold(), fold(word)]):
            alternatives.append(f"{variant}{suffix}")
    return SearchQuery(" | ".join(alternatives), config=Value(config_for(language)), search_type="raw")
