"""domain/submission.py and domain/durations.py: what a valid submission and a duration are."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contenthub_async.domain.durations import MAX_DURATION, parse_duration
from contenthub_async.domain.submission import (
    MAX_ID,
    MAX_KEYWORDS_LENGTH,
    MAX_REQUIREMENTS_LENGTH,
    MAX_SHORT_TEXT_LENGTH,
    MAX_TOPIC_LENGTH,
    InvalidSubmission,
    NewTask,
    canonical_keywords,
    check_submission,
    keyword_list,
    validate_submission,
)


def problems(**fields: Any) -> list[tuple[str, str]]:
    checked = check_submission(**{"account_id": 1, "topic": "t", **fields})
    assert isinstance(checked, list), checked
    return [(p.field, p.reason) for p in checked]


def test_a_valid_submission_is_stripped_and_canonical() -> None:
    task = validate_submission(account_id=MAX_ID, topic="  AI 客服  ", keywords=" AI， 客服、自动化 ,, ",
                               category=" 科技 ", requirements="line one\nline two\r\n\ttabbed", tone="",
                               priority=10, max_retries=0, auto_approve=False, source="import")
    assert task == NewTask(account_id=MAX_ID, topic="AI 客服", keywords="AI,客服,自动化", category="科技",
                           requirements="line one\nline two\r\n\ttabbed", tone=None, priority=10, max_retries=0,
                           auto_approve=False, source="import")


@pytest.mark.parametrize("account_id", [0, -1, True, "1", 1.0])
def test_account_id_is_a_positive_integer(account_id: Any) -> None:
    assert problems(account_id=account_id) == [("account_id", "not_positive_integer")]


def test_account_id_beyond_a_32_bit_id_names_no_row() -> None:
    assert problems(account_id=MAX_ID + 1) == [("account_id", "out_of_range")]


@pytest.mark.parametrize("topic, reason", [(None, "required"), ("", "empty"), (" \t ", "empty"),
                                           ("a\x1b[31mred", "control_characters"), ("a\x9bb", "control_characters"),
                                           ("a\ud800b", "surrogates"),
                                           ("two\nlines", "line_break"), ("a\u2028b", "line_break"),
                                           ("字" * (MAX_TOPIC_LENGTH + 1), "too_long")])
def test_topic(topic: str | None, reason: str) -> None:
    assert problems(topic=topic) == [("topic", reason)]


@pytest.mark.parametrize("field, limit, multi_line", [
    ("keywords", MAX_KEYWORDS_LENGTH, False), ("category", MAX_SHORT_TEXT_LENGTH, False),
    ("requirements", MAX_REQUIREMENTS_LENGTH, True), ("tone", MAX_SHORT_TEXT_LENGTH, False),
])
def test_optional_texts_at_and_beyond_their_limits(field: str, limit: int, multi_line: bool) -> None:
    at_limit = check_submission(account_id=1, topic="t", **{field: "x" * limit})
    assert isinstance(at_limit, NewTask)
    assert problems(**{field: "x" * (limit + 1)}) == [(field, "too_long")]
    assert problems(**{field: "a\x00b"}) == [(field, "control_characters")]
    line_break = check_submission(account_id=1, topic="t", **{field: "a\nb"})
    assert isinstance(line_break, NewTask) if multi_line else line_break[0].reason == "line_break"  # type: ignore[union-attr]
    assert getattr(check_submission(account_id=1, topic="t", **{field: "   "}), field) is None


@pytest.mark.parametrize("field, low, high", [("priority", 0, 10), ("max_retries", 0, 100)])
def test_integer_bounds(field: str, low: int, high: int) -> None:
    for ok in (low, high):
        assert getattr(validate_submission(account_id=1, topic="t", **{field: ok}), field) == ok
    for bad in (low - 1, high + 1):
        assert problems(**{field: bad}) == [(field, "out_of_range")]
    for not_int in (True, 1.5, "3"):
        assert problems(**{field: not_int}) == [(field, "not_integer")]


def test_unknown_source() -> None:
    assert problems(source="mail") == [("source", "unknown_source")]


def test_every_problem_is_reported_in_field_order_and_validate_raises_the_first() -> None:
    bad = dict(account_id=0, topic="", keywords="k" * 501, source="x", category="\x07", tone="a\nb", priority=11,
               max_retries=-1)
    assert problems(**bad) == [("account_id", "not_positive_integer"), ("topic", "empty"), ("keywords", "too_long"),
                               ("source", "unknown_source"), ("category", "control_characters"),
                               ("tone", "line_break"), ("priority", "out_of_range"), ("max_retries", "out_of_range")]
    with pytest.raises(InvalidSubmission) as raised:
        validate_submission(**bad)  # type: ignore[arg-type]
    assert (raised.value.field, raised.value.reason) == ("account_id", "not_positive_integer")


def test_keywords_separators_and_order() -> None:
    assert canonical_keywords("b, a，c、 a") == "b,a,c,a"
    assert canonical_keywords(" , ，") is None and canonical_keywords(None) is None
    assert keyword_list("AI，客服") == ["AI", "客服"] and keyword_list("") == []


@pytest.mark.parametrize("text, expected", [
    ("30m", timedelta(minutes=30)), ("1h", timedelta(hours=1)), ("2d", timedelta(days=2)), ("1w", timedelta(weeks=1)),
    ("1h30m", timedelta(minutes=90)), (" 90S ", timedelta(seconds=90)), ("1d1d", timedelta(days=2)),
    ("36500d", MAX_DURATION),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "m", "1.5h", "-1h", "1h 30m", "1y", "0m", "0h0m", "36501d", "5215w",
                                  "99999999999999999999w"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
