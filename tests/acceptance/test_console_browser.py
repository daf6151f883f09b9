"""The web console in a real headless Chromium (Debian's chromium, driven by Playwright through
``executable_path``) against a real contenthubd with the fake creator, tasks submitted by
contenthub-ctl: live refresh, a failed task's page, retry, escaping, CSRF, sign-in."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import browser_page, chromium, chromium_path
from tests.support.cli import Ctl
from tests.support.daemons import prepare
from tests.support.http import http_daemon
from tests.support.receiver import running_receiver

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed (.ci/run installs it)")

TOKEN = "console-browser-test-token"
LIVE_WAIT_MS = 120_000  # the daemon, the fake creator and the page's 2 s refresh on a loaded machine


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as shared:
        yield shared


@pytest.fixture
def ctl(tmp_path: Path) -> Ctl:
    work = tmp_path / "work"
    work.mkdir()
    ctl = Ctl(tmp_path / "data" / "contenthub.db", work)
    ctl.path.parent.mkdir(parents=True)
    # in a thread of its own: the module's browser keeps Playwright's event loop running in this one
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, prepare(ctl.url)).result()
    return ctl


@pytest.fixture
def daemon(ctl: Ctl, tmp_path: Path) -> Iterator[Any]:
    # tasks whose topic contains "wrong-topic" fail at the creator, every time
    with http_daemon(ctl.url, tmp_path, {"latency": "1", "fail_topic": "wrong-topic"},
                     ASYNC_MAX_RETRIES="0") as d:
        yield d


def _submit(ctl: Ctl, topic: str, *extra: str) -> str:
    result = ctl("submit", "-a", "49", "-t", topic, "--max-retries", "0", *extra, "--format", "json")
    assert result.code == 0, result.stderr
    task_id = result.json()["task_id"]  # type: ignore[index]
    assert isinstance(task_id, str)
    return task_id


def test_a_submitted_task_appears_and_completes_on_the_open_overview(browser: Any, ctl: Ctl, daemon: Any) -> None:
    with browser_page(browser, daemon.base_url) as page:
        page.goto(daemon.base_url + "/")
        page.evaluate("window.__notReloaded = true")
        task_id = _submit(ctl, "AI技术发展趋势")
        row = page.locator(f'tr[data-task-id="{task_id}"]')
        row.wait_for(timeout=LIVE_WAIT_MS)
        page.locator(f'tr[data-task-id="{task_id}"] .status-completed').wait_for(timeout=LIVE_WAIT_MS)
        assert page.evaluate("window.__notReloaded") is True  # updated in place, never reloaded
        assert page.locator('.count-completed .count-n').inner_text() == "1"
        # the row links to the task's page, whose times are written in the browser's zone
        row.locator(f'a[href="/tasks/{task_id}"]').click()
        page.wait_for_url(f"**/tasks/{task_id}")
        assert "AI技术发展趋势" in page.locator("h1.topic").inner_text()
        first_time = page.locator("time").first
        assert "UTC" not in first_time.inner_text() and first_time.get_attribute("datetime", timeout=5000)


def test_a_failed_task_shows_its_error_and_timeline_and_retry_requeues_it(browser: Any, ctl: Ctl, daemon: Any) -> None:
    task_id = _submit(ctl, "wrong-topic: supply chains")
    with browser_page(browser, daemon.base_url) as page:
        page.goto(f"{daemon.base_url}/tasks/{task_id}")
        page.locator(".task-head .status-failed").wait_for(timeout=LIVE_WAIT_MS)  # the page updates itself
        assert "FAKE_CREATOR_FAIL" in page.locator("#task-error").inner_text()
        timeline = page.locator("#timeline li")
        assert timeline.count() >= 4
        assert re.search(r"gave up after 1 attempt", page.locator("#timeline").inner_text())
        page.get_by_role("button", name="Retry").click()
        page.wait_for_url(re.compile(r".*notice=retried$"))
        assert "back in the queue" in page.locator(".notice").inner_text()
        events = ctl.rows("SELECT e.from_status, e.to_status, e.actor FROM task_events e"
                          " JOIN content_generation_tasks t ON t.id = e.generation_task_id WHERE t.task_id = ?"
                          " ORDER BY e.id", task_id)
        assert ("failed", "pending", "console") in events  # the retry, by the console
        assert "console" in page.locator("#timeline").inner_text()
        # the daemon runs it again (and the creator fails it again): the open page follows
        page.locator("#timeline", has_text="gave up after 1 attempt").locator("li", has_text="console").wait_for()
        page.locator("#timeline li .status-failed").nth(1).wait_for(timeout=LIVE_WAIT_MS)


def test_an_html_topic_is_shown_as_text_and_never_runs(browser: Any, ctl: Ctl, daemon: Any) -> None:
    topic = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    task_id = _submit(ctl, topic)
    with browser_page(browser, daemon.base_url) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ("/", f"/tasks/{task_id}", "/tasks"):
            page.goto(daemon.base_url + path)
            shown = page.locator(f'tr[data-task-id="{task_id}"] .topic, h1.topic').first
            assert shown.inner_text() == topic
        page.wait_for_timeout(2500)  # one live refresh
        assert page.evaluate("window.__xss") is None and dialogs == []
        assert page.locator("img[src=x]").count() == 0


def test_an_action_without_the_csrf_token_is_refused(browser: Any, ctl: Ctl, daemon: Any) -> None:
    task_id = _submit(ctl, "wrong-topic: csrf")
    with browser_page(browser, daemon.base_url) as page:
        page.goto(f"{daemon.base_url}/tasks/{task_id}")
        page.locator(".task-head .status-failed").wait_for(timeout=LIVE_WAIT_MS)
        status = page.evaluate(
            """async (id) => (await fetch(`/tasks/${id}/retry`, {method: "POST",
                 headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "x=1"})).status""",
            task_id,
        )
        assert status == 403
        page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
        page.evaluate("document.querySelectorAll('[data-live]').forEach(e => e.removeAttribute('data-live'))")
        page.get_by_role("button", name="Retry").click()
        assert "CSRF" in page.locator(".notice").inner_text()
        assert ctl.rows("SELECT status FROM content_generation_tasks WHERE task_id = ?", task_id) == [("failed",)]


def test_with_a_token_pages_redirect_to_login(browser: Any, ctl: Ctl, tmp_path: Path) -> None:
    with http_daemon(ctl.url, tmp_path, CONTENTHUB_API_TOKEN=TOKEN) as daemon, browser_page(browser, daemon.base_url) as page:
        response = page.goto(f"{daemon.base_url}/tasks?status=failed")
        assert response is not None and "/login?next=" in page.url
        page.fill("input[name=token]", "not the token")
        page.get_by_role("button", name="Sign in").click()
        assert "not right" in page.locator(".notice").inner_text()
        page.fill("input[name=token]", TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{daemon.base_url}/tasks?status=failed")
        [cookie] = [c for c in page.context.cookies() if c["name"] == "contenthub_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"] != TOKEN
        page.goto(daemon.base_url + "/")
        assert page.locator("h1").inner_text() == "Queue overview"


def _eventually(check: Callable[[], bool], what: str, within: float = LIVE_WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(0.2)


def test_a_dead_webhook_delivery_shows_and_redeliver_puts_it_back_to_pending(browser: Any, ctl: Ctl, tmp_path: Path) -> None:
    # The receiver answers 500 once; with a retry horizon of a millisecond that first failure is dead.
    with running_receiver(answers=[500]) as receiver, http_daemon(
        ctl.url, tmp_path, {"latency": "1"}, WEBHOOK_ENABLED="true", WEBHOOK_URL=receiver.url,
        CONTENTHUB_WEBHOOK_RETRY_HORIZON="0.001", CONTENTHUB_WEBHOOK_RETRY_BASE="0.001",
        CONTENTHUB_WEBHOOK_EVENTS="task.completed",  # one delivery: the task's (not its article's publication)
    ) as daemon, browser_page(browser, daemon.base_url) as page:
        hold = threading.Event()
        try:
            task_id = _submit(ctl, "webhook 投递")
            _eventually(lambda: ctl.rows("SELECT status FROM webhook_deliveries") == [("dead",)], "a dead delivery")
            receiver.hold = hold  # from now on the receiver answers only when told: a redelivery stays pending
            page.goto(daemon.base_url + "/")
            page.get_by_role("link", name="Webhooks").click()
            page.wait_for_url("**/webhooks")
            row = page.locator("tr.row-delivery-dead")
            assert row.count() == 1 and "dead" in row.inner_text() and "500" in row.inner_text()
            assert row.locator(f'a[href="/tasks/{task_id}"]').count() == 1
            assert page.locator(".count-delivery-dead .count-n").inner_text() == "1"
            row.get_by_role("button", name="Redeliver").click()
            page.wait_for_url(re.compile(r".*notice=redelivered&done=1$"))
            assert "Back to pending: 1." in page.locator(".notice").inner_text()
            assert page.locator("tr.row-delivery-dead").count() == 0
            assert "pending" in page.locator("tr.row-delivery-pending").inner_text()
            assert ctl.rows("SELECT status FROM webhook_deliveries") == [("pending",)]
            receiver.wait_for(2, timeout=LIVE_WAIT_MS / 1000)  # the daemon sends it again
            hold.set()
            _eventually(lambda: ctl.rows("SELECT status, attempts FROM webhook_deliveries") == [("delivered", 2)],
                        "the redelivery delivered")
            page.reload()
            assert page.locator("tr.row-delivery-delivered").count() == 1
        finally:
            hold.set()  # no request of the daemon's waits on the receiver after the test
