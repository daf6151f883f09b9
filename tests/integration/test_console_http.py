"""The web console over real HTTP on loopback (uvicorn, httpx), on a real database written by
contenthub-ctl's services: pages, language, escaping, CSRF, sign-in, actions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from importlib import resources

import httpx
import pytest

from contenthub_async.clock import SystemClock
from contenthub_async.domain.states import TaskStatus
from contenthub_async.domain.submission import NewTask
from contenthub_async.services import job_commands, task_commands, task_queries
from contenthub_async.store import accounts as account_store
from contenthub_async.store.database import Database
from tests.support.console import console_server, csrf_of
from tests.support.databases import open_database
from tests.support.task_states import place_task

S = TaskStatus
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
TOKEN = "s3cret-token-for-tests"


@pytest.fixture
async def seeded(db_url: str) -> AsyncIterator[dict[str, str]]:
    """An account, a failed task whose topic is HTML, a pending task, a job."""
    clock = SystemClock()
    async with open_database(db_url) as db:
        async with db.write() as conn:
            await account_store.insert_account(conn, name="科技前沿", now=clock.now(), account_id=49)
            failed = await place_task(conn, account_id=49, status=S.FAILED, created=clock.now() - timedelta(minutes=5),
                                      finished=clock.now() - timedelta(minutes=1), topic=XSS,
                                      error="创作失败: <b>rate limited</b>")
        [pending] = await task_commands.submit_tasks(db, [NewTask(account_id=49, topic="AI技术发展")], clock=clock,
                                                     actor="cli")
        job = await job_commands.create_job(db, name="nightly-cleanup", job_type="cleanup", cron_expr="0 3 * * *",
                                            timezone="UTC", params={"days": 30}, clock=clock)
        yield {"failed": failed.task_id, "pending": pending, "job": str(job.id), "url": db_url}


@pytest.fixture
def console(seeded: dict[str, str]) -> Iterator[str]:
    with console_server(seeded["url"]) as base:
        yield base


async def _status(db_url: str, task_id: str) -> str:
    db = Database.open(db_url)
    try:
        detail = await task_queries.task_detail(db, task_id)
        assert detail is not None
        return detail.task.status.value
    finally:
        await db.close()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_pages_answer_in_english_and_chinese(console: str, seeded: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        overview = await client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
        assert overview.status_code == 200
        assert "Queue overview" in overview.text and 'lang="en"' in overview.text
        assert f'href="/tasks/{seeded["pending"]}"' in overview.text  # the recent tasks link to their pages
        assert 'data-live="/fragments/overview"' in overview.text
        zh = await client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
        assert "队列概览" in zh.text and "失败" in zh.text and 'lang="zh-CN"' in zh.text
        prefers_en = await client.get("/", headers={"Accept-Language": "fr, en;q=0.8, zh;q=0.5"})
        assert "Queue overview" in prefers_en.text
        for path in ("/tasks", f"/tasks/{seeded['failed']}", "/scheduler", "/fragments/overview",
                     f"/fragments/tasks/{seeded['failed']}", "/login"):
            response = await client.get(path, headers={"Accept-Language": "zh"})
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
            assert "default-src 'none'" in response.headers["content-security-policy"]
        # The timeline's stored notes read in the page's language, like contenthub-ctl status.
        pending_zh = await client.get(f"/tasks/{seeded['pending']}", headers={"Accept-Language": "zh"})
        assert 'class="event-msg wrap">已提交<' in pending_zh.text
        pending_en = await client.get(f"/tasks/{seeded['pending']}", headers={"Accept-Language": "en"})
        assert 'class="event-msg wrap">submitted<' in pending_en.text
        missing = await client.get("/tasks/task-000000000000")
        assert missing.status_code == 404 and "task-000000000000" in missing.text
        scheduler = await client.get("/scheduler")
        assert "nightly-cleanup" in scheduler.text and "0 3 * * *" in scheduler.text


async def test_generated_text_is_escaped_everywhere(console: str, seeded: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        for path in ("/", "/tasks", f"/tasks/{seeded['failed']}", f"/tasks?q={seeded['failed']}"):
            html = (await client.get(path)).text
            assert "<script>alert(1)" not in html and "<img src=x" not in html, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html, path
        task_page = (await client.get(f"/tasks/{seeded['failed']}")).text
        assert "创作失败: &lt;b&gt;rate limited&lt;/b&gt;" in task_page
        assert "<script" not in task_page.replace('<script src="/static/console.js" defer></script>', "")


async def test_assets_come_from_the_package_and_nothing_from_another_host(console: str) -> None:
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        html = (await client.get("/")).text
        for asset, kind in (("/static/console.css", "text/css"), ("/static/console.js", "text/javascript"),
                            ("/static/favicon.svg", "image/svg+xml")):
            response = await client.get(asset)
            assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
            assert asset in html
        assert (await client.get("/static/../routes.py")).status_code == 404
    package = resources.files("contenthub_async.http.console")
    for folder in ("templates", "static"):
        for entry in package.joinpath(folder).iterdir():
            assert not re.search(r"(src|href)=\"(https?:)?//", entry.read_text("utf-8")), entry.name
            assert "@import" not in entry.read_text("utf-8") and "url(http" not in entry.read_text("utf-8")


async def test_retry_and_cancel_need_post_and_the_csrf_token(console: str, seeded: dict[str, str]) -> None:
    failed = seeded["failed"]
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        page = await client.get(f"/tasks/{failed}")
        token = csrf_of(page.text)
        assert client.cookies.get("contenthub_csrf") == token
        assert "httponly" in page.headers["set-cookie"].lower() and "samesite=strict" in page.headers["set-cookie"].lower()

        assert (await client.get(f"/tasks/{failed}/retry")).status_code == 405  # no action by GET
        refused = await client.post(f"/tasks/{failed}/retry", data={})
        assert refused.status_code == 403 and "CSRF" in refused.text
        wrong = await client.post(f"/tasks/{failed}/retry", data={"csrf": "x" * 43})
        assert wrong.status_code == 403
        assert await _status(seeded["url"], failed) == "failed"

        done = await client.post(f"/tasks/{failed}/retry", data={"csrf": token})
        assert done.status_code == 303 and done.headers["location"] == f"/tasks/{failed}?notice=retried"
        assert await _status(seeded["url"], failed) == "pending"
        after = await client.get(done.headers["location"])
        assert "back in the queue" in after.text
        again = await client.post(f"/tasks/{failed}/retry", data={"csrf": token})
        assert again.headers["location"].endswith("notice=refused")  # pending cannot be retried

        cancelled = await client.post(f"/tasks/{failed}/cancel", data={"csrf": token})
        assert cancelled.headers["location"].endswith("notice=cancelled")
        assert await _status(seeded["url"], failed) == "cancelled"

    async with httpx.AsyncClient(base_url=console, timeout=120) as stranger:  # another site's form: no cookie, no token
        response = await stranger.post(f"/tasks/{failed}/retry", data={"csrf": token})
        assert response.status_code == 403
    assert await _status(seeded["url"], failed) == "cancelled"


async def test_bulk_cancel_and_retry(console: str, seeded: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        token = csrf_of((await client.get("/tasks")).text)
        ids = [seeded["failed"], seeded["pending"]]
        refused = await client.post("/tasks/bulk", data={"action": "cancel", "task_id": ids})
        assert refused.status_code == 403
        response = await client.post("/tasks/bulk", data={"csrf": token, "action": "cancel", "task_id": ids,
                                                          "back": "/tasks?status=pending"})
        assert response.status_code == 303
        assert response.headers["location"] == "/tasks?status=pending&notice=bulk&done=1&refused=1"
        assert await _status(seeded["url"], seeded["pending"]) == "cancelled"
        response = await client.post("/tasks/bulk", data={"csrf": token, "action": "retry", "task_id": ids,
                                                          "back": "https://evil.example/"})
        assert response.headers["location"] == "/tasks?notice=bulk&done=2&refused=0"
        assert {await _status(seeded["url"], i) for i in ids} == {"pending"}
        page = await client.get(response.headers["location"])
        assert "Done for 2 task(s); refused for 0" in page.text


async def test_scheduler_trigger_pause_resume(console: str, seeded: dict[str, str]) -> None:
    job = seeded["job"]
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        token = csrf_of((await client.get("/scheduler")).text)
        assert (await client.post(f"/scheduler/{job}/pause", data={})).status_code == 403
        for action, notice in (("trigger", "triggered"), ("pause", "paused"), ("resume", "resumed")):
            response = await client.post(f"/scheduler/{job}/{action}", data={"csrf": token})
            assert response.headers["location"] == f"/scheduler?notice={notice}", action
        assert (await client.post("/scheduler/999/pause", data={"csrf": token})).headers["location"].endswith("not_found")
        page = (await client.get("/scheduler")).text
        assert "manual" in page and "active" in page
    db = Database.open(seeded["url"])
    try:
        from contenthub_async.services.console_queries import scheduler_view

        view = await scheduler_view(db)
        assert view.jobs[0].is_active and [r.trigger for r in view.runs] == ["manual"]
    finally:
        await db.close()


async def test_filters_and_paging_links(console: str, seeded: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        failed_only = await client.get("/tasks", params={"status": "failed"})
        assert seeded["failed"] in failed_only.text and seeded["pending"] not in failed_only.text
        by_text = await client.get("/tasks", params={"q": "ai技术"})
        assert seeded["pending"] in by_text.text and seeded["failed"] not in by_text.text
        bad = await client.get("/tasks", params={"status": "nonsense", "account": "x"})
        assert bad.status_code == 200 and "not understood" in bad.text


async def test_with_a_token_pages_need_sign_in(seeded: dict[str, str]) -> None:
    with console_server(seeded["url"], token=TOKEN) as base:
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            for path in ("/", "/tasks?status=failed", f"/tasks/{seeded['failed']}", "/scheduler", "/fragments/overview"):
                response = await client.get(path)
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/login?next=")
            assert (await client.post(f"/tasks/{seeded['failed']}/retry", data={})).status_code == 401
            login = await client.get("/login?next=/tasks%3Fstatus%3Dfailed")
            token = csrf_of(login.text)
            wrong = await client.post("/login", data={"csrf": token, "token": "nope", "next": "/tasks?status=failed"})
            assert wrong.status_code == 401 and "contenthub_session" not in wrong.headers.get("set-cookie", "")
            assert (await client.post("/login", data={"token": TOKEN, "next": "/"})).status_code == 403  # no CSRF
            ok = await client.post("/login", data={"csrf": token, "token": TOKEN, "next": "/tasks?status=failed"})
            assert ok.status_code == 303 and ok.headers["location"] == "/tasks?status=failed"
            cookie = ok.headers["set-cookie"]
            assert "contenthub_session=" in cookie and TOKEN not in cookie
            assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
            assert (await client.get("/")).status_code == 200
            offsite = await client.post("/login", data={"csrf": token, "token": TOKEN, "next": "//evil.example/"})
            assert offsite.headers["location"] == "/"
            signed_out = await client.post("/logout", data={"csrf": token})
            assert signed_out.status_code == 303
            assert (await client.get("/")).status_code == 303
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as api_client:
            assert (await api_client.get("/")).status_code == 200
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": "Bearer wrong"}) as bad_client:
            assert (await bad_client.get("/")).status_code == 303


async def test_a_large_form_is_refused(console: str, seeded: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        token = csrf_of((await client.get("/tasks")).text)
        response = await client.post("/tasks/bulk", data={"csrf": token, "action": "retry", "task_id": ["x" * 100] * 1000})
        assert response.status_code == 413


async def _task_with_article(db_url: str, markdown: str) -> tuple[str, int]:
    """A completed task of account 49 whose article awaits review: (task id, content id)."""
    from sqlalchemy import update

    from contenthub_async.store import contents as content_store
    from contenthub_async.store.tables import content_generation_tasks

    clock = SystemClock()
    async with open_database(db_url) as db:
        async with db.write() as conn:
            task = await place_task(conn, account_id=49, status=S.COMPLETED, created=clock.now() - timedelta(minutes=3),
                                    finished=clock.now(), topic="文章")
            content_id = await content_store.insert_content(conn, content_store.NewContent(
                account_id=49, generation_task_id=task.id, title="文章", body_markdown=markdown, summary=None,
                images=[], word_count=120, category=None, tags=None, approved=False), now=clock.now())
            await conn.execute(update(content_generation_tasks).where(content_generation_tasks.c.id == task.id)
                               .values(content_id=content_id))
    return task.task_id, content_id


async def test_article_is_sanitized_and_reviewed_from_the_task_page(console: str, seeded: dict[str, str]) -> None:
    task_id, content_id = await _task_with_article(
        seeded["url"], "# 标题\n\n正文 **重点**。\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n")
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        page = await client.get(f"/tasks/{task_id}")
        assert "<h2>标题</h2>" in page.text and "<strong>重点</strong>" in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and 'href="javascript' not in page.text
        assert "awaiting review" in page.text
        token = csrf_of(page.text)
        assert (await client.post(f"/contents/{content_id}/approve", data={"task": task_id})).status_code == 403
        empty = await client.post(f"/contents/{content_id}/reject", data={"csrf": token, "task": task_id, "reason": " "})
        assert empty.headers["location"] == f"/tasks/{task_id}?notice=reason_needed"
        rejected = await client.post(f"/contents/{content_id}/reject",
                                     data={"csrf": token, "task": task_id, "reason": "off-topic <b>"})
        assert rejected.headers["location"] == f"/tasks/{task_id}?notice=rejected"
        page = await client.get(rejected.headers["location"])
        assert "The article is rejected." in page.text and "off-topic &lt;b&gt;" in page.text
        approved = await client.post(f"/contents/{content_id}/approve", data={"csrf": token, "task": task_id})
        assert approved.headers["location"] == f"/tasks/{task_id}?notice=approved"
        page = await client.get(f"/tasks/{task_id}")
        assert "approved" in page.text and "Pool entry" in page.text
        missing = await client.post("/contents/999999/approve", data={"csrf": token, "task": "../../evil"})
        assert missing.headers["location"] == "/?notice=not_found"


async def test_publish_pool_page_shows_failures_and_retries_them(console: str, seeded: dict[str, str]) -> None:
    from contenthub_async.domain.vocabulary import PoolStatus
    from contenthub_async.services import review
    from contenthub_async.store import pool as pool_store

    _, content_id = await _task_with_article(seeded["url"], "正文")
    clock = SystemClock()
    async with open_database(seeded["url"]) as db:
        [outcome] = await review.approve_contents(db, [content_id], clock=clock, actor="test")
        async with db.write() as conn:
            [entry] = await pool_store.claim_entries(conn, owner="d1", limit=1, now=clock.now(), lease_seconds=60)
            assert await pool_store.transition(conn, entry, PoolStatus.FAILED, now=clock.now(), actor="d1",
                                               values={"last_error": "platform said <no>", "url": "javascript:alert(1)"})
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        page = await client.get("/pool", headers={"Accept-Language": "zh-CN"})
        assert page.status_code == 200 and "发布池" in page.text
        assert "platform said &lt;no&gt;" in page.text and "javascript:" not in page.text
        token = csrf_of(page.text)
        assert (await client.post(f"/pool/{outcome.pool_id}/retry", data={})).status_code == 403
        retried = await client.post(f"/pool/{outcome.pool_id}/retry", data={"csrf": token})
        assert retried.headers["location"] == "/pool?notice=pool_retried&done=1"
        again = await client.post(f"/pool/{outcome.pool_id}/retry", data={"csrf": token})
        assert again.headers["location"] == "/pool?notice=refused"
        pending = await client.get("/pool?status=pending")
        assert "文章" in pending.text
    async with open_database(seeded["url"]) as db:
        async with db.read() as conn:
            assert (await pool_store.get_entry(conn, outcome.pool_id)).status == PoolStatus.PENDING  # type: ignore[union-attr]


async def _dead_delivery(db_url: str, task_pk: int, url: str) -> int:
    """A delivery of a task.failed event to ``url`` that gave up after one attempt (through the store)."""
    from contenthub_async.domain.vocabulary import WebhookEventType
    from contenthub_async.store import webhooks as webhook_store

    clock = SystemClock()
    async with open_database(db_url) as db, db.write() as conn:
        await webhook_store.record_event(conn, WebhookEventType.TASK_FAILED, {"x": 1}, now=clock.now(), task_pk=task_pk)
        [event] = await webhook_store.events_to_fan_out(conn, limit=1)
        await webhook_store.fan_out(conn, event, [url], now=clock.now())
        [delivery] = await webhook_store.claim_deliveries(conn, owner="d1", limit=1, now=clock.now(), lease_seconds=60)
        assert await webhook_store.record_attempt(
            conn, delivery, owner="d1", now=clock.now(), status_code=500, error="HTTP 500 <b>boom</b>",
            duration_ms=3, delivered=False, retry_at=None)
        return delivery.delivery_id


async def _delivery_status(db_url: str, delivery_id: int) -> str:
    from contenthub_async.services import webhook_commands

    async with open_database(db_url) as db:
        detail = await webhook_commands.delivery_detail(db, delivery_id)
    assert detail is not None
    return detail.delivery.status.value


async def test_webhook_deliveries_page_shows_dead_ones_and_redelivers_them(console: str, seeded: dict[str, str]) -> None:
    async with open_database(seeded["url"]) as db:
        failed = (await task_queries.task_detail(db, seeded["failed"])).task  # type: ignore[union-attr]
    first = await _dead_delivery(seeded["url"], failed.id, "https://hooks.example.com/a")
    second = await _dead_delivery(seeded["url"], failed.id, "https://hooks.example.com/b")
    async with httpx.AsyncClient(base_url=console, timeout=120) as client:
        overview = await client.get("/")
        assert 'href="/webhooks"' in overview.text  # in the navigation
        page = await client.get("/webhooks?status=dead", headers={"Accept-Language": "zh-CN"})
        assert page.status_code == 200 and "Webhook 投递" in page.text and "已失效" in page.text
        assert f'<tr class="row-delivery-dead" data-delivery-id="{first}">' in page.text
        assert "HTTP 500 &lt;b&gt;boom&lt;/b&gt;" in page.text and "<b>boom" not in page.text
        assert f'href="/tasks/{seeded["failed"]}"' in page.text
        token = csrf_of(page.text)
        refused = await client.post(f"/webhooks/{first}/redeliver", data={})
        assert refused.status_code == 403 and await _delivery_status(seeded["url"], first) == "dead"
        moved = await client.post(f"/webhooks/{first}/redeliver", data={"csrf": token})
        assert moved.headers["location"] == "/webhooks?notice=redelivered&done=1"
        assert await _delivery_status(seeded["url"], first) == "pending"
        again = await client.post(f"/webhooks/{first}/redeliver", data={"csrf": token})
        assert again.headers["location"] == "/webhooks?notice=not_redelivered&done=0"
        missing = await client.post("/webhooks/999999/redeliver", data={"csrf": token})
        assert missing.headers["location"] == "/webhooks?notice=not_redelivered&done=0"
        pending = await client.get("/webhooks?status=pending&notice=redelivered&done=1")
        assert "Back to pending: 1." in pending.text and f'data-delivery-id="{first}"' in pending.text
        assert f'data-delivery-id="{second}"' not in pending.text
        everything = await client.post("/webhooks/redeliver-dead", data={"csrf": token})
        assert everything.headers["location"] == "/webhooks?notice=redelivered&done=1"
        assert await _delivery_status(seeded["url"], second) == "pending"
        assert "Showing: any" in (await client.get("/webhooks?status=nonsense")).text
