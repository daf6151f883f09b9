"""Stored notes: codes with parameters, English in the tables, the reader's language on screen."""

from __future__ import annotations

import re
import string

import pytest

from contenthub_async.domain.notes import ENGLISH, Note
from contenthub_async.texts.messages import catalog, note_text


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_every_code_reads_in_both_languages(code: str) -> None:
    en = catalog("en").gettext(f"note.{code}")
    zh = catalog("zh").gettext(f"note.{code}")
    assert en == ENGLISH[code], "the English catalog repeats what the tables store"
    assert zh != f"note.{code}", f"no Chinese text for {code}"
    assert fields_of(zh) <= fields_of(ENGLISH[code]), "a Chinese text may only use the note's parameters"
    without_fields = re.sub(r"\{[^}]*\}", "", zh)
    words = re.findall(r"[A-Za-z][A-Za-z'-]+", without_fields)
    assert set(words) <= {"content-creator", "create"}, (code, words)


def test_nested_note_survives_the_columns_and_renders_inside_out() -> None:
    error = Note("error.timed_out", {"seconds": 4.0, "creator_task_id": "c-1"})
    note = Note("task.gave_up", {"attempts": 2, "error": error})
    stored = Note.from_columns(note.code, note.to_json())
    assert stored == note
    assert note.english() == "gave up after 2 attempt(s): timed out after 4s at content-creator (c-1)"
    assert note_text(stored, "ignored", "zh") == "尝试 2 次后放弃：在 content-creator 中超时（4 秒，c-1）"
    assert note_text(stored, "ignored", "en") == note.english()


def test_rows_without_a_code_show_their_sentence() -> None:
    assert Note.from_columns(None, None) is None
    assert Note.from_columns("task.no_such_code", "{}") is None  # written by a newer version
    assert note_text(None, "claimed", "zh") == "claimed"


def test_creator_text_is_a_parameter_shown_as_it_is() -> None:
    note = Note("error.creator_failed", {"detail": "模拟失败: AI (FAKE_CREATOR_FAIL=all)"})
    assert note_text(Note.from_columns(note.code, note.to_json()), None, "zh") == (
        "content-creator 报告生成失败：模拟失败: AI (FAKE_CREATOR_FAIL=all)"
    )


def test_an_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        Note("task.typo")
