"""Which encoding a task CSV file is read in (domain/task_csv.py)."""

from __future__ import annotations

import codecs

from contenthub_async.domain.task_csv import TaskDefaults, parse_task_csv

CSV = "account_id,topic,keywords\n49,智能客服系统,\"AI,客服\"\n50,区块链应用,\n"


def topics(data: bytes) -> tuple[str, list[str], list[tuple[int, str]]]:
    parsed = parse_task_csv(data, TaskDefaults())
    return parsed.encoding, [task.topic for _, task in parsed.rows], [(p.line, p.reason) for p in parsed.problems]


def test_utf8_with_or_without_bom() -> None:
    assert topics(CSV.encode()) == ("utf-8", ["智能客服系统", "区块链应用"], [])
    assert topics(codecs.BOM_UTF8 + CSV.encode()) == ("utf-8", ["智能客服系统", "区块链应用"], [])


def test_gbk_and_gb18030_are_read_when_the_file_is_not_utf8() -> None:
    assert topics(CSV.encode("gbk")) == ("gb18030", ["智能客服系统", "区块链应用"], [])
    rare = CSV.replace("区块链应用", "𠀀字") # outside GBK: four bytes in GB18030
    assert topics(rare.encode("gb18030")) == ("gb18030", ["智能客服系统", "𠀀字"], [])


def test_a_bom_means_utf8_even_when_gb18030_would_read_it() -> None:
    data = codecs.BOM_UTF8 + CSV.encode("gbk")
    encoding, _, problems = topics(data)
    assert encoding == "utf-8" and [reason for _, reason in problems] == ["not_utf8", "not_utf8"]


def test_bad_lines_are_judged_against_the_encoding_most_lines_are_in() -> None:
    gbk = CSV.encode("gbk") + b"51,bad \xff byte,\n"
    assert topics(gbk) == ("gb18030", ["智能客服系统", "区块链应用"], [(4, "not_gb18030")])
    utf8 = CSV.encode() + b"51,caf\xe9 latin-1,\n"
    assert topics(utf8) == ("utf-8", ["智能客服系统", "区块链应用"], [(4, "not_utf8")])
