"""Quality management in a real browser: a QA evaluator opens a recorded call (its recording paused
for a card payment, marked on the player's track), plays it, scores it with a critical criterion
failed and a criterion not applicable, and publishes it; the agent, on the desktop, gets the notice,
reads the evaluation and disputes it; a supervisor overturns it with a new scoring.

Served by uvicorn in a thread (``asgi_live_server``): HTTP, static files (the recording streamed with
HTTP Range) and the agent's WebSocket.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from contactcenter.quality.models import Dispute, Evaluation, EvaluationState
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory
from tests.browser.test_desktop_browser import SCREENSHOTS, live, log_in
from tests.desk.quality_fixtures import criteria_of, published_scorecard, quality_user, recorded_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def qm(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    team = TeamFactory(name="Front office")
    queue = QueueFactory(name="Billing")
    agent = AgentProfileFactory(
        user__username="agent1",
        user__first_name="Alice",
        user__last_name="Roux",
        team=team,
        queues=[queue],
        status=Status.AVAILABLE,
    ).user
    AgentProfileFactory(user__username="super1", user__first_name="Sam", role="supervisor", team=team, queues=[queue])
    manager = AgentProfileFactory(user__username="manager1", role="manager", team=None).user
    quality_user("qa1", team, user__first_name="Quentin", user__last_name="Audit")
    version = published_scorecard(name="Billing calls", by=manager, queue=queue)
    call = recorded_call(agent=agent, queue=queue, by=manager, call_id="qm-browser-1")
    return {"call": call, "version": version, "criteria": criteria_of(version)}


def test_an_evaluator_scores_a_recorded_call_the_agent_disputes_another_evaluator_overturns(
    chromium, page, asgi_live_server, qm
):
    server, call, criteria = asgi_live_server, qm["call"], qm["criteria"]
    page.set_viewport_size({"width": 1600, "height": 1100})

    # The agent is on the desktop, live.
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    live(page)

    # The evaluator, in another tab (the agent's socket stays open), finds the call and evaluates it.
    evaluator = chromium.new_page()
    evaluator.set_viewport_size({"width": 1600, "height": 1100})
    chromium.clear_cookies()  # the tabs share their cookies: the agent's socket is open already
    log_in(evaluator, server, "qa1")
    evaluator.wait_for_url(f"{server.url}/desk/quality/")
    evaluator.goto(f"{server.url}/desk/quality/search/?agent=agent1")
    evaluator.locator("#quality-results a").first.click()
    expect(evaluator.locator(".quality-review audio")).to_be_attached()
    # The span the recording was paused (card payment) is marked on the track, at 0:03–0:05.
    expect(evaluator.locator(".recording-track .recording-paused")).to_have_count(1)
    expect(evaluator.locator(".recording-pauses")).to_contain_text("0:03–0:05")
    evaluator.locator("#quality-evaluate").click()
    evaluator.wait_for_url(f"{server.url}/desk/quality/evaluations/*/")

    # The recording plays, streamed by the recordings endpoint (HTTP Range).
    audio = evaluator.locator(".quality-review audio")
    audio.evaluate("element => { element.muted = true; return element.play(); }")
    evaluator.wait_for_function("document.querySelector('.quality-review audio').currentTime > 0.5", timeout=10_000)
    assert audio.evaluate("element => element.error") is None
    audio.evaluate("element => element.pause()")

    # Scored: identity (critical) not checked, empathy not applicable; the preview says 0 %.
    form = evaluator.locator("#scorecard-form")
    form.locator(f"input[name=criterion-{criteria['identity'].pk}][value='0']").check()
    form.locator(f"input[name=criterion-{criteria['greeting'].pk}][value='1']").check()
    form.locator(f"input[name=criterion-{criteria['empathy'].pk}][value=na]").check()
    expect(evaluator.locator("#score-preview")).to_have_text("0 %")
    form.locator(f"input[name=criterion-{criteria['upsell'].pk}][value='1']").check()
    form.locator(f"textarea[name=comment-{criteria['identity'].pk}]").fill("No identity check before the address.")
    form.locator("textarea[name=comment]").fill("A friendly call; mind the identity check.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    evaluator.screenshot(path=str(SCREENSHOTS / "quality-evaluation.png"), full_page=True)
    evaluator.locator("#evaluation-publish").click()
    expect(evaluator.locator("#evaluation-score")).to_contain_text("0 %")
    evaluation = Evaluation.objects.get(interaction=call)
    assert (evaluation.state, evaluation.score, evaluation.critical_failed) == (
        EvaluationState.PUBLISHED,
        Decimal("0"),
        True,
    )
    evaluator.close()

    # The agent's desktop shows the notice, live.
    notice = page.locator("#quality-notice")
    expect(notice).to_be_visible(timeout=10_000)
    expect(notice).to_contain_text("0 %")
    href = notice.locator("a").get_attribute("href")
    assert href == f"/desk/quality/evaluations/{evaluation.pk}/"

    # The agent (signed in again: the tabs share their cookies) reads it and disputes it.
    chromium.clear_cookies()
    log_in(page, server, "agent1")
    page.wait_for_url(f"{server.url}/desk/")
    page.goto(f"{server.url}{href}")
    expect(page.locator("#evaluation")).to_contain_text("No identity check before the address.")
    expect(page.locator("#evaluation")).to_contain_text("A friendly call; mind the identity check.")
    page.fill("#dispute-reason", "I checked the date of birth at 0:02.")
    page.locator("#evaluation-dispute").click()
    expect(page.locator("#evaluation")).to_contain_text("Waiting for another evaluator's decision.")

    # Another evaluator (the team's supervisor) overturns it with a new scoring.
    chromium.clear_cookies()
    log_in(page, server, "super1")
    page.goto(f"{server.url}/desk/quality/disputes/")
    page.locator("#quality-disputes a").first.click()
    expect(page.locator("#dispute-reason-shown")).to_contain_text("I checked the date of birth at 0:02.")
    page.check("#dispute-rescore")
    expect(page.locator("[data-rescore-fields]")).to_be_visible()
    expect(page.locator("input[name=decision][value=overturned]")).to_be_checked()
    form = page.locator("#scorecard-form")
    form.locator(f"input[name=criterion-{criteria['identity'].pk}][value='1']").check()
    form.locator(f"input[name=criterion-{criteria['greeting'].pk}][value='1']").check()
    form.locator(f"input[name=criterion-{criteria['empathy'].pk}][value=na]").check()
    form.locator(f"input[name=criterion-{criteria['upsell'].pk}][value='1']").check()
    expect(page.locator("#score-preview")).to_have_text("100 %")
    form.locator("textarea[name=comment]").fill("Identity checked at 0:02: the date of birth.")
    page.locator("#dispute-decide").click()
    expect(page.locator("#dispute-decision")).to_contain_text("Overturned")

    dispute = Dispute.objects.get(evaluation=evaluation)
    evaluation.refresh_from_db()
    assert dispute.decision == "overturned"
    assert (dispute.score_before, dispute.score_after) == (Decimal("0"), Decimal("100"))
    assert (evaluation.state, evaluation.score) == (EvaluationState.FINAL, Decimal("100"))
