"""Chinese output is Chinese: cyclopts' parser errors and help frame, pydantic's validation
messages and configuration errors, in the language LANGUAGE / LC_ALL / LC_MESSAGES / LANG select."""

from __future__ import annotations

import re

from tests.support.cli import EN, ZH, Ctl

COMMANDS = ("submit", "status", "list", "cancel", "retry", "import", "bulk-import", "cleanup", "content", "generate",
            "task", "account", "add", "disable", "enable", "scheduler", "create", "show", "history", "pause",
            "resume", "trigger", "delete", "update", "executions", "monitor", "metrics", "recent", "failed",
            "pending", "stats", "health", "db", "init", "version", "completion")

#: ASCII words that may stand in Chinese output: the program, option names, metavars and setting
#: names (capitals), identifiers (with _ . - or digits), the values an operator types, product and
#: command names.
ALLOWED = re.compile(r"^(contenthub-ctl|--?[a-z][a-z-]*|[A-Z][A-Z_]+|[a-z]*[_.\d-][a-z\d_.-]*|"
                     r"true|false|json|table|bash|zsh|fish|Ctrl-C|AI|ID|JSON|CSV|ContentHub|contenthubd|"
                     r"content-creator|(?:" + "|".join(COMMANDS) + "))$")


def english_words(output: str) -> list[str]:
    """Runs of two or more ASCII words (English prose) with a word outside ALLOWED; a lone word
    between Chinese ones (an identifier, a value) and command lines (``contenthub-ctl …``) are fine."""
    runs = re.findall(r"-*[A-Za-z][\w'.-]*(?: -*[A-Za-z][\w'.-]*)+", output)
    return [run for run in runs
            if not run.startswith("contenthub-ctl ") and not all(ALLOWED.match(word) for word in run.split())]


PARSE_ERRORS = [
    ("foo",),
    ("scheduler", "lst"),
    ("submit", "-a"),
    ("submit", "-t", "x"),
    ("list", "--limit", "x"),
    ("list", "--format", "xml"),
    ("list", "--statu", "x"),
    ("status",),
    ("status", "a", "b"),
    ("list", "--limit", "1", "--limit", "2"),
    ("retry", "--failed=maybe"),
]


def test_parser_errors_are_translated(ctl: Ctl) -> None:
    for args in PARSE_ERRORS:
        zh, en = ctl(*args, lang=ZH), ctl(*args, lang=EN)
        assert zh.code == en.code == 2 and zh.out == "", (args, zh)
        assert zh.err.startswith("contenthub-ctl: 错误：") and english_words(zh.err) == [], (args, zh.err)
        assert en.err.startswith("contenthub-ctl: error: "), (args, en.err)
    assert "（是否想输入 --status？）" in ctl("list", "--statu", "x", lang=ZH).err
    assert "缺少必需的参数 --account-id" in ctl("submit", "-t", "x", lang=ZH).err
    assert "--limit 的值「x」无效：应为整数" in ctl("list", "--limit", "x", lang=ZH).err


def test_help_frame_is_translated(ctl: Ctl) -> None:
    for args in (("--help",), ("submit", "--help"), ("status", "--help"), ("scheduler", "--help")):
        zh = ctl(*args, lang=ZH, env={"COLUMNS": "200"})
        assert zh.code == 0, zh.err
        for english in ("Usage:", "Commands", "Parameters", "Arguments", "[required]", "[default:", "[choices:",
                        "Display this message", "Display application version"):
            assert english not in zh.out, (args, english)
        assert zh.out.startswith("用法：contenthub-ctl"), zh.out
        assert english_words(zh.out) == [], (args, english_words(zh.out))
    submit = ctl("submit", "--help", lang=ZH, env={"COLUMNS": "200"}).out
    assert "[必填]" in submit and "[默认：5]" in submit and "[可选值：table, json]" in submit and "─ 参数 ─" in submit
    root = ctl("--help", lang=ZH, env={"COLUMNS": "200"}).out
    assert "─ 命令 ─" in root and "显示本帮助并退出。" in root and "显示版本号并退出。" in root
    assert "─ 位置参数 ─" in ctl("status", "--help", lang=ZH, env={"COLUMNS": "200"}).out
    en = ctl("submit", "--help", env={"COLUMNS": "200"}).out
    assert en.startswith("Usage: contenthub-ctl submit") and "[required]" in en and "[default: 5]" in en


def test_configuration_errors_are_translated(ctl: Ctl) -> None:
    cases = {
        "ASYNC_MAX_CONCURRENT_TASKS": ("0", "应大于或等于 1"),
        "WEBHOOK_URL": ("ftp://x", "应为 http:// 或 https:// 地址"),
        "CONTENTHUB_LOG_LEVEL": ("loud", "应为以下之一：debug, info, warning, error"),
        "CONTENTHUB_CREATOR_ENV": ("not json", "不是有效的 JSON"),
        "ASYNC_AUTO_APPROVE": ("perhaps", "应为 true 或 false"),
    }
    for name, (value, reason) in cases.items():
        r = ctl("list", lang=ZH, env={name: value})
        assert r.code == 2 and r.err.strip() == f"contenthub-ctl: 错误：配置项 {name} 无效：{reason}", r.err
    r = ctl("list", env={"ASYNC_AUTO_APPROVE": "perhaps"})
    assert r.code == 2 and r.err.strip() == "contenthub-ctl: error: invalid setting ASYNC_AUTO_APPROVE: must be true or false"


def test_scheduler_params_validation_is_translated(ctl: Ctl) -> None:
    cases = {
        '{"account_ids":[49],"priority":11}': "priority 无效：应小于或等于 10",
        '{"account_ids":[49,49]}': "account_ids 无效：不能包含重复的值",
        '{"account_ids":[49],"foo":1}': "foo 无效：不支持的参数",
        '{"account_ids":["a"]}': "account_ids.0 无效：应为整数",
        "{}": "account_ids 无效：必须提供",
    }
    for params, needle in cases.items():
        r = ctl("scheduler", "create", "--name", "x", "--type", "async_content_generation", "--cron", "0 8 * * *",
                "--params", params, lang=ZH)
        assert r.code == 2 and needle in r.err and english_words(r.err) == [], (params, r.err)
    r = ctl("scheduler", "create", "--name", "x", "--type", "async_content_generation", "--cron", "0 8 * * *",
            "--params", '{"account_ids":[49],"priority":11}')
    assert r.code == 2 and "priority: must be at most 10" in r.err


def test_language_environment_follows_gnu_gettext(ctl: Ctl) -> None:
    def language(**env: str) -> str:
        r = ctl("foo", lang=env.pop("LANG"), env=env)
        return "zh" if "错误" in r.err else "en"

    assert language(LANG="C.UTF-8", LANGUAGE="zh_CN:en") == "zh"
    assert language(LANG=EN, LANGUAGE="fr:zh_TW") == "zh"
    assert language(LANG=ZH, LANGUAGE="en") == "en"
    assert language(LANG=ZH, LANGUAGE="fr") == "en", "LANGUAGE naming none of ours: untranslated"
    assert language(LANG="C", LANGUAGE="zh") == "en", "C and POSIX ignore LANGUAGE"
    assert language(LANG="POSIX", LANGUAGE="zh") == "en"
    assert language(LANG=EN, LC_ALL="C", LANGUAGE="zh") == "en"
