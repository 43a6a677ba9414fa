"""Settings: every ASSEMBLY_* variable validated with a one-line message naming it."""

from __future__ import annotations

import pytest

from assembly.settings import Settings, SettingsError, normalize_database_url


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.cors_origins == ()
    assert settings.max_request_body_bytes == 1_048_576


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgres://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+asyncpg://u@127.0.0.1:5433/x", "postgresql+asyncpg://u@127.0.0.1:5433/x"),
        ("postgresql://postgres@/db?host=/tmp/sock", "postgresql+asyncpg://postgres@/db?host=/tmp/sock"),
    ],
)
def test_postgres_urls_are_normalized_to_asyncpg(raw: str, expected: str) -> None:
    assert Settings.from_env({"ASSEMBLY_DATABASE_URL": raw}).database_url == expected


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"ASSEMBLY_DATABASE_URL": "sqlite:///x.db"}, "ASSEMBLY_DATABASE_URL: must be a PostgreSQL URL"),
        ({"ASSEMBLY_DATABASE_URL": "mysql://u@h/db"}, "got scheme 'mysql'"),
        ({"ASSEMBLY_DATABASE_URL": "not a url"}, "ASSEMBLY_DATABASE_URL"),
        ({"ASSEMBLY_DATABASE_URL": "postgresql://u@h:99999/db"}, "the port is not a number"),
        ({"ASSEMBLY_DATABASE_URL": "postgresql://u@h:5432"}, "names no database"),
        ({"ASSEMBLY_DATABASE_URL": "postgresql:///db"}, "names no host"),
        ({"ASSEMBLY_PORT": "eighty"}, "ASSEMBLY_PORT: must be a whole number"),
        ({"ASSEMBLY_PORT": "0"}, "ASSEMBLY_PORT: must be between 1 and 65535"),
        ({"ASSEMBLY_WORKERS": "1000"}, "ASSEMBLY_WORKERS"),
        ({"ASSEMBLY_SECRET_KEY": "short"}, "ASSEMBLY_SECRET_KEY: must be at least 32"),
        ({"ASSEMBLY_LOG_FORMAT": "xml"}, "ASSEMBLY_LOG_FORMAT: must be one of json, console"),
        ({"ASSEMBLY_LOG_LEVEL": "loud"}, "ASSEMBLY_LOG_LEVEL"),
        ({"ASSEMBLY_HSTS": "maybe"}, "ASSEMBLY_HSTS: must be true or false"),
        ({"ASSEMBLY_CORS_ORIGINS": "example.org"}, "ASSEMBLY_CORS_ORIGINS: 'example.org' is not an origin"),
        ({"ASSEMBLY_MAX_REQUEST_BODY": "10"}, "ASSEMBLY_MAX_REQUEST_BODY: must be between"),
        ({"ASSEMBLY_ACCESS_TOKEN_TTL": "-5"}, "ASSEMBLY_ACCESS_TOKEN_TTL"),
        ({"ASSEMBLY_TRUSTED_PROXIES": "10.0.0.1, proxy.local"}, "'proxy.local' is not an IP address"),
    ],
)
def test_bad_values_give_one_line_naming_the_variable(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


def test_cors_origins_are_split_and_kept() -> None:
    settings = Settings.from_env({"ASSEMBLY_CORS_ORIGINS": "https://a.example, http://localhost:3000"})
    assert settings.cors_origins == ("https://a.example", "http://localhost:3000")


def test_secret_is_never_in_the_repr() -> None:
    settings = Settings.from_env({"ASSEMBLY_SECRET_KEY": "s" * 40})
    assert "sss" not in repr(settings)


def test_missing_url_and_secret_say_how_to_fix() -> None:
    settings = Settings.from_env({})
    with pytest.raises(SettingsError, match="ASSEMBLY_DATABASE_URL is not set"):
        settings.require_database_url()
    with pytest.raises(SettingsError, match="ASSEMBLY_SECRET_KEY is not set"):
        settings.require_secret_key()


def test_constructed_settings_normalize_too() -> None:
    assert Settings(database_url="postgresql://u@h/db").database_url == normalize_database_url("postgresql://u@h/db")
