"""contenthub-ctl import / bulk-import against a SQLite file (commands in-process, tests/support/cli.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contenthub_async.clock import ManualClock
from contenthub_async.store import accounts as account_store
from contenthub_async.store.database import Database
from tests.integration.test_cli import _accounts
from tests.support.cli import TASK_ID, ZH, Ctl

GUIDE_CSV = (
    "account_id,topic,keywords,priority,auto_approve\n"
    '49,"AI技术","AI,机器学习",8,true\n'
    '50,"区块链应用","区块链,金融",7,false\n'
)


async def _guide_accounts(db: Database, clock: ManualClock) -> None:
    async with db.write() as conn:
        for account_id in (49, 50):
            await account_store.insert_account(conn, name=f"acc{account_id}", now=clock.now(), account_id=account_id)


def write(ctl: Ctl, name: str, data: bytes | str) -> Path:
    path = ctl.cwd / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_the_guides_example_imports_two_tasks_both_spellings(ctl: Ctl) -> None:
    ctl.store(_guide_accounts)
    write(ctl, "tasks.csv", GUIDE_CSV)

    r = ctl("import", "tasks.csv")
    assert r.code == 0, r.err
    assert "2" in r.out and r.err == ""
    rows = ctl.rows("SELECT account_id, topic, keywords, priority, auto_approve, source, status"
                    " FROM content_generation_tasks ORDER BY id")
    assert rows == [(49, "AI技术", "AI,机器学习", 8, 1, "import", "pending"),
                    (50, "区块链应用", "区块链,金融", 7, 0, "import", "pending")]
    assert ctl.rows("SELECT DISTINCT from_status, to_status, actor FROM task_events") == [(None, "pending", "import")]

    r = ctl("bulk-import", "--file", "tasks.csv", "--async", "--format", "json")
    assert r.code == 0, r.err
    report = r.json()
    assert isinstance(report, dict)
    assert (report["imported"], report["skipped_rows"], report["errors"]) == (2, 0, [])
    assert all(TASK_ID.match(t) for t in report["task_ids"])
    imported = ctl.rows("SELECT task_id FROM content_generation_tasks WHERE id > 2 ORDER BY id")
    assert [t for (t,) in imported] == report["task_ids"]


def test_bom_quoted_commas_crlf_and_optional_columns(ctl: Ctl) -> None:
    ctl.store(_accounts)
    data = ("\ufeffTopic,account_id,keywords,category,requirements,tone,max_retries,priority\r\n"
            '"Hello, world",1,"a, b，c",科技,"第一行\r\n第二行",专业,0,\r\n'
            "\r\n"
            '"He said ""hi""",1,,,,,,10\r\n').encode()
    write(ctl, "bom.csv", data)
    r = ctl("import", "bom.csv", env={"ASYNC_AUTO_APPROVE": "false", "ASYNC_MAX_RETRIES": "4"})
    assert r.code == 0, r.err
    rows = ctl.rows("SELECT topic, keywords, category, requirements, tone, max_retries, priority, auto_approve"
                    " FROM content_generation_tasks ORDER BY id")
    assert rows == [("Hello, world", "a,b,c", "科技", "第一行\r\n第二行", "专业", 0, 5, 0),
                    ('He said "hi"', None, None, None, None, 4, 10, 0)]


BAD_CSV = (
    b"account_id,topic,keywords,priority,auto_approve\n"
    b"1,fine,,5,true\n"                      # 2: valid
    b"1,too high,,11,true\n"                 # 3: bad priority
    b"99,unknown account,,5,true\n"          # 4: unknown account
    b"2,disabled account,,5,true\n"          # 5: disabled account
    b"1,   ,,5,yes\n"                        # 6: empty topic
    b"1,bad bool,,5,maybe\n"                 # 7: bad boolean
    b"1,\xff\xfe\x00garbage,,5,true\n"       # 8: binary garbage
    b"1," + ("字" * 501).encode() + b",,5,true\n"  # 9: over-long topic
    b"1,two,problems,high,perhaps\n"         # 10: not an integer + bad boolean
    b"1,short row\n"                         # 11: missing fields
    b"1,also fine,,0,false\n"                # 12: valid
    b"1,caf\xe9 latin-1,,5,true\n"            # 13: not UTF-8
)


def test_bad_rows_are_all_listed_with_their_lines_and_nothing_is_imported(ctl: Ctl) -> None:
    ctl.store(_accounts)
    write(ctl, "bad.csv", BAD_CSV)
    expected = [(3, "priority"), (4, "99"), (5, "disabled"), (6, "topic"), (7, "maybe"), (8, "binary"),
                (9, "501"), (10, "priority"), (10, "perhaps"), (11, "5"), (13, "UTF-8")]

    r = ctl("import", "bad.csv")
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == len(expected) + 1, r.err
    for (line, needle), text in zip(expected, lines, strict=False):
        assert text.startswith(f"contenthub-ctl: error: bad.csv, line {line}: ") and needle in text, (line, text)
    assert "2 valid" in lines[-1] and "--skip-invalid" in lines[-1]
    assert ctl.count() == (0, 0)

    r = ctl("import", "bad.csv", "--format", "json", lang=ZH)
    assert r.code == 2 and len(r.err.strip().splitlines()) == len(expected) + 1
    report = r.json()
    assert isinstance(report, dict) and (report["imported"], report["task_ids"]) == (0, [])
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (3, "priority"), (4, "account_id"), (5, "account_id"), (6, "topic"), (7, "auto_approve"), (8, None),
        (9, "topic"), (10, "priority"), (10, "auto_approve"), (11, None), (13, None)]
    assert report["errors"][0]["reason"] == "out_of_range" and "优先级" in report["errors"][0]["message"]
    assert ctl.count() == (0, 0)


def test_skip_invalid_imports_the_good_rows_and_still_lists_the_bad(ctl: Ctl) -> None:
    ctl.store(_accounts)
    write(ctl, "bad.csv", BAD_CSV)
    r = ctl("import", "bad.csv", "--skip-invalid", "--format", "json")
    assert r.code == 0, r.err
    report = r.json()
    assert isinstance(report, dict)
    assert (report["imported"], report["skipped_rows"], len(report["errors"])) == (2, 10, 11)
    err = r.err.strip().splitlines()
    assert len(err) == 11 and all(re.match(r"contenthub-ctl: skipped bad\.csv, line \d+: ", e) for e in err)
    assert ctl.rows("SELECT topic FROM content_generation_tasks ORDER BY id") == [("fine",), ("also fine",)]


def test_unusable_files_import_nothing_even_with_skip_invalid(ctl: Ctl) -> None:
    ctl.store(_accounts)
    cases = {
        "wrong-header.csv": (b"account,topic,priority\n1,x,5\n", ["'account'", "'account_id'"]),
        "typo-column.csv": (b"account_id,topic,priorty\n1,x,5\n", ["'priorty'"]),
        "empty.csv": (b"", ["empty"]),
        "header-only.csv": (b"account_id,topic\r\n", ["no task rows"]),
        "image.png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ["line 1", "UTF-8"]),
    }
    for name, (data, needles) in cases.items():
        write(ctl, name, data)
        r = ctl("import", name, "--skip-invalid")
        assert r.code == 2 and r.out == "", (name, r)
        for needle in needles:
            assert needle in r.err, (name, needle, r.err)
    r = ctl("import", "missing.csv")
    assert r.code == 2 and "missing.csv" in r.err
    assert ctl.count() == (0, 0)


@pytest.mark.slow
def test_a_100000_row_import_completes(ctl: Ctl) -> None:
    ctl.store(_accounts)
    lines = ["account_id,topic,keywords,priority,auto_approve"]
    lines += [f'1,"批量选题 {i}","AI,bench",{i % 11},{"true" if i % 2 else "false"}' for i in range(100_000)]
    write(ctl, "big.csv", "\r\n".join(lines) + "\r\n")
    r = ctl("import", "big.csv", "--format", "json")
    assert r.code == 0, r.err[-2000:]
    report = r.json()
    assert isinstance(report, dict) and report["imported"] == 100_000 and len(set(report["task_ids"])) == 100_000
    assert ctl.count() == (100_000, 100_000)
    assert ctl.rows("SELECT topic, priority, auto_approve FROM content_generation_tasks ORDER BY id DESC LIMIT 1") == [
        ("批量选题 99999", 99_999 % 11, 1)]


def test_gbk_files_from_excel_are_read_and_the_encoding_is_named(ctl: Ctl) -> None:
    ctl.store(_guide_accounts)
    write(ctl, "excel.csv", GUIDE_CSV.replace("\n", "\r\n").encode("gbk"))
    r = ctl("import", "excel.csv", lang=ZH)
    assert r.code == 0, r.err
    assert "GB18030/GBK" in r.out and "2" in r.out
    assert ctl.rows("SELECT topic, keywords FROM content_generation_tasks ORDER BY id") == [
        ("AI技术", "AI,机器学习"), ("区块链应用", "区块链,金融")]

    write(ctl, "utf8.csv", "\ufeff" + GUIDE_CSV)
    r = ctl("import", "utf8.csv", "--format", "json")
    assert r.code == 0 and r.json()["encoding"] == "utf-8"  # type: ignore[index]
    assert "(read as UTF-8)" in r.json()["message"]  # type: ignore[index]


def test_undecodable_lines_of_a_gbk_file_are_refused_with_their_line(ctl: Ctl) -> None:
    ctl.store(_guide_accounts)
    data = GUIDE_CSV.encode("gbk") + b"49,\xa1\xa1ok\xff,,5,true\n" + "49,最后一行,,5,true\n".encode("gbk")
    write(ctl, "broken.csv", data)
    r = ctl("import", "broken.csv", "--format", "json")
    assert r.code == 2, r.err
    report = r.json()
    assert isinstance(report, dict) and report["encoding"] == "gb18030"
    assert [(e["line"], e["reason"]) for e in report["errors"]] == [(4, "not_gb18030")]
    assert "line 4" in r.err and "GB18030" in r.err
    assert ctl.count() == (0, 0)
