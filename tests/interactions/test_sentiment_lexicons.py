"""The analyser's word lists are data files (``interactions/sentiment/lexicons/*.json`` and
``symbols.json``), read once; a center can load its own; the former path of the default analyser
in ``SENTIMENT_ANALYSER`` still names it."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from interactions import sentiment
from interactions.sentiment import (
    ENGLISH,
    FRENCH,
    LEXICON_DIR,
    LEXICONS,
    LexiconAnalyser,
    get_analyser,
    load_lexicon,
)


def test_the_shipped_lexicons_are_the_json_files_folded():
    assert [path.name for path in sorted(LEXICON_DIR.glob("*.json"))] == ["en.json", "fr.json"]
    assert list(LEXICONS) == ["fr", "en"]  # French first: on a word both list, English wins when merged
    assert FRENCH.words[("a", "l", "ecoute")] == 2.5  # "à l'écoute": accents and elision folded
    assert FRENCH.words[("merci", "beaucoup")] == 3.0
    assert ENGLISH.boosters[("kind", "of")] == 0.7
    assert "n" in FRENCH.ne_words and FRENCH.suffixes[0] == ("euses", "eux")
    assert sentiment.SYMBOLS["😡"] == -3.0


def test_a_center_loads_its_own_lexicon(tmp_path):
    path = tmp_path / "de.json"
    path.write_text(
        json.dumps(
            {
                "language": "de",
                "words": [{"weight": 3.0, "entries": ["zufrieden", "vielen Dank"]}],
                "boosters": [{"factor": 1.3, "entries": ["sehr"]}],
                "negations": ["nicht"],
                "stopwords": ["der", "die", "das", "ich", "bin"],
            }
        ),
        encoding="utf-8",
    )
    german = load_lexicon(path)
    analyser = LexiconAnalyser(lexicons={**LEXICONS, german.code: german})

    assert analyser.score("Ich bin sehr zufrieden") == round(analyser.normalise(3.0 * 1.3), 4)
    assert analyser.score("ich bin nicht zufrieden") < 0


def test_a_broken_word_list_is_named(tmp_path):
    missing = tmp_path / "xx.json"
    with pytest.raises(ImproperlyConfigured, match=r"xx\.json"):
        load_lexicon(missing)
    missing.write_text('{"language": "xx"}', encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="malformed"):
        load_lexicon(missing)


def test_the_former_path_of_the_default_analyser_still_names_it(settings):
    settings.SENTIMENT_ANALYSER = "kpis.sentiment.LexiconAnalyser"
    assert isinstance(get_analyser(), LexiconAnalyser)
