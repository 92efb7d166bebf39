"""Settings come from the environment; production refuses development secrets."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from app.settings import INSECURE_SECRET, Settings

STRONG = "Xq7-dP2vLm9sT4wRbN8kZc1yHf6JgUeA0oQi3"
VAULT = "k1:" + base64.b64encode(bytes(range(7, 39))).decode()


def test_development_starts_with_the_default_secrets() -> None:
    assert Settings(environment="development").secret_key == INSECURE_SECRET


def test_production_refuses_the_default_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", vault_keys=VAULT)


def test_production_refuses_the_default_vault_keys() -> None:
    with pytest.raises(ValidationError, match="VAULT_KEYS"):
        Settings(environment="production", secret_key=STRONG)


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(environment="production", secret_key="short", vault_keys=VAULT)


@pytest.mark.parametrize(
    "weak", ["s" * 40, "abcdefghij" * 4, "password" * 5, "0123456789012345678901234567890123"]
)
def test_production_refuses_a_guessable_secret_key(weak: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY looks guessable"):
        Settings(environment="production", secret_key=weak, vault_keys=VAULT)


def test_production_refuses_a_guessable_vault_key() -> None:
    zeros = "k1:" + base64.b64encode(bytes(32)).decode()
    with pytest.raises(ValidationError, match="VAULT_KEYS: key 'k1' looks guessable"):
        Settings(environment="production", secret_key=STRONG, vault_keys=zeros)


def test_production_starts_with_its_own_secrets() -> None:
    settings = Settings(environment="production", secret_key=STRONG, vault_keys=VAULT)
    assert settings.secret_key == STRONG


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_PORT", "9100")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal:7233")
    settings = Settings()
    assert settings.api_port == 9100
    assert settings.temporal_target == "temporal:7233"


def test_the_default_database_is_sqlite_under_the_data_dir(tmp_path: object) -> None:
    settings = Settings(data_dir=tmp_path, database_url="")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path}/flowhold.db"


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="api_port"):
        Settings(api_port=70000)
