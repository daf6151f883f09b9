"""Webhook rules without I/O: signatures (checked with the independent ``standardwebhooks``
library and a hand-written HMAC), the retry schedule's documented guarantees, the event
filter and destinations, and which addresses a callback may reach."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from contenthub_async.domain.vocabulary import WebhookEventType as W
from contenthub_async.domain.webhook_destinations import blocked_reason
from contenthub_async.domain.webhook_events import ANNOUNCED_EVENTS, destinations, parse_event_filter
from contenthub_async.domain.webhook_retry import RETRY_CAP_SECONDS, next_attempt_at
from contenthub_async.domain.webhook_signing import SecretKeyError, parse_secret_keys, signing_headers

BODY = '{"id":"evt_1","type":"task.completed","data":{"topic":"春天"}}'.encode()
WHSEC = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


# ---------------------------------------------------------------- signing


def test_a_whsec_key_verifies_with_the_standard_webhooks_library() -> None:
    now = int(time.time())
    headers = signing_headers(parse_secret_keys(WHSEC), "evt_1", now, BODY)
    assert headers["webhook-id"] == "evt_1" and headers["webhook-timestamp"] == str(now)
    assert Webhook(WHSEC).verify(BODY, headers)["type"] == "task.completed"


def test_a_plain_key_is_its_utf8_bytes() -> None:
    now = int(time.time())
    headers = signing_headers(parse_secret_keys("s3cret-密钥"), "evt_2", now, BODY)
    Webhook("s3cret-密钥".encode()).verify(BODY, headers)
    expected = base64.b64encode(
        hmac.new("s3cret-密钥".encode(), f"evt_2.{now}.".encode() + BODY, hashlib.sha256).digest()
    ).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"


def test_during_rotation_every_key_gets_a_signature() -> None:
    now = int(time.time())
    headers = signing_headers(parse_secret_keys(f"old-key {WHSEC}"), "evt_3", now, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(b"old-key").verify(BODY, headers)
    Webhook(WHSEC).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another-key").verify(BODY, headers)


def test_a_changed_body_or_id_does_not_verify() -> None:
    now = int(time.time())
    headers = signing_headers(parse_secret_keys(WHSEC), "evt_4", now, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(WHSEC).verify(BODY.replace(b"completed", b"failed"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(WHSEC).verify(BODY, {**headers, "webhook-id": "evt_5"})


def test_without_keys_requests_are_unsigned() -> None:
    assert "webhook-signature" not in signing_headers(parse_secret_keys(None), "evt_6", 1, BODY)
    assert parse_secret_keys(" , ") == ()


@pytest.mark.parametrize("value", ["whsec_", "whsec_not*base64"])
def test_a_bad_whsec_key_is_refused(value: str) -> None:
    with pytest.raises(SecretKeyError):
        parse_secret_keys(value)


def test_unpadded_whsec_keys_are_accepted_like_the_library_does() -> None:
    assert parse_secret_keys(WHSEC.rstrip("=")) == parse_secret_keys(WHSEC)


# ---------------------------------------------------------------- retry schedule

CREATED = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
DAY = 86_400.0


@pytest.mark.parametrize("seed", range(20))
def test_retry_delays_stay_within_the_documented_bounds(seed: int) -> None:
    rng = random.Random(seed)
    now = CREATED
    for attempt in range(1, 40):
        at = next_attempt_at(attempt=attempt, created=CREATED, now=now, base=10, horizon=DAY, rng=rng)
        if at is None:
            assert now >= CREATED + timedelta(seconds=DAY)
            return
        nominal = min(RETRY_CAP_SECONDS, 10 * 2 ** (attempt - 1))
        delay = (at - now).total_seconds()
        assert at <= CREATED + timedelta(seconds=DAY)
        if at < CREATED + timedelta(seconds=DAY):
            assert nominal * 0.8 - 1e-6 <= delay <= nominal + 1e-6
        now = at
    pytest.fail("never gave up")


def test_the_last_attempt_is_at_the_horizon_and_then_the_delivery_is_dead() -> None:
    almost = CREATED + timedelta(seconds=DAY - 5)
    at = next_attempt_at(attempt=30, created=CREATED, now=almost, base=10, horizon=DAY)
    assert at == CREATED + timedelta(seconds=DAY)
    assert next_attempt_at(attempt=31, created=CREATED, now=at, base=10, horizon=DAY) is None


def test_a_day_of_retries_is_about_thirty_attempts() -> None:
    now, attempts = CREATED, 1
    while (at := next_attempt_at(attempt=attempts, created=CREATED, now=now, base=10, horizon=DAY,
                                 rng=random.Random(attempts))) is not None:
        now, attempts = at, attempts + 1
    assert 25 <= attempts <= 40


# ---------------------------------------------------------------- events and destinations


def test_the_event_filter() -> None:
    assert parse_event_filter(None) == frozenset(ANNOUNCED_EVENTS)
    assert parse_event_filter(" task.failed, task.timeout ") == {W.TASK_FAILED, W.TASK_TIMEOUT}
    for bad in ("task.done", "ping"):
        with pytest.raises(ValueError, match=bad):
            parse_event_filter(bad)


def test_destinations() -> None:
    everything = frozenset(ANNOUNCED_EVENTS)
    assert destinations(W.TASK_FAILED, None, webhook_url=None, wanted=everything) == []
    assert destinations(W.TASK_FAILED, "http://cb/x", webhook_url="http://hook/", wanted=everything) == [
        "http://hook/", "http://cb/x"]
    assert destinations(W.TASK_FAILED, "http://hook/", webhook_url="http://hook/", wanted=everything) == [
        "http://hook/"]
    assert destinations(W.TASK_COMPLETED, "http://cb/x", webhook_url="http://hook/", wanted={W.TASK_FAILED}) == []


# ---------------------------------------------------------------- addresses a callback may reach


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "fe80::1", "fd00::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "::1",
     "100.64.0.1", "::ffff:169.254.169.254", "0.0.0.0"],
)
def test_private_link_local_and_metadata_addresses_are_blocked(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), allow_private=False) is not None


def test_public_addresses_pass_and_allow_private_opens_the_rest() -> None:
    assert blocked_reason(ipaddress.ip_address("93.184.216.34"), allow_private=False) is None
    assert blocked_reason(ipaddress.ip_address("2606:4700::1111"), allow_private=False) is None
    assert blocked_reason(ipaddress.ip_address("127.0.0.1"), allow_private=True) is None
    assert blocked_reason(ipaddress.ip_address("169.254.169.254"), allow_private=True) is None
    assert blocked_reason(ipaddress.ip_address("0.0.0.0"), allow_private=True) is not None
