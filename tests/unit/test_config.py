from __future__ import annotations

from pathlib import Path

import pytest

from contenthub_async.config import ConfigError, load_settings, unused_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "ASYNC_MAX_CONCURRENT_TASKS", "ASYNC_AUTO_APPROVE", "CONTENTHUB_LOG_LEVEL",
                 "CONTENTHUB_CREATOR_ENV", "ASYNC_TASK_TIMEOUT", "ASYNC_ENABLED", "ASYNC_CONTENT_GENERATION_ENABLED",
                 "ASYNC_AUTO_ADD_TO_POOL", "WEBHOOK_URL", "CREATOR_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_original_documents() -> None:
    settings = load_settings()
    assert settings.DATABASE_URL == "sqlite:///data/contenthub.db"
    assert (settings.ASYNC_MAX_CONCURRENT_TASKS, settings.ASYNC_TASK_TIMEOUT, settings.ASYNC_POLL_INTERVAL) == (5, 1800, 30)
    assert settings.ASYNC_AUTO_APPROVE is True and settings.ASYNC_MAX_RETRIES == 3
    assert settings.CREATOR_MODE == "async"


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
        ("CREATOR_MODE", "direct"),
        ("ASYNC_TASK_TIMEOUT", "1e300"),  # would overflow every deadline computed from it
        ("ASYNC_TASK_TIMEOUT", "inf"),
        ("ASYNC_POLL_INTERVAL", "nan"),
        ("CONTENTHUB_LEASE_SECONDS", "99999999999"),
        ("CONTENTHUB_RETRY_BACKOFF_MAX", "1e20"),
        ("CONTENTHUB_CREATOR_LIST_LIMIT", "99999999999999999999"),
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


@pytest.mark.parametrize(
    ("environment", "enabled"),
    [
        ({}, True),
        ({"ASYNC_ENABLED": "false"}, False),
        ({"ASYNC_ENABLED": "true"}, True),
        # Both set: processing runs only when both are true (a "false" in either wins).
        ({"ASYNC_ENABLED": "false", "ASYNC_CONTENT_GENERATION_ENABLED": "true"}, False),
        ({"ASYNC_ENABLED": "true", "ASYNC_CONTENT_GENERATION_ENABLED": "false"}, False),
    ],
)
def test_async_enabled_is_the_same_switch(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], enabled: bool
) -> None:
    for name in ("ASYNC_ENABLED", "ASYNC_CONTENT_GENERATION_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert load_settings().ASYNC_CONTENT_GENERATION_ENABLED is enabled


def test_auto_add_to_pool_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().ASYNC_AUTO_ADD_TO_POOL is True
    monkeypatch.setenv("ASYNC_AUTO_ADD_TO_POOL", "false")
    assert load_settings().ASYNC_AUTO_ADD_TO_POOL is False


@pytest.mark.parametrize("url", ["ftp://x", "x", "file:///tmp/hook", "https://"])
def test_webhook_url_must_be_http(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("WEBHOOK_URL", url)
    with pytest.raises(ConfigError, match="WEBHOOK_URL"):
        load_settings()


def test_webhook_url_http_and_https_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("http://hooks.example/x", "https://your-server.com/callback"):
        monkeypatch.setenv("WEBHOOK_URL", url)
        assert load_settings().WEBHOOK_URL == url


def test_unused_original_settings_are_named(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TASK_QUEUE_TYPE=auto\nREDIS_ENABLED=true\nASYNC_MAX_RETRIES=2\n")
    environ = {"ASYNC_WORKER_COUNT": "5", "REDIS_URL": "redis://localhost:6379/0", "PATH": "/bin"}
    assert unused_settings(environ, env_file) == ["ASYNC_WORKER_COUNT", "REDIS_ENABLED", "REDIS_URL", "TASK_QUEUE_TYPE"]
    assert unused_settings({"ASYNC_MAX_CONCURRENT_TASKS": "5"}, tmp_path / "none") == []


def test_creator_mode_is_async_or_sync_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATOR_MODE", " Sync ")
    assert load_settings().CREATOR_MODE == "sync"
    monkeypatch.setenv("CREATOR_MODE", "direct")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert refused.value.kind == "one_of" and refused.value.context == {"choices": "async, sync"}
