"""The gettext catalogs of contenthub-ctl: compiled files current, languages complete, keys used exist."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from string import Formatter
from types import ModuleType

import pytest

from contenthub_async.texts import messages

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "contenthub_async"


@lru_cache(maxsize=1)
def compiler() -> ModuleType:
    """scripts/compile-messages, imported as a module (its file name has no .py)."""
    loader = SourceFileLoader("compile_messages", str(ROOT / "scripts" / "compile-messages"))
    spec = spec_from_loader(loader.name, loader)
    assert spec is not None
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


def po_entries(lang: str) -> dict[str, str]:
    po = messages.LOCALE_DIR / lang / "LC_MESSAGES" / f"{messages.DOMAIN}.po"
    entries = compiler().parse_po(po.read_text(encoding="utf-8"), str(po))
    entries.pop("")  # the header
    return entries


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_committed_mo_files_are_compiled_from_the_po_files() -> None:
    tool = compiler()
    found = tool.catalogs(messages.LOCALE_DIR)
    assert sorted(p.parent.parent.name for p in found if p.stem == messages.DOMAIN) == sorted(messages.LANGUAGES)
    for po in found:
        assert po.with_suffix(".mo").read_bytes() == tool.compile_catalog(po), f"{po}: run scripts/compile-messages"


def test_both_languages_have_the_same_keys_and_fields() -> None:
    en, zh = po_entries("en"), po_entries("zh")
    assert set(en) == set(zh)
    for key in en:
        assert en[key] and zh[key], key
        # Chinese may also name the field in words ({field}); it never needs a value English lacks.
        assert fields_of(zh[key]) <= fields_of(en[key]) | {"field"}, key


def test_text_reads_the_compiled_catalogs_in_each_language() -> None:
    for lang in messages.LANGUAGES:
        for key, value in po_entries(lang).items():
            assert messages.catalog(lang).gettext(key) == value, (lang, key)
    assert messages.text("status.completed", "zh") == "已完成"
    assert messages.text("status.completed", "en") == "completed"
    assert messages.status_word("no-such-status", "zh") == "no-such-status"
    assert not messages.has_text("no.such.key")
    with pytest.raises(KeyError):
        messages.text("no.such.key", "en")


#: Calls that take a catalog key as their first, literal argument.
KEY_CALL = re.compile(r"\b(?:text|usage|CliError|Message|print_note|invalid_field)\(\s*\"([a-z_]+\.[a-z0-9_.]+)\"")


def test_every_literal_key_in_the_code_is_in_the_catalog() -> None:
    used = {
        (path.relative_to(SRC).as_posix(), key)
        for path in SRC.rglob("*.py")
        for key in KEY_CALL.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 50, "the scan finds the keys the commands use"
    missing = sorted((where, key) for where, key in used if not messages.has_text(key))
    assert missing == []


def test_malformed_po_is_refused_with_its_line() -> None:
    tool = compiler()
    with pytest.raises(tool.PoError, match=r"x.po:1: an entry needs exactly one msgid and one msgstr"):
        tool.parse_po('msgid "a"\n\nmsgstr "b"\n', "x.po")
    with pytest.raises(tool.PoError, match=r"x.po:4: duplicate msgid 'a'"):
        tool.parse_po('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', "x.po")
    assert tool.parse_po('# c\nmsgid "a"\nmsgstr ""\n"line\\n"\n"two \\"q\\""\n', "x.po") == {"a": 'line\ntwo "q"'}
