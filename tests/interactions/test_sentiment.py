"""Issue #8, SPEC §3–4: every chat, email or notes text gets a sentiment score in [-1, 1] when none is
supplied; a supplied one is kept for good; the analyser can be swapped; old rows can be backfilled."""

from __future__ import annotations

import math
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from interactions.models import Interaction
from interactions.sentiment import (
    ENGLISH,
    FRENCH,
    SYMBOLS,
    LexiconAnalyser,
    SentimentAnalyser,
    get_analyser,
    guess_language,
    sentiment_backfill,
)
from interactions.services import interaction_create, interaction_update
from tests.customers.factories import CustomerFactory
from tests.hypothesis_profiles import examples
from tests.interactions.factories import T0, InteractionFactory

analyser = LexiconAnalyser()
score = analyser.score


def vader(total: float) -> float:
    """The normalisation of the module docstring, by hand: x / sqrt(x² + 15)."""
    return round(total / math.sqrt(total * total + 15), 4)


class TestTheLexiconAnalyser:
    def test_the_issue_s_ordering(self):
        happy, so_so, angry = (
            score("très satisfait, merci beaucoup"),
            score("ça va"),
            score("je suis furieux, c'est inadmissible"),
        )
        assert happy > so_so > angry
        assert happy > 0.5 and so_so == 0.0 and angry < -0.5

    def test_weights_add_up_then_are_normalised_like_vader(self):
        # satisfait 3.0; très ×1.3; "merci beaucoup" 3.0 as one phrase; pas: ×−0.74.
        assert score("satisfait") == vader(3.0) == 0.6124
        assert score("très satisfait, merci beaucoup") == vader(3.0 * 1.3 + 3.0)
        assert score("pas content") == vader(2.5 * -0.74)
        assert score("furieux et déçu") == vader(-3.0 - 2.5)

    @pytest.mark.parametrize(
        "text",
        [
            "Le conseiller était super efficace et très aimable",
            "Cliente ravie de la rapidité de la prise en charge",
            "Problème réglé rapidement, merci !",
            "pas mal du tout",
            "aucun problème",
            "The agent was really helpful :)",
            "Great service, thank you so much",
            "not bad",
            "no problem at all",
            "Issue fixed on the first call, very pleased",
        ],
    )
    def test_positive_texts(self, text):
        assert score(text) > 0.05

    @pytest.mark.parametrize(
        "text",
        [
            "pas content",
            "jamais satisfait",
            "je ne suis plus satisfait",
            "ça ne fonctionne toujours pas",
            "je ne recommande pas",
            "Client mécontent, facture erronée, remboursement promis.",
            "Produit non disponible, très déçu",
            "peu aimable",
            "C'est n'importe quoi 😡",
            "not happy",
            "I don't recommend this company",
            "Terrible service, I waited an hour!!!",
            "kind of slow",
            "It is still not working and nobody called me back",
        ],
    )
    def test_negative_texts(self, text):
        assert score(text) < -0.05

    @pytest.mark.parametrize(
        "text",
        [
            "ça va",
            "Appel pour changement d'adresse",
            "Call about invoice 42",
            "Bonne journée, cordialement",
            "Best regards, John",
            "see https://example.com/a:/b",
        ],
    )
    def test_texts_without_polarity_are_neutral_zero(self, text):
        assert score(text) == 0.0

    @pytest.mark.parametrize("text", ["", "   ", "\n\t"])
    def test_blank_text_has_no_score(self, text):
        assert score(text) is None

    def test_not_bad_is_not_negative_but_less_than_good(self):
        assert 0 < score("not bad") < score("good")
        assert score("pas mal") > 0 and score("pas terrible") < 0

    def test_intensifiers_and_diminishers(self):
        assert score("vraiment déçu") < score("déçu") < score("un peu déçu") < 0
        assert score("very happy") > score("happy") > score("a bit happy") > 0
        assert score("extremely disappointed") < score("slightly disappointed") < 0

    def test_accents_case_and_inflections_do_not_matter(self):
        assert score("tres decu") == score("très déçu") == score("Très Déçu") < 0
        assert score("elles sont satisfaites") == score("elle est satisfaite") > 0
        assert score("furieuse") == score("furieux") < 0
        assert score("rapidement") > 0 and score("heureusement") > 0
        assert score("annoyed") < 0 and score("happily") > 0

    def test_exclamations_capitals_emoticons_and_emoji(self):
        assert score("super !!!") > score("super !") > score("super") > 0
        assert score("HORRIBLE service") < score("horrible service") < 0
        assert score("merci :)") > score("merci") > 0
        assert score("😡") < 0 < score("👍")
        assert score(":(") < 0 < score(":-D")
        assert score("ok 😭😭") < 0
        assert score("merci:)") == score(":)merci") == score("merci :)")  # glued to a word, still a smile
        assert score("https://example.com/x") == score("fixD") == 0.0  # no ":/" in a URL, no "xD" in a word

    def test_but_weighs_what_follows(self):
        assert score("great but slow") < 0 < score("slow but great")
        assert score("rapide mais décevant") < 0 < score("décevant mais rapide")

    @hypothesis_settings(max_examples=examples(300), deadline=None)
    @given(
        st.one_of(
            st.text(),
            st.lists(
                st.sampled_from(
                    [" ".join(key) for key in [*FRENCH.words, *ENGLISH.words, *FRENCH.boosters, *ENGLISH.boosters]]
                    + [*SYMBOLS, "pas", "not", "ne", "!", "!!!!!", ",", ".", "mais", "but", "TRÈS", "HORRIBLE"]
                ),
                max_size=60,
            ).map(" ".join),
        )
    )
    def test_a_score_is_always_within_minus_one_and_one(self, text):
        value = score(text)
        assert value is None or -1.0 <= value <= 1.0
        assert (value is None) == (not text.strip())


class TestLanguageGuess:
    @pytest.mark.parametrize(
        ("text", "hint", "expected"),
        [
            ("Je suis très content du service", None, "fr"),
            ("La cliente n'a pas reçu sa commande", None, "fr"),
            ("The agent was very helpful", None, "en"),
            ("I have not received my order", "fr", "en"),  # the text wins over the customer's language
            ("12345", "fr", "fr"),  # no clue in the text: the hint
            ("12345", "fr-CA", "fr"),
            ("12345", "de", None),  # a language without a lexicon
            ("12345", None, None),
        ],
    )
    def test_the_text_first_then_the_hint(self, text, hint, expected):
        assert guess_language(text, hint) == expected

    def test_the_language_picks_the_lexicon(self):
        # "content" is happy in French, a noun in English.
        assert score("content", "fr") > 0
        assert score("the content of the email", "en") == 0.0


# --- Storing it --------------------------------------------------------------------------------


class RecordingAnalyser:
    """A stand-in for a center's own model: a fixed score, and what it was asked."""

    calls: list[tuple[str, str | None]] = []

    def score(self, text: str, language: str | None = None) -> float | None:
        RecordingAnalyser.calls.append((text, language))
        return 0.25


class OutOfRangeAnalyser:
    def score(self, text: str, language: str | None = None) -> float | None:
        return 7.0


@pytest.fixture
def recording(settings):
    RecordingAnalyser.calls = []
    settings.SENTIMENT_ANALYSER = "tests.interactions.test_sentiment.RecordingAnalyser"
    return RecordingAnalyser.calls


def create(**fields) -> Interaction:
    base = {"channel": "chat", "direction": "inbound", "offered_at": T0}
    return interaction_create(**{**base, **fields})


@pytest.mark.django_db
class TestStoring:
    def test_text_without_a_score_gets_one_computed(self):
        chat = create(notes="Client très mécontent du retard")
        stored = Interaction.objects.get(pk=chat.pk)
        assert stored.sentiment == score("Client très mécontent du retard") < 0
        assert stored.sentiment_computed is True

    def test_no_text_no_score(self):
        call = create(channel="voice", notes="")
        assert (call.sentiment, call.sentiment_computed) == (None, False)

    def test_a_supplied_score_is_kept_and_never_overwritten(self):
        chat = create(notes="furieux", sentiment=0.9)
        assert (chat.sentiment, chat.sentiment_computed) == (0.9, False)
        chat = interaction_update(interaction=chat, notes="toujours furieux, inadmissible")
        assert (chat.sentiment, chat.sentiment_computed) == (0.9, False)

    def test_new_notes_are_scored_again_when_the_score_was_computed(self):
        chat = create(notes="Très satisfaite")
        assert chat.sentiment > 0
        chat = interaction_update(interaction=chat, notes="Finalement très déçue")
        assert (chat.sentiment, chat.sentiment_computed) == (score("Finalement très déçue"), True)
        assert chat.sentiment < 0
        chat = interaction_update(interaction=chat, notes="")
        assert (chat.sentiment, chat.sentiment_computed) == (None, False)
        chat = interaction_update(interaction=chat, notes="merci")
        assert chat.sentiment > 0 and chat.sentiment_computed

    def test_a_score_supplied_later_wins_over_the_computed_one(self):
        chat = create(notes="Très satisfaite")
        chat = interaction_update(interaction=chat, sentiment=-0.2)
        assert (chat.sentiment, chat.sentiment_computed) == (-0.2, False)
        chat = interaction_update(interaction=chat, notes="Très satisfaite, merci beaucoup")
        assert chat.sentiment == -0.2

    def test_sending_the_stored_score_back_is_no_new_score(self):
        # A client that PUTs back what it read, with new notes: the score follows the notes.
        chat = create(notes="Très satisfaite")
        chat = interaction_update(interaction=chat, sentiment=chat.sentiment, notes="Très déçue")
        assert (chat.sentiment, chat.sentiment_computed) == (score("Très déçue"), True)

    def test_clearing_the_score_hands_it_back_to_the_analyser(self):
        chat = create(notes="furieux", sentiment=0.9)
        chat = interaction_update(interaction=chat, sentiment=None)
        assert (chat.sentiment, chat.sentiment_computed) == (score("furieux"), True)

    def test_an_unrelated_update_does_not_score_again(self, recording):
        chat = create(notes="Bonjour")
        assert recording == [("Bonjour", None)]
        interaction_update(interaction=chat, resolved=True, notes="Bonjour")
        assert len(recording) == 1

    def test_the_customer_s_language_is_the_hint_and_no_query_is_made_for_it(self, recording):
        customer = CustomerFactory(language="fr")
        create(customer=customer, notes="ok")
        assert recording[-1] == ("ok", "fr")
        chat = Interaction.objects.get()  # its customer not loaded: no hint rather than a query
        with CaptureQueriesContext(connection) as notes_changed:
            interaction_update(interaction=chat, notes="ok ok")
        with CaptureQueriesContext(connection) as other_change:
            interaction_update(interaction=chat, resolved=True)
        assert recording[-1] == ("ok ok", None)
        assert len(notes_changed) == len(other_change)

    def test_the_setting_swaps_the_analyser(self, recording, settings):
        assert isinstance(get_analyser(), RecordingAnalyser)
        assert create(notes="horrible").sentiment == 0.25
        settings.SENTIMENT_ANALYSER = "tests.interactions.test_sentiment.OutOfRangeAnalyser"
        assert create(notes="horrible").sentiment == 1.0  # clipped to the range
        settings.SENTIMENT_ANALYSER = "tests.interactions.test_sentiment.NoSuchAnalyser"
        with pytest.raises(ImproperlyConfigured, match="SENTIMENT_ANALYSER"):
            get_analyser()

    def test_the_default_is_the_lexicon_analyser(self):
        assert isinstance(get_analyser(), LexiconAnalyser)
        assert isinstance(get_analyser(), SentimentAnalyser)
        assert get_analyser() is get_analyser()  # loaded once

    def test_through_the_api(self, org, api_client_for):
        client = api_client_for(org.agent_a)
        body = {"channel": "email", "direction": "inbound", "offered_at": "2026-01-05T09:00:00Z"}
        computed = client.post(reverse("interaction-list"), {**body, "notes": "Très déçu"}, format="json")
        supplied = client.post(
            reverse("interaction-list"), {**body, "notes": "Très déçu", "sentiment": 0.4}, format="json"
        )
        assert computed.status_code == supplied.status_code == 201
        assert computed.json()["sentiment"] == score("Très déçu") < 0
        assert supplied.json()["sentiment"] == 0.4


# --- Backfill ----------------------------------------------------------------------------------


def backfill(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sentiment_backfill", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
class TestBackfill:
    @pytest.fixture
    def rows(self):
        # Stored without the services (an import, older data): no score computed.
        return {
            "unscored": InteractionFactory(notes="Client furieux"),
            "supplied": InteractionFactory(notes="Client furieux", sentiment=0.8),
            "stale": InteractionFactory(notes="Client ravi", sentiment=-0.5, sentiment_computed=True),
            "silent": InteractionFactory(notes=""),
            "old": InteractionFactory(notes="merci", offered_at=T0 - timedelta(days=30)),
        }

    def state(self, row):
        row.refresh_from_db()
        return row.sentiment, row.sentiment_computed

    def test_scores_rows_without_a_score_once(self, rows):
        out, err = backfill()
        assert "2 interactions scored, of 2 looked at." in out
        assert "Interactions" in err and "2/2" in err  # the progress bar
        assert self.state(rows["unscored"]) == (score("Client furieux"), True)
        assert self.state(rows["old"]) == (score("merci"), True)
        assert self.state(rows["supplied"]) == (0.8, False)
        assert self.state(rows["stale"]) == (-0.5, True)  # computed before: only --all re-scores it
        assert self.state(rows["silent"]) == (None, False)
        history = rows["unscored"].history.first()
        assert (history.sentiment, history.history_change_reason) == (score("Client furieux"), "sentiment backfill")

        out, _err = backfill()
        assert "0 interactions scored, of 0 looked at." in out
        assert rows["unscored"].history.count() == 2  # created, backfilled: nothing the second time

    def test_all_re_scores_computed_scores_but_never_supplied_ones(self, rows):
        out, _err = backfill("--all")
        assert "3 interactions scored, of 3 looked at." in out
        assert self.state(rows["stale"]) == (score("Client ravi"), True)
        assert self.state(rows["supplied"]) == (0.8, False)
        out, _err = backfill("--all")
        assert "0 interactions scored, of 3 looked at." in out

    def test_since_keeps_older_interactions_out(self, rows, settings):
        settings.TIME_ZONE = "Europe/Paris"
        out, _err = backfill("--since", f"{T0:%Y-%m-%d}", "--batch-size", "1")
        assert "1 interaction scored, of 1 looked at." in out
        assert self.state(rows["old"]) == (None, False)

    @pytest.mark.parametrize(
        ("args", "message"), [(["--since", "2026-13-01"], "--since"), (["--batch-size", "0"], "at least 1")]
    )
    def test_bad_arguments_are_refused(self, args, message):
        with pytest.raises(CommandError, match=message):
            backfill(*args)

    def test_its_queries_grow_with_the_batches_not_the_rows(self, django_assert_num_queries):
        InteractionFactory.create_batch(30, notes="très bien", customer=None, queue=None)
        # The ids, then per batch: savepoint, the locked rows, one update, one insert of history, release.
        with django_assert_num_queries(1 + 5):
            result = sentiment_backfill(batch_size=100)
        assert (result.scanned, result.updated) == (30, 30)
        InteractionFactory.create_batch(30, notes="très mal", customer=None, queue=None)
        with django_assert_num_queries(1 + 3 * 5):
            result = sentiment_backfill(batch_size=10)
        assert (result.scanned, result.updated) == (30, 30)
