"""The HTTP API of a real contenthubd over loopback (httpx), on SQLite and PostgreSQL: tasks
end to end, the same JSON objects as ``contenthub-ctl --format json``, refusals (404/409/422,
localized), idempotency, the token, and the listener's life cycle."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contenthub_async.store.database import Database
from tests.support.cli import TASK_ID, Ctl
from tests.support.daemons import daemon_environment, prepare
from tests.support.databases import BACKENDS, MigratedDatabases
from tests.support.http import HttpDaemon, free_port, http_daemon, kill_group, spawn

SUBMIT = "/api/v1/content/generate/async"
TASKS = "/api/v1/content/tasks"


async def count_rows(db_url: str) -> tuple[int, int, int]:
    """(tasks, task events, idempotency keys)."""
    from sqlalchemy import text

    db = Database.open(db_url)
    try:
        async with db.read() as conn:
            counts = []
            for table in ("content_generation_tasks", "task_events", "idempotency_keys"):
                counts.append((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
        return counts[0], counts[1], counts[2]
    finally:
        await db.close()


@pytest.fixture(scope="module", params=BACKENDS)
def submitting(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               migrated_databases: MigratedDatabases) -> Iterator[tuple[str, HttpDaemon]]:
    """One daemon per backend, generating nothing, for the tests that only submit and read: they
    count what they add, not what is there, so they share it (and its start-up)."""
    tmp = tmp_path_factory.mktemp("submitting")
    with migrated_databases.url(request.param, tmp) as url:
        asyncio.run(prepare(url, (49,)))
        with http_daemon(url, tmp, ASYNC_CONTENT_GENERATION_ENABLED="false") as daemon:
            yield url, daemon


def batched_submissions(metrics: str) -> float:
    """Submissions the daemon has committed through its batcher so far (from /metrics)."""
    [line] = [line for line in metrics.splitlines() if line.startswith("contenthub_submission_batch_size_sum ")]
    return float(line.split()[1])


def added(before: tuple[int, int, int], after: tuple[int, int, int]) -> tuple[int, ...]:
    """Rows a test added to each table of :func:`count_rows` (a shared database has others')."""
    return tuple(a - b for a, b in zip(after, before, strict=True))


def wait_for_status(client: httpx.Client, task_id: str, wanted: str, within: float = 120) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        body = client.get(f"{TASKS}/{task_id}").json()
        if body["status"] == wanted:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{task_id} did not become {wanted}: {body}")


@pytest.mark.slow
async def test_tasks_end_to_end_with_the_cli_objects(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url, (49, 50))
    ctl = Ctl(tmp_path / "unused.db", tmp_path)
    with http_daemon(db_url, tmp_path) as daemon, daemon.client() as client:
        # The original guide's submission, run to completion by the daemon.
        response = client.post(SUBMIT, json={"account_id": 49, "topic": "AI技术发展", "keywords": "AI,机器学习",
                                             "auto_approve": True, "priority": 8})
        assert response.status_code == 202, response.text
        submitted = response.json()
        assert TASK_ID.match(submitted["task_id"])
        assert submitted == {"task_id": submitted["task_id"], "status": "pending", "message": submitted["message"],
                             "account_id": 49, "priority": 8, "auto_approve": True, "max_retries": 3}
        done = wait_for_status(client, submitted["task_id"], "completed")
        assert done["keywords"] == "AI,机器学习" and done["source"] == "api"
        assert done["content"]["content_id"] == done["content_id"] is not None
        assert [e["to"] for e in done["events"]][:2] == ["pending", "submitting"]
        assert done["events"][0]["actor"] == "http"

        # One serializer: the HTTP object is the CLI's, to the byte once printed the CLI's way
        # (read while nothing changes: the daemon may still be publishing the article).
        for _ in range(20):
            first = client.get(f"{TASKS}/{submitted['task_id']}").json()
            cli = ctl("status", submitted["task_id"], "--format", "json", env={"DATABASE_URL": db_url})
            assert cli.code == 0, cli.err
            if client.get(f"{TASKS}/{submitted['task_id']}").json() == first:
                break
        assert cli.out == json.dumps(first, ensure_ascii=False, indent=2) + "\n"

        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"


@pytest.mark.slow
async def test_list_pages_cancel_and_retry(db_url: str, tmp_path: Path) -> None:
    await prepare(db_url, (49, 50))
    ctl = Ctl(tmp_path / "unused.db", tmp_path)
    with http_daemon(db_url, tmp_path, ASYNC_CONTENT_GENERATION_ENABLED="false") as daemon, daemon.client() as client:
        finished = client.post(SUBMIT, json={"account_id": 49, "topic": "done"}).json()["task_id"]
        assert client.post(f"{TASKS}/{finished}/cancel").json()["outcome"] == "cancelled"
        # A page at a time, newest first, with the next page in the Link header.
        ids = [client.post(SUBMIT, json={"account_id": 50, "topic": f"第{i}篇", "priority": 0}).json()["task_id"]
               for i in range(5)]
        cancel_all = [client.post(f"{TASKS}/{task_id}/cancel") for task_id in ids]
        assert {r.status_code for r in cancel_all} == {200}
        assert cancel_all[0].json()["outcome"] == "cancelled" and cancel_all[0].json()["status"] == "cancelled"
        first = client.get(TASKS, params={"account_id": 50, "limit": 2})
        assert [t["task_id"] for t in first.json()] == ids[::-1][:2]
        cli_list = ctl("list", "--account-id", "50", "--limit", "2", "--format", "json", env={"DATABASE_URL": db_url})
        assert cli_list.out == json.dumps(first.json(), ensure_ascii=False, indent=2) + "\n"
        second = client.get(first.links["next"]["url"])
        assert [t["task_id"] for t in second.json()] == ids[::-1][2:4]
        last = client.get(second.links["next"]["url"])
        assert [t["task_id"] for t in last.json()] == ids[:1] and "next" not in last.links
        assert [t["task_id"] for t in client.get(TASKS, params={"account_id": 49}).json()] == [finished]
        assert client.get(TASKS, params={"status": "pending"}).json() == []
        assert len(client.get(TASKS, params={"status": "pending,cancelled", "limit": 100}).json()) == 6

        # Cancel and retry: 409 when the state forbids it, 404 for an unknown id.
        again = client.post(f"{TASKS}/{ids[0]}/cancel")
        assert again.status_code == 409 and again.json()["error"] == "invalid_task_state"
        retried = client.post(f"{TASKS}/{ids[0]}/retry")
        assert retried.status_code == 200
        assert retried.json() == {"task_id": ids[0], "status": "pending", "message": retried.json()["message"]}
        assert client.post(f"{TASKS}/{ids[0]}/retry").status_code == 409, "pending now"
        for response in (client.get(f"{TASKS}/task-000000000000"), client.post(f"{TASKS}/task-000000000000/cancel"),
                         client.post(f"{TASKS}/task-000000000000/retry")):
            assert response.status_code == 404
            assert response.json()["error"] == "task_not_found"
            assert "task-000000000000" in response.json()["message"]


async def test_bad_input_names_each_field_in_the_request_language_and_writes_nothing(
    submitting: tuple[str, HttpDaemon]
) -> None:
    db_url, daemon = submitting
    with daemon.client() as client:
        before = await count_rows(db_url)
        bad = client.post(SUBMIT, json={"account_id": "49", "topic": " ", "priority": 11, "colour": "red"})
        assert bad.status_code == 422
        fields = {e["field"]: e for e in bad.json()["errors"]}
        assert set(fields) == {"account_id", "colour"}, "type errors first: the domain rules need typed values"
        assert bad.json()["error"] == "validation_failed"

        domain = client.post(SUBMIT, json={"account_id": 49, "topic": " ", "priority": 11, "max_retries": -1})
        assert domain.status_code == 422
        assert [(e["field"], e["reason"]) for e in domain.json()["errors"]] == [
            ("topic", "empty"), ("priority", "out_of_range"), ("max_retries", "out_of_range")]
        assert "priority must be between 0 and 10 (got 11)" in domain.json()["errors"][1]["message"]

        zh = client.post(SUBMIT, json={"account_id": 49, "topic": " ", "priority": 11},
                         headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
        assert zh.status_code == 422
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in zh.json()["errors"])
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["message"])

        missing = client.post(SUBMIT, json={"account_id": 49})
        assert missing.status_code == 422 and [e["field"] for e in missing.json()["errors"]] == ["topic"]
        unknown = client.post(SUBMIT, json={"account_id": 777, "topic": "x"})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "account_id"
        assert "777" in unknown.json()["errors"][0]["message"]
        malformed = client.post(SUBMIT, content=b'{"account_id": 49,', headers={"Content-Type": "application/json"})
        assert malformed.status_code == 400 and malformed.json()["error"] == "malformed_json"
        huge = client.post(SUBMIT, json={"account_id": 49, "topic": "x", "requirements": "y" * (2 << 20)})
        assert huge.status_code == 413 and huge.json()["error"] == "body_too_large"
        bad_status = client.get(TASKS, params={"status": "done"})
        assert bad_status.status_code == 422 and bad_status.json()["errors"][0]["field"] == "status"
        bad_limit = client.get(TASKS, params={"limit": 0}, headers={"Accept-Language": "zh"})
        assert bad_limit.status_code == 422 and bad_limit.json()["errors"][0]["field"] == "limit"
        assert "应大于或等于 1" in bad_limit.json()["errors"][0]["message"]
        nowhere = client.get("/api/v1/nothing-here")
        assert nowhere.status_code == 404 and nowhere.json()["error"] == "not_found"
        for response in (bad, domain, zh, missing, unknown, malformed, huge, bad_status, bad_limit, nowhere):
            assert "Traceback" not in response.text
        assert await count_rows(db_url) == before, "nothing written"


async def test_one_idempotency_key_makes_one_task_even_when_posted_concurrently(
    submitting: tuple[str, HttpDaemon]
) -> None:
    db_url, daemon = submitting
    before = await count_rows(db_url)
    async with daemon.async_client() as client:
        body = {"account_id": 49, "topic": "once"}
        responses = await asyncio.gather(*(
            client.post(SUBMIT, json=body, headers={"Idempotency-Key": "order-7781"}) for _ in range(8)))
        assert {r.status_code for r in responses} == {202}
        assert len({r.json()["task_id"] for r in responses}) == 1
        assert sorted(r.headers["Idempotent-Replayed"] for r in responses) == ["false"] + ["true"] * 7
        other = await client.post(SUBMIT, json=body, headers={"Idempotency-Key": "order-7782"})
        assert other.json()["task_id"] != responses[0].json()["task_id"]
        assert (await client.post(SUBMIT, json=body, headers={"Idempotency-Key": "bad\x7fkey"})).status_code == 422
    assert added(before, await count_rows(db_url)) == (2, 2, 2)


async def test_concurrent_posts_each_get_their_own_answer(submitting: tuple[str, HttpDaemon]) -> None:
    """Submissions that arrive together are committed together (docs/api.md, group commit);
    each still gets its own task, its own refusal, and a repeated key still makes one task."""
    db_url, daemon = submitting
    before = await count_rows(db_url)
    async with daemon.async_client(limits=httpx.Limits(max_connections=32)) as client:
        batched_before = batched_submissions((await client.get("/metrics")).text)
        posts = [client.post(SUBMIT, json={"account_id": 49, "topic": f"并发 {i}"}) for i in range(16)]
        posts.append(client.post(SUBMIT, json={"account_id": 404, "topic": "no such account"}))
        posts += [client.post(SUBMIT, json={"account_id": 49, "topic": "keyed"}, headers={"Idempotency-Key": "k-1"})
                  for _ in range(4)]
        responses = await asyncio.gather(*posts)
        plain, refused, keyed = responses[:16], responses[16], responses[17:]
        assert [r.status_code for r in plain] == [202] * 16
        assert len({r.json()["task_id"] for r in plain}) == 16
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "account_id"
        assert {r.status_code for r in keyed} == {202} and len({r.json()["task_id"] for r in keyed}) == 1
        batched = batched_submissions((await client.get("/metrics")).text)
    assert batched - batched_before == 21  # every submission went through a batch
    assert added(before, await count_rows(db_url)) == (17, 17, 1)


def test_the_token_guards_everything_but_healthz(tmp_path: Path) -> None:
    import asyncio as aio

    url = f"sqlite:///{tmp_path / 'contenthub.db'}"
    aio.run(prepare(url, (49,)))
    token = "s3cret-token"
    with http_daemon(url, tmp_path, CONTENTHUB_API_TOKEN=token) as daemon, daemon.client() as client:
        assert client.get("/healthz").status_code == 200
        for path in ("/readyz", TASKS, f"{TASKS}/task-000000000000"):
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["WWW-Authenticate"] == "Bearer"
            assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.post(SUBMIT, json={"account_id": 49, "topic": "x"}).status_code == 401
        good = {"Authorization": f"Bearer {token}"}
        assert client.get(TASKS, headers=good).status_code == 200
        assert client.post(SUBMIT, json={"account_id": 49, "topic": "x"}, headers=good).status_code == 202


def test_listening_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'contenthub.db'}"
    asyncio.run(prepare(url, (49,)))
    env = daemon_environment(url, tmp_path / "fake", CONTENTHUB_HTTP_LISTEN=f"0.0.0.0:{free_port()}")
    process = spawn(env, tmp_path / "refused.log")
    try:
        assert process.wait(timeout=60) == 2
    finally:
        kill_group(process)
    log = (tmp_path / "refused.log").read_text()
    assert "CONTENTHUB_API_TOKEN" in log and "refusing to listen" in log


def test_sigterm_stops_the_listener_and_the_loops(tmp_path: Path) -> None:
    import asyncio as aio

    url = f"sqlite:///{tmp_path / 'contenthub.db'}"
    aio.run(prepare(url, (49,)))
    with http_daemon(url, tmp_path) as daemon:
        _stop_and_check(daemon)


def _stop_and_check(daemon: HttpDaemon) -> None:
    port = int(daemon.base_url.rsplit(":", 1)[1])
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(timeout=60) == 0
    log = daemon.log()
    assert "contenthubd stopped" in log
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
