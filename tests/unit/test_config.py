from __future__ import annotations

from pathlib import Path

import pytest

from contenthub_async.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "ASYNC_MAX_CONCURRENT_TASKS", "ASYNC_AUTO_APPROVE", "CONTENTHUB_LOG_LEVEL",
                 "CONTENTHUB_CREATOR_ENV", "ASYNC_TASK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_original_documents() -> None:
    settings = load_settings()
    assert settings.DATABASE_URL == "sqlite:///data/contenthub.db"
    assert (settings.ASYNC_MAX_CONCURRENT_TASKS, settings.ASYNC_TASK_TIMEOUT, settings.ASYNC_POLL_INTERVAL) == (5, 1800, 30)
    assert settings.ASYNC_AUTO_APPROVE is True and settings.ASYNC_MAX_RETRIES == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ASYNC_MAX_CONCURRENT_TASKS", "many"),
        ("ASYNC_MAX_CONCURRENT_TASKS", "0"),
        ("ASYNC_AUTO_APPROVE", "perhaps"),
        ("DATABASE_URL", "mysql://x"),
        ("CONTENTHUB_LOG_LEVEL", "loud"),
        ("CONTENTHUB_CREATOR_ENV", "not json"),
        ("ASYNC_TASK_TIMEOUT", "-1"),
    ],
)
def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_dotenv_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ASYNC_MAX_CONCURRENT_TASKS=9\nCONTENTHUB_CREATOR_ENV={\"A\": \"b\"}\n")
    settings = load_settings()
    assert settings.ASYNC_MAX_CONCURRENT_TASKS == 9
    assert settings.CONTENTHUB_CREATOR_ENV == {"A": "b"}
