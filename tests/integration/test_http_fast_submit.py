"""The submission fast path (http/fast_submit.py) answers exactly as the application behind it:
the same request sent to the application with and without it gets the same status, headers and
body (task ids aside), on a real SQLite database; and it hands on everything but the well-formed
submissions it is for."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from contenthub_async import telemetry
from contenthub_async.clock import ManualClock
from contenthub_async.config import load_settings
from contenthub_async.http.app import create_app
from contenthub_async.http.context import Api
from contenthub_async.http.fast_submit import SUBMIT_PATH, SubmitFastPath
from contenthub_async.store import accounts as account_store
from contenthub_async.store.database import Database
from tests.conformance.support import add_account

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

TOKEN = "s3cret-token"


class _Counting:
    """The application behind the fast path, counting the requests handed on to it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.requests += 1
        await self.app(scope, receive, send)


@asynccontextmanager
async def _clients(db: Database, clock: ManualClock, **settings: Any) -> AsyncIterator[
        tuple[httpx.AsyncClient, httpx.AsyncClient, _Counting]]:
    """A client of the application with the fast path, one of the same application without it,
    and the counter of what the fast path handed on."""
    app = create_app(Api(db=db, clock=clock, settings=load_settings(**settings), daemon_id="test"))
    stack = app.build_middleware_stack()
    assert isinstance(stack, SubmitFastPath)
    handed_on = _Counting(stack.app)
    stack.app = handed_on
    app.middleware_stack = stack
    plain = FastAPI.build_middleware_stack(app)

    async def without_fast_path(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app  # as Starlette's __call__ does
        await plain(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as fast, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=without_fast_path), base_url="http://api") as slow:
        yield fast, slow, handed_on


def _answer(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    """Status, the headers that matter, and the body (JSON when it is) without task ids."""
    headers = {k: v for k, v in response.headers.items()
               if k in ("content-type", "idempotent-replayed", "www-authenticate")}
    try:
        body: Any = response.json()
    except ValueError:
        return response.status_code, headers, response.text
    if isinstance(body, dict) and "task_id" in body:
        body = {**body, "task_id": "…"}
    return response.status_code, headers, body


def _post(body: object = None, *, raw: bytes | None = None, **headers: str) -> dict[str, Any]:
    content = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    return {"content": content, "headers": {"Content-Type": "application/json", **headers}}


def _submitted_count() -> float:
    return telemetry.REGISTRY.get_sample_value(
        "contenthub_http_requests_total", {"method": "POST", "route": SUBMIT_PATH, "status": "202"}) or 0.0


async def test_well_formed_submissions_are_answered_as_the_application_answers_them(
    db: Database, clock: ManualClock
) -> None:
    account = await add_account(db, clock)
    cases = [
        _post({"account_id": account, "topic": "AI 新闻"}),
        _post({"account_id": account, "topic": "full", "keywords": "AI, 机器学习", "category": "tech",
               "requirements": "two\nlines", "tone": "calm", "priority": 9, "auto_approve": False,
               "max_retries": 0, "callback_url": "https://example.org/hook"}),
        _post({"account_id": account, "topic": "zh"}, **{"Accept-Language": "zh-CN,zh;q=0.9"}),
        _post({"account_id": account, "topic": "charset"}, **{"Content-Type": "application/json; charset=utf-8"}),
        _post(raw=f'{{"account_id": {account}, "topic": "first", "topic": "last"}}'.encode()),
    ]
    async with _clients(db, clock) as (fast, slow, handed_on):
        counted = _submitted_count()
        for case in cases:
            answers = [_answer(await client.post(SUBMIT_PATH, **case)) for client in (fast, slow)]
            assert answers[0] == answers[1], case
            assert answers[0][0] == 202
        assert handed_on.requests == 0, "every one was answered by the fast path"
        assert _submitted_count() == counted + 2 * len(cases)  # counted alike by both paths


async def test_everything_else_is_handed_on_and_answered_alike(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    inactive = await add_account(db, clock, "inactive")
    async with db.write() as conn:
        await account_store.set_account_active(conn, inactive, False, now=clock.now())
    handed_on_cases = [
        _post({"account_id": str(account), "topic": " ", "priority": 11, "colour": "red"}),
        _post({"account_id": account, "topic": " ", "priority": 11, "max_retries": -1}),
        _post({"account_id": account, "topic": " "}, **{"Accept-Language": "zh"}),
        _post({"account_id": account}),
        _post({"account_id": account, "topic": "nul \x00 inside"}),
        _post(raw=f'{{"account_id": {account}, "topic": "lone \\ud800 surrogate"}}'.encode()),
        _post({"account_id": account, "topic": "x", "callback_url": "ftp://example.org"}),
        _post(raw=b'{"account_id": 1,'),
        _post(raw=b"[1, 2]"),
        _post(raw=b""),
        _post({"account_id": account, "topic": "x"}, **{"Idempotency-Key": "bad\x7fkey"}),
        _post({"account_id": account, "topic": "x"}, **{"Content-Type": "text/plain"}),
        _post({"account_id": account, "topic": "x"}, **{"Content-Type": "application/vnd.api+json"}),  # taken there
        {"content": b'{"account_id": 1, "topic": "x"}'},  # no content type
        _post(raw=json.dumps({"account_id": account, "topic": "x", "requirements": "y" * (2 << 20)}).encode()),
    ]
    async with _clients(db, clock) as (fast, slow, handed_on):
        for number, case in enumerate(handed_on_cases, start=1):
            answers = [_answer(await client.post(SUBMIT_PATH, **case)) for client in (fast, slow)]
            assert answers[0] == answers[1], case
            assert handed_on.requests == number, case
        # Refused by the batcher, after the fast path took them: the application's handlers answer.
        for case in (_post({"account_id": 777, "topic": "x"}), _post({"account_id": inactive, "topic": "x"}),
                     _post({"account_id": 777, "topic": "x"}, **{"Accept-Language": "zh"})):
            answers = [_answer(await client.post(SUBMIT_PATH, **case)) for client in (fast, slow)]
            assert answers[0] == answers[1], case
            assert answers[0][0] == 422 and answers[0][2]["errors"][0]["field"] == "account_id"
        assert handed_on.requests == len(handed_on_cases)
        # A lone surrogate is not text: refused by name, never a 500 from the database.
        lone = await fast.post(SUBMIT_PATH, **_post(raw=f'{{"account_id": {account}, "topic": "\\ud800"}}'.encode()))
        assert lone.status_code == 422 and lone.json()["errors"][0]["reason"] == "surrogates"


async def test_idempotency_keys_and_the_token_are_honoured_alike(db: Database, clock: ManualClock) -> None:
    account = await add_account(db, clock)
    async with _clients(db, clock, CONTENTHUB_API_TOKEN=TOKEN) as (fast, slow, handed_on):
        body = {"account_id": account, "topic": "keyed"}
        for client, key in ((fast, "key-fast"), (slow, "key-slow")):  # a key of each: first, then replayed
            client.headers["Authorization"] = f"Bearer {TOKEN}"
            first = await client.post(SUBMIT_PATH, **_post(body, **{"Idempotency-Key": key}))
            again = await client.post(SUBMIT_PATH, **_post(body, **{"Idempotency-Key": key}))
            assert (first.status_code, first.headers["Idempotent-Replayed"]) == (202, "false")
            assert (again.status_code, again.headers["Idempotent-Replayed"]) == (202, "true")
            assert first.json()["task_id"] == again.json()["task_id"]
        assert handed_on.requests == 0
        for authorization in ("Bearer wrong", None):
            for client in (fast, slow):
                client.headers.pop("Authorization", None)
                if authorization:
                    client.headers["Authorization"] = authorization
            answers = [_answer(await client.post(SUBMIT_PATH, **_post(body))) for client in (fast, slow)]
            assert answers[0] == answers[1] and answers[0][0] == 401
        assert handed_on.requests == 2
