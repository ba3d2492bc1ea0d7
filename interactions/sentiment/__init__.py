"""Sentiment of an interaction's text: a score in [-1, 1], from a replaceable analyser (issue #8).

The analyser
    Anything with ``score(text, language=None) -> float | None`` (:class:`SentimentAnalyser`).
    The setting ``SENTIMENT_ANALYSER`` names it by dotted path (a class, instantiated without
    arguments, or a ready object); :func:`get_analyser` loads it once per process. The default,
    :class:`LexiconAnalyser`, is a small rule-based scorer for French and English written for a
    contact center's notes, chats and emails: no model, no download, no network.

How the lexicon analyser scores (VADER's recipe, Hutto & Gilbert 2014, with our own word lists)
    1. Emoticons (``:)``, ``:(`` …) and emoji (😡, 👍 …) are read from the raw text, each with
       its own weight.
    2. The rest is folded (lower case, accents and ligatures removed: ``déçu`` = ``decu``,
       ``œ`` = ``oe``) and split into sentences and words; French elisions are split (``c'est`` →
       ``c est``) and English ``n't`` read as ``not``.
    3. Each word, or set phrase (``merci beaucoup``, ``waste of time``), found in the language's
       lexicon adds its weight (−4 … 4). Inflected forms fall back on simple suffix rules
       (``satisfaites`` → ``satisfait``, ``rapidement`` → ``rapide``, ``annoyed`` → ``annoy``).
    4. Up to two words before it may boost (``très``, ``really``: ×1.3 … ×1.5) or soften
       (``un peu``, ``a bit``: ×0.5 … ×0.8) it; a negation up to three words before it
       (``pas``, ``jamais``, ``not``, ``never``, ``no``, ``sans``…) or French ``ne … pas`` around a
       verb flips it and damps it (×−0.74): ``pas content`` is negative, ``not bad`` mildly
       positive. A comma ends a negation's reach. After ``but``/``mais`` words count ×1.5,
       before it ×0.5. A word in capitals within normal text counts ×1.3.
    5. Each ``!`` (at most four) pushes the total 0.292 further from zero.
    6. The total ``x`` becomes ``x / sqrt(x² + 15)``, rounded to 4 decimals: within [−1, 1],
       about ±0.5 for one clear word (``satisfait`` 0.61, ``déçu`` −0.54), beyond ±0.8 for two
       strong ones; a long text full of one polarity reaches ±1.

    The language is the one given when the text itself does not tell (``guess_language``: French
    and English stopwords and lexicon words counted); with neither, both lexicons are used.

What a score means
    ``None`` only for blank text (empty or whitespace); ``0.0`` for a text with nothing that
    carries polarity (``ça va``, ``call about invoice 42``): neutral, as the KPIs'
    band (−0.05 … 0.05, SPEC §4) says.

Limits: no irony or sarcasm, no context beyond a sentence, a few hundred words per language, only
French and English (other text is scored with both lexicons, usually 0). A center that needs
better plugs its own analyser (docs/kpis.md "Sentiment").

Storing it (:func:`sentiment_settle`, called by ``interactions.services``)
    A score supplied by the caller (the API, an integration, the demo) is stored as it is and
    never overwritten. Otherwise the analyser scores the interaction's notes (for chat, email,
    SMS and social contacts the notes hold the conversation or its summary, for calls the agent's
    notes) when it is created and whenever its notes change, and ``sentiment_computed`` is set.
    Supplying ``null`` is supplying no score: the analyser's score is stored (a score can be
    replaced, never removed from a text that has one).
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string
from simple_history.utils import bulk_update_with_history

from interactions.models import Interaction


@runtime_checkable
class SentimentAnalyser(Protocol):
    """What ``SENTIMENT_ANALYSER`` must name: an object scoring a text.

    ``score`` returns a float in [-1, 1] (negative … positive, 0 neutral), or ``None`` when the
    text cannot be scored (blank). ``language`` is a hint, an ISO 639-1 code such as ``"fr"`` or
    ``"en"`` (the customer's preferred language) or ``None``; an analyser may trust the text
    over it. It must be quick (it runs inside the save of an interaction), deterministic and
    safe to call from several threads.
    """

    def score(self, text: str, language: str | None = None) -> float | None: ...


# --- Text folding and tokens --------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'", "‘": "'", "ʼ": "'"})


def fold(text: str) -> str:
    """``text`` in lower case without accents or ligatures (``Déçue, œuvre`` → ``decue, oeuvre``)."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(char for char in text if not unicodedata.combining(char)).lower()


_WORD = re.compile(r"[^\W_]+|,", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?;\n]+")
_NOT = re.compile(r"n't\b", re.IGNORECASE)
_ELISION = re.compile(r"\b(c|d|j|l|m|n|s|t|qu|jusqu|lorsqu|puisqu)'", re.IGNORECASE)


def _sentences(text: str) -> list[list[tuple[str, str]]]:
    """Sentences of ``text`` as lists of ``(folded, original)`` words, ``","`` kept as a word."""
    text = _NOT.sub(" not", text.replace("’", "'"))
    text = _ELISION.sub(r"\1 ", text)
    found = []
    for sentence in _SENTENCE_END.split(text):
        words = [(fold(word), word) for word in _WORD.findall(sentence)]
        if words:
            found.append(words)
    return found


def _words(text: str) -> list[str]:
    return [word for sentence in _sentences(text) for word, _original in sentence if word != ","]


# --- Lexicons -----------------------------------------------------------------------------------

#: The word lists shipped with the analyser, data rather than code: one JSON file per language in
#: ``lexicons/`` (see :func:`load_lexicon` for the format) and the weights of emoticons and emoji in
#: ``symbols.json``. Read once, when this module is imported.
DATA_DIR = Path(__file__).resolve().parent
LEXICON_DIR = DATA_DIR / "lexicons"


def _weighted(groups: Iterable[tuple[float, Iterable[str]]]) -> dict[tuple[str, ...], float]:
    """``[(weight, ["word", "a phrase"])]`` → ``{("word",): weight, ("a", "phrase"): weight}``.

    Each entry is folded and split into words as a text is (``"à l'écoute"`` → ``("a", "l",
    "ecoute")``); an entry listed twice keeps its last weight.
    """
    table: dict[tuple[str, ...], float] = {}
    for weight, entries in groups:
        for entry in entries:
            table[tuple(_words(entry))] = float(weight)
    return table


@dataclass(frozen=True)
class Lexicon:
    """The word lists of one language (all folded: no accents, lower case).

    ``words`` maps a word or a phrase (tuple of words) to its weight (−4 … 4); ``boosters`` maps
    a word or a two-word phrase to the factor it applies to the next polar word; ``negations``
    flip it; ``ne_negations`` flip it only after ``ne``/``n'`` (French ``ne … plus``);
    ``contrasts`` are ``but``/``mais``; ``suffixes`` are ``(ending, replacement)`` rules tried in
    order, twice at most, on a word not found as it is.
    """

    code: str
    words: dict[tuple[str, ...], float]
    boosters: dict[tuple[str, ...], float]
    negations: frozenset[str]
    stopwords: frozenset[str]
    suffixes: tuple[tuple[str, str], ...]
    ne_negations: frozenset[str] = frozenset()
    ne_words: frozenset[str] = frozenset()
    contrasts: frozenset[str] = frozenset()
    longest_phrase: int = field(init=False, default=1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "longest_phrase", max((len(key) for key in self.words), default=1))


def _set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(word for entry in words for word in fold(entry).split())


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(f"The sentiment word list {path} cannot be read: {error}") from error


def load_lexicon(path: str | Path) -> Lexicon:
    """The :class:`Lexicon` of a JSON word list, such as the shipped ``lexicons/fr.json``::

        {
          "language": "fr",
          "words": [{"weight": 3.0, "entries": ["satisfait", "merci beaucoup"]}, ...],
          "boosters": [{"factor": 1.3, "entries": ["très", "tout à fait"]}, ...],
          "negations": ["pas", "jamais"], "ne_negations": ["plus"], "ne_words": ["ne", "n"],
          "contrasts": ["mais"], "stopwords": ["le", "la"],
          "suffixes": [["euses", "eux"], ["s", ""]]
        }

    Words are written as people write them (accents, elisions, phrases with spaces); they are
    folded like the texts they are compared with. Only ``language`` and ``words`` are required. A
    file that cannot be read or lacks a key raises ``ImproperlyConfigured`` naming it.
    """
    path = Path(path)
    data = _read_json(path)
    try:
        return Lexicon(
            code=data["language"],
            words=_weighted((group["weight"], group["entries"]) for group in data["words"]),
            boosters=_weighted((group["factor"], group["entries"]) for group in data.get("boosters", [])),
            negations=_set(data.get("negations", [])),
            ne_negations=_set(data.get("ne_negations", [])),
            ne_words=_set(data.get("ne_words", [])),
            contrasts=_set(data.get("contrasts", [])),
            stopwords=_set(data.get("stopwords", [])),
            suffixes=tuple((str(ending), str(replacement)) for ending, replacement in data.get("suffixes", [])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"The sentiment word list {path} is malformed: {error!r}") from error


FRENCH = load_lexicon(LEXICON_DIR / "fr.json")
ENGLISH = load_lexicon(LEXICON_DIR / "en.json")

#: The lexicons by language code. Their order matters for a text of unknown language, scored with
#: all of them merged: on a word both list, the later one's weight wins.
LEXICONS: dict[str, Lexicon] = {FRENCH.code: FRENCH, ENGLISH.code: ENGLISH}

#: Emoticons and emoji and their weights (read from the raw text, before folding).
SYMBOLS: dict[str, float] = {
    str(symbol): float(weight) for symbol, weight in _read_json(DATA_DIR / "symbols.json").items()
}


def _emoticon_pattern(symbol: str) -> str:
    # Not inside a word ("fixD"), nor a URL ("https://"); "merci:)" and ":)merci" still count.
    before = r"(?<![\w:/])" if symbol[0].isalnum() else r"(?<![:/])"
    after = r"(?!\w)" if symbol[-1].isalnum() else r"(?![/\w])" if symbol[-1] == "/" else ""
    return before + re.escape(symbol) + after


_EMOTICON = re.compile(
    "|".join(f"({_emoticon_pattern(s)})" for s in sorted((s for s in SYMBOLS if s.isascii()), key=len, reverse=True))
)
_EMOJI = {symbol: weight for symbol, weight in SYMBOLS.items() if not symbol.isascii()}

NEGATION_SCALAR = -0.74  # VADER's: a negated word keeps about three quarters of its strength
EXCLAMATION_STEP = 0.292  # VADER's, per "!", at most four
CAPS_FACTOR = 1.3
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5


def _merged(lexicons: Iterable[Lexicon]) -> Lexicon:
    """One lexicon holding all of ``lexicons`` (for a text whose language is unknown)."""
    lexicons = list(lexicons)
    words: dict[tuple[str, ...], float] = {}
    boosters: dict[tuple[str, ...], float] = {}
    for lexicon in lexicons:
        words.update(lexicon.words)
        boosters.update(lexicon.boosters)
    return Lexicon(
        code="",
        words=words,
        boosters=boosters,
        negations=frozenset().union(*(lexicon.negations for lexicon in lexicons)),
        ne_negations=frozenset().union(*(lexicon.ne_negations for lexicon in lexicons)),
        ne_words=frozenset().union(*(lexicon.ne_words for lexicon in lexicons)),
        contrasts=frozenset().union(*(lexicon.contrasts for lexicon in lexicons)),
        stopwords=frozenset().union(*(lexicon.stopwords for lexicon in lexicons)),
        suffixes=tuple(rule for lexicon in lexicons for rule in lexicon.suffixes),
    )


def guess_language(text: str, hint: str | None = None, lexicons: Mapping[str, Lexicon] | None = None) -> str | None:
    """The language of ``text`` among ``lexicons`` (default French and English), or ``None``.

    Counts each language's stopwords and lexicon words in the text; the language with most wins.
    A tie (no such word, or as many of each) gives ``hint`` when it is one of the languages
    (``"fr-CA"`` counts as ``"fr"``), else ``None``.
    """
    lexicons = LEXICONS if lexicons is None else lexicons
    words = _words(text)
    counts = {
        code: sum(1 for word in words if word in lexicon.stopwords or (word,) in lexicon.words)
        for code, lexicon in lexicons.items()
    }
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    if ranked and ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    hint = (hint or "").lower().replace("_", "-").split("-")[0]
    return hint if hint in lexicons else None


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    weight: float


class LexiconAnalyser:
    """The default :class:`SentimentAnalyser`: word lists and rules for French and English.

    See the module docstring for how a text is scored. ``alpha`` sets how fast the sum of
    weights approaches ±1 (VADER's 15). Subclass and pass other ``lexicons`` (language code →
    :class:`Lexicon`) to add a language or words.
    """

    alpha: float = 15.0

    def __init__(self, lexicons: Mapping[str, Lexicon] | None = None) -> None:
        self.lexicons = dict(LEXICONS if lexicons is None else lexicons)
        self._all = _merged(self.lexicons.values())

    def score(self, text: str, language: str | None = None) -> float | None:
        """``text``'s sentiment in [-1, 1]; ``None`` for blank text, ``0.0`` for text without polarity."""
        if not text or not text.strip():
            return None
        code = guess_language(text, hint=language, lexicons=self.lexicons)
        lexicon = self.lexicons[code] if code else self._all
        text, total = self._symbols(text)
        for sentence in _sentences(text):
            total += self._sentence(sentence, lexicon, mixed_case=text != text.upper())
        if total:
            exclamations = min(text.count("!"), 4)
            total += math.copysign(exclamations * EXCLAMATION_STEP, total)
        return round(self.normalise(total), 4)

    def normalise(self, total: float) -> float:
        """``total / sqrt(total² + alpha)``, kept within [-1, 1]."""
        return max(-1.0, min(1.0, total / math.sqrt(total * total + self.alpha)))

    def _symbols(self, text: str) -> tuple[str, float]:
        """``text`` without its emoticons, and the sum of its emoticons' and emoji's weights."""
        total = 0.0

        def take(match: re.Match[str]) -> str:
            nonlocal total
            total += SYMBOLS[match.group(0)]
            return " "

        text = _EMOTICON.sub(take, text)
        total += sum(_EMOJI.get(char, 0.0) for char in text)
        return text, total

    def _lookup(self, word: str, lexicon: Lexicon) -> float | None:
        """The weight of ``word``, as it is or by one or two suffix rules (stems of 3 letters or more)."""
        weight = lexicon.words.get((word,))
        if weight is not None:
            return weight
        for ending, replacement in lexicon.suffixes:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                stem = word[: -len(ending)] + replacement
                weight = lexicon.words.get((stem,))
                if weight is not None:
                    return weight
                for ending2, replacement2 in lexicon.suffixes:
                    if stem.endswith(ending2) and len(stem) - len(ending2) >= 3:
                        weight = lexicon.words.get((stem[: -len(ending2)] + replacement2,))
                        if weight is not None:
                            return weight
        return None

    def _found(self, words: Sequence[str], lexicon: Lexicon) -> Iterator[_Found]:
        """The polar words and phrases of a sentence, longest phrase first, left to right."""
        i = 0
        while i < len(words):
            for size in range(min(lexicon.longest_phrase, len(words) - i), 1, -1):
                weight = lexicon.words.get(tuple(words[i : i + size]))
                if weight is not None:
                    yield _Found(i, i + size, weight)
                    i += size
                    break
            else:
                if len(pair := tuple(words[i : i + 2])) == 2 and pair in lexicon.boosters:  # "kind of": no "kind"
                    i += 2
                    continue
                if words[i] != ",":
                    weight = self._lookup(words[i], lexicon)
                    if weight is not None:
                        yield _Found(i, i + 1, weight)
                i += 1

    def _sentence(self, sentence: Sequence[tuple[str, str]], lexicon: Lexicon, *, mixed_case: bool) -> float:
        words = [word for word, _original in sentence]
        found = list(self._found(words, lexicon))
        starts = {item.start for item in found}
        contrast = next((i for i, word in enumerate(words) if word in lexicon.contrasts), None)
        total = 0.0
        for item in found:
            # "super rapide": super boosts rapide rather than counting on its own.
            if item.end - item.start == 1 and (words[item.start],) in lexicon.boosters and item.end in starts:
                continue
            weight = item.weight * self._modifiers(words, item, lexicon)
            original = sentence[item.start][1]
            if mixed_case and len(original) >= 3 and original.isupper():
                weight *= CAPS_FACTOR
            if contrast is not None:
                weight *= CONTRAST_BEFORE if item.start < contrast else CONTRAST_AFTER
            total += weight
        return total

    def _modifiers(self, words: Sequence[str], item: _Found, lexicon: Lexicon) -> float:
        """The factor the words around a polar word apply to it: boosters, negations."""
        factor = 1.0
        negated = False  # a phrase's own negation ("pas mal", "not working") is in its weight
        j = item.start - 1
        while j >= 0 and item.start - j <= 3 and words[j] != ",":
            distance = item.start - j
            pair = tuple(words[j - 1 : j + 1]) if j >= 1 else ()
            if pair in lexicon.boosters:  # "un peu" softens; its "peu" is no negation
                factor *= lexicon.boosters[pair] if distance <= 2 else 1.0
                j -= 2
                continue
            word = words[j]
            if (word,) in lexicon.boosters and distance <= 2:
                factor *= lexicon.boosters[(word,)]
            elif word in lexicon.negations or (
                word in lexicon.ne_negations and any(w in lexicon.ne_words for w in words[max(0, j - 3) : j])
            ):
                negated = True
            j -= 1
        # French "ne … pas" around a verb: "ça ne fonctionne pas", "je ne recommande toujours pas".
        if not negated and lexicon.ne_words:
            before = words[max(0, item.start - 2) : item.start]
            after = words[item.end : item.end + 2]
            if any(w in lexicon.ne_words for w in before) and any(
                w in lexicon.negations or w in lexicon.ne_negations for w in after
            ):
                negated = True
        return factor * NEGATION_SCALAR if negated else factor


# --- The configured analyser --------------------------------------------------------------------

DEFAULT_ANALYSER = "interactions.sentiment.LexiconAnalyser"
#: Paths the default analyser had before; a setting still naming one gets the default.
FORMER_PATHS = frozenset({"kpis.sentiment.LexiconAnalyser"})


@functools.cache
def get_analyser() -> SentimentAnalyser:
    """The analyser named by ``SENTIMENT_ANALYSER``, loaded once (and again when the setting changes
    in tests). Raises ``ImproperlyConfigured`` when the path does not name an analyser."""
    path = getattr(settings, "SENTIMENT_ANALYSER", "") or DEFAULT_ANALYSER
    if path in FORMER_PATHS:
        path = DEFAULT_ANALYSER
    try:
        found = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"SENTIMENT_ANALYSER {path!r} cannot be imported: {error}") from error
    analyser = found() if isinstance(found, type) else found
    if not callable(getattr(analyser, "score", None)):
        raise ImproperlyConfigured(f"SENTIMENT_ANALYSER {path!r} has no score(text, language=None) method.")
    return analyser


@receiver(setting_changed)
def _forget_analyser(*, setting: str, **kwargs: object) -> None:
    if setting == "SENTIMENT_ANALYSER":
        get_analyser.cache_clear()


def sentiment_for(interaction: Interaction) -> float | None:
    """The configured analyser's score of ``interaction``'s notes, ``None`` for blank notes.

    The customer's preferred language is the hint when the customer is loaded already (no query
    is made for it). A score outside [-1, 1] from a custom analyser is clipped.
    """
    text = interaction.notes or ""
    if not text.strip():
        return None
    language = None
    if interaction.customer_id is not None and type(interaction).customer.is_cached(interaction):
        language = getattr(interaction.customer, "language", None) or None
    score = get_analyser().score(text, language)
    if score is None:
        return None
    return max(-1.0, min(1.0, float(score)))


def sentiment_settle(interaction: Interaction, *, supplied: bool, notes_changed: bool) -> None:
    """Decide the sentiment of ``interaction`` before it is saved (in memory, nothing written).

    ``supplied``: the caller gave a score (a number, new for this interaction): it is kept and
    marked as not computed, so that later edits of the notes never overwrite it. Otherwise, when
    ``notes_changed`` and the stored score is none or a computed one, the notes are scored again
    (:func:`sentiment_for`). Blank notes have no computed score.
    """
    if supplied:
        interaction.sentiment_computed = False
        return
    if not notes_changed or (interaction.sentiment is not None and not interaction.sentiment_computed):
        return
    interaction.sentiment = sentiment_for(interaction)
    interaction.sentiment_computed = interaction.sentiment is not None


# --- Backfill -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackfillResult:
    scanned: int
    updated: int


def sentiment_backfill_candidates(*, since: datetime | None = None, rescore: bool = False) -> Q:
    """Interactions the backfill scores: with notes, offered from ``since``, and without a score
    (``rescore``: or with a computed one). A supplied score is never among them."""
    condition = Q(sentiment__isnull=True)
    if rescore:
        condition |= Q(sentiment_computed=True)
    condition &= ~Q(notes="")
    if since is not None:
        condition &= Q(offered_at__gte=since)
    return condition


def sentiment_backfill(
    *,
    since: datetime | None = None,
    rescore: bool = False,
    batch_size: int = 500,
    progress: Callable[[list[int]], Iterable[int]] | None = None,
) -> BackfillResult:
    """Score the stored interactions that have notes but no score (``rescore``: and re-score the
    computed ones, after the analyser changed), offered from ``since``.

    Batches of ``batch_size`` rows, each in its own transaction under a row lock, written with
    ``bulk_update_with_history`` (one history row per changed interaction, change reason
    ``"sentiment backfill"``) with ``updated_at``; a row whose score would not change is not
    written, so a second run writes nothing. ``progress`` wraps the list of candidate ids (a
    progress bar). Returns how many rows were looked at and how many were changed.
    """
    condition = sentiment_backfill_candidates(since=since, rescore=rescore)
    ids = list(Interaction.objects.filter(condition).order_by("pk").values_list("pk", flat=True))
    scanned = updated = 0

    def flush(batch: list[int]) -> int:
        with transaction.atomic():
            rows = (
                Interaction.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(condition, pk__in=batch)
                .order_by("pk")
            )
            now = timezone.now()
            changed = []
            for row in rows:
                score = sentiment_for(row)
                if (row.sentiment, row.sentiment_computed) != (score, score is not None):
                    row.sentiment, row.sentiment_computed, row.updated_at = score, score is not None, now
                    changed.append(row)
            if changed:
                bulk_update_with_history(
                    changed,
                    Interaction,
                    ["sentiment", "sentiment_computed", "updated_at"],
                    batch_size=batch_size,
                    default_change_reason="sentiment backfill",
                )
            return len(changed)

    batch: list[int] = []
    for pk in progress(ids) if progress else ids:
        batch.append(pk)
        scanned += 1
        if len(batch) >= batch_size:
            updated += flush(batch)
            batch = []
    if batch:
        updated += flush(batch)
    return BackfillResult(scanned=scanned, updated=updated)
