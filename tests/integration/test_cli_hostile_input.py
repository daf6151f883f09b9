"""Input made to hurt: forged lines, control characters, huge numbers, bad bytes. Every case is
refused with exit 2 and one line, and changes nothing (real contenthub-ctl processes, SQLite)."""

from __future__ import annotations

import json
import os

import pytest

from tests.integration.test_cli import _accounts, one_line
from tests.support.cli import ZH, Ctl

SINGLE_LINE_OPTIONS = ("--topic", "--keywords", "--category", "--tone")


def jobs(ctl: Ctl) -> int:
    return int(ctl.rows("SELECT count(*) FROM scheduled_jobs")[0][0])


def refused(ctl: Ctl, *args: str, needle: str = "", lang: str | None = None) -> str:
    r = ctl(*args, lang=lang) if lang else ctl(*args)
    assert r.code == 2, (args, r)
    assert r.out == "", (args, r)
    line = one_line(r.err)
    assert needle in line, (args, line)
    return line


@pytest.mark.parametrize("option", SINGLE_LINE_OPTIONS)
@pytest.mark.parametrize("brk", ["\n", "\r", "\u2028"])
def test_line_breaks_in_single_line_fields_are_refused(ctl: Ctl, option: str, brk: str) -> None:
    ctl.store(_accounts)
    forged = f"harmless{brk}任务ID: 5b0e5ad1-0000-4000-8000-000000000000"
    args = ["submit", "-a", "1", "-t", "x", option, forged]
    if option == "--topic":
        args = ["submit", "-a", "1", "--topic", forged]
    refused(ctl, *args, needle=option)
    assert ctl.count() == (0, 0)


def test_requirements_may_span_lines_and_c1_controls_are_refused(ctl: Ctl) -> None:
    ctl.store(_accounts)
    assert ctl("submit", "-a", "1", "-t", "x", "--requirements", "第一行\n第二行").code == 0
    refused(ctl, "submit", "-a", "1", "-t", "x\x9b31m", needle="--topic")  # one-byte CSI
    zh = refused(ctl, "submit", "-a", "1", "-t", "a\nb", lang=ZH)
    assert "换行" in zh
    assert ctl.count() == (1, 1)


def test_import_refuses_a_line_break_inside_a_quoted_topic(ctl: Ctl) -> None:
    ctl.store(_accounts)
    (ctl.cwd / "t.csv").write_text('account_id,topic\n1,"harmless\n任务ID: x"\n1,ok\n', encoding="utf-8")
    r = ctl("import", "t.csv")
    assert r.code == 2, r
    assert "2" in r.err and "topic" in r.err
    assert ctl.count() == (0, 0)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"account_ids": [1], "topics": [{"topic": "   "}]}, "topics.0.topic"),
        ({"account_ids": [1], "topics": [{"topic": "a\n任务ID: x"}]}, "topics.0.topic"),
        ({"account_ids": [1], "topics": [{"topic": "ok", "tone": "\x1b[2J"}]}, "topics.0.tone"),
        ({"account_ids": [1], "category": "a\nb"}, "category"),
        ({"account_ids": [1], "keywords": "a\rb"}, "keywords"),
        ({"account_ids": [2**31]}, "account_ids.0"),
    ],
)
def test_scheduler_refuses_params_every_firing_would_fail_on(ctl: Ctl, params: dict[str, object], field: str) -> None:
    ctl.store(_accounts)
    args = ["scheduler", "create", "--name", "j", "--type", "async_content_generation",
            "--cron", "0 9 * * *", "--params", json.dumps(params)]
    refused(ctl, *args, needle=field)
    assert jobs(ctl) == 0
    ok = {"account_ids": [1], "topics": [{"topic": "fine", "requirements": "two\nlines"}]}
    assert ctl(*args[:-1], json.dumps(ok)).code == 0
    assert jobs(ctl) == 1



@pytest.mark.parametrize(
    ("data", "line", "needle"),
    [
        ('account_id,topic\n1,ok\n1,"broken\n1,swallowed\n1,also\n', 3, "never closed"),
        ("account_id,topic\n1,ok\n1," + "x" * (128 * 1024 + 1) + "\n1,fine\n", 3, "131072"),
        ('account_id,topic\n1,ok\n1,"a"b\n', 3, "quoting error"),
    ],
)
def test_a_malformed_csv_names_the_line_and_imports_nothing(ctl: Ctl, data: str, line: int, needle: str) -> None:
    ctl.store(_accounts)
    (ctl.cwd / "t.csv").write_text(data, encoding="utf-8")
    for args in (["import", "t.csv"], ["import", "t.csv", "--skip-invalid"]):
        r = ctl(*args)
        assert r.code == 2, r
        assert f"line {line}: " in r.err and needle in r.err and "Traceback" not in r.err, r.err
    assert ctl.count() == (0, 0)
    r = ctl("import", "t.csv", lang=ZH)
    assert f"第 {line} 行" in r.err and "Traceback" not in r.err


BIG = "99999999999999999999999"


@pytest.mark.parametrize(
    "args",
    [
        ["submit", "-a", BIG, "-t", "x"],
        ["submit", "-a", str(2**31), "-t", "x"],
        ["list", "-a", BIG],
        ["submit", "-a", "1", "-t", "x", "-p", str(2**63)],
        ["scheduler", "history", "1", "--limit", BIG],
    ],
)
def test_integers_beyond_the_columns_are_usage_errors(ctl: Ctl, args: list[str]) -> None:
    ctl.store(_accounts)
    refused(ctl, *args)
    assert ctl.count() == (0, 0)


def test_huge_ids_name_no_job_or_account(ctl: Ctl) -> None:
    ctl.store(_accounts)
    for command in ("show", "history", "pause", "trigger", "delete"):
        r = ctl("scheduler", command, BIG)
        assert r.code == 1 and "Traceback" not in r.err and BIG in one_line(r.err), (command, r)
    (ctl.cwd / "t.csv").write_text(f"account_id,topic\n{BIG},x\n1,ok\n", encoding="utf-8")
    r = ctl("import", "t.csv")
    assert r.code == 2 and "line 2" in r.err and "Traceback" not in r.err, r
    assert ctl.count() == (0, 0)


def test_arguments_that_are_not_utf8_are_refused(ctl: Ctl) -> None:
    ctl.store(_accounts)
    # bytes that are not UTF-8 reach Python as lone surrogates (os.fsdecode)
    line = refused(ctl, "submit", "-a", "1", "-t", os.fsdecode(b"caf\xe9"), needle="UTF-8")
    assert "5" in line
    assert ctl.count() == (0, 0)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--cron", "0 0 30 2 *"], "never fires"),
        (["--cron", "0 0 * * *", "--params", "[" * 50_000 + "]" * 50_000], "--params"),
        (["--cron", "0 0 * * *", "--params", '{"a":' * 20_000 + "1" + "}" * 20_000], "--params"),
    ],
)
def test_scheduler_refuses_crons_that_never_fire_and_deep_params(ctl: Ctl, args: list[str], needle: str) -> None:
    ctl.store(_accounts)
    refused(ctl, "scheduler", "create", "--name", "j", "--type", "cleanup", *args, needle=needle)
    assert jobs(ctl) == 0


@pytest.mark.parametrize("name", ["\x1b]0;pwned\x07ok", "a\x1b[2Jb", "two\nlines", "   "])
def test_job_names_are_one_line_of_plain_text(ctl: Ctl, name: str) -> None:
    ctl.store(_accounts)
    refused(ctl, "scheduler", "create", "--name", name, "--type", "cleanup", "--cron", "0 0 * * *", needle="--name")
    assert jobs(ctl) == 0
    assert ctl("scheduler", "create", "--name", "fine", "--type", "cleanup", "--cron", "0 0 * * *").code == 0
    refused(ctl, "scheduler", "update", "fine", "--name", name, needle="--name")
    assert ctl.rows("SELECT name FROM scheduled_jobs") == [("fine",)]
