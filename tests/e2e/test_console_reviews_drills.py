"""The Reviews, Drills and Runbooks pages in a real browser (Debian's Chromium through Selenium) against the real
gateway and a worker (docs/console.md, "Reviews", "Drills", "Runbooks"): minsu opens the weekly review and its
chart loads as an image; runs an instant drill, which plays on the stack's worker, and reads its scorecard
(response against the Sev0 target "immediate (scored within 1m)", pages, checklist, expectations); is shown why a
live drill is not hers to start; and opens the runbook catalog with what each runbook matches and the drill's
runbook run among the recent runs. Screenshots: test-artifacts/console/reviews-….png."""

import pytest

from testkit.browser import chromium, console_stack

pytestmark = [pytest.mark.own_dev_server, pytest.mark.timeout(400)]
SCENARIO = "game-server-down-sev0"  # 14 minutes of scenario time, played in about 20 s


@pytest.fixture(scope="module")
def gateway(dev_server, tmp_path_factory):
    with console_stack(dev_server, tmp_path_factory.mktemp("console-reviews")) as served:
        yield served


def test_reviews_with_their_chart_an_instant_drill_scorecard_and_the_runbook_catalog(gateway):
    with chromium(gateway.url, "reviews-minsu") as minsu:
        minsu.log_in("minsu")
        minsu.element('nav a[href="/reviews"]').click()
        minsu.wait_text("h1", "Weekly incident review")
        minsu.wait(lambda d: d.execute_script(
            "const i = document.getElementById('review-chart'); return i.complete && i.naturalWidth > 0;"),
            "the review's chart loaded")
        assert "Metrics against targets" in minsu.text("#review-checks")
        assert "Periodic checks" in minsu.text("#review-periodic")
        minsu.shot("weekly review")
        minsu.element('a[data-link="previous"]').click()
        minsu.wait(lambda d: "period=" in d.current_url, "the previous week")
        minsu.choose("#kind", "monthly")
        minsu.element("#form-period button").click()
        minsu.wait_text("h1", "Monthly incident review")

        minsu.element('nav a[href="/drills"]').click()
        card = f'article[data-scenario="{SCENARIO}"]'
        assert "sev0" in minsu.text(f'{card} [data-field="severity"]')
        assert minsu.text(f'[data-refusal="live-{SCENARIO}"]') == \
            "Start live drill: minsu is a responder: training needs commander"
        minsu.shot("drills")
        minsu.press(f"instant-{SCENARIO}")
        minsu.wait(lambda d: "/drills/runs/drill-" in d.current_url, "the drill run's page")
        minsu.wait_text("#card-title", "Scorecard", timeout=120)
        response = minsu.text('#card-response tr[data-measure="ack"]')
        assert "immediate (scored within 1m)" in response
        assert minsu.text("#card-pages") and minsu.text("#card-pages") != "none"
        assert minsu.elements("#card-expectations tbody tr") and minsu.text("#card-checklist")
        minsu.shot("instant drill scorecard")

        minsu.element('nav a[href="/runbooks"]').click()
        book = 'article[data-runbook="payments-rollback-check"]'
        assert minsu.text(f'{book} [data-field="matches"]') == "service is payments; severity is sev1"
        assert minsu.text(f'{book} li[data-step="confirm-rollback"] [data-field="approval"]') == "needs approval"
        assert "Recent runs" in minsu.text("#runbook-runs")
        minsu.shot("runbook catalog")
