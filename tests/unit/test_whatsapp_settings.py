"""The channel's settings come from the environment; start-up names whatever is missing."""

import pytest

from nagarik.shared.log_privacy import mask
from whatsapp.cloud.settings import REQUIRED, MissingSettingError, WhatsAppSettings


def test_every_missing_setting_is_named(monkeypatch):
    for name in REQUIRED.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "token")
    with pytest.raises(MissingSettingError) as error:
        WhatsAppSettings.load()
    message = str(error.value)
    assert "WHATSAPP_ACCESS_TOKEN" not in message
    for name in ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_API_URL"):
        assert name in message


def test_credentials_file_values_win_and_defaults_fill_the_rest(monkeypatch):
    for name in REQUIRED.values():
        monkeypatch.setenv(name, "from-env")
    monkeypatch.delenv("WHATSAPP_MAX_CONCURRENT_TURNS", raising=False)
    settings = WhatsAppSettings.load({"api_url": "http://127.0.0.1:5100/v21.0/"})
    assert settings.api_url == "http://127.0.0.1:5100/v21.0" and settings.app_secret == "from-env"
    assert settings.max_concurrent_turns == 2 and settings.reopen_template == "conversation_reopen"


def test_phone_numbers_are_masked_in_logs():
    assert mask("919876543210") == "91******3210"
    assert "9876" not in mask("919876543210")


def test_the_workers_http_client_is_keepalive_unless_named(monkeypatch):
    for name in REQUIRED.values():
        monkeypatch.setenv(name, "from-env")
    monkeypatch.delenv("WHATSAPP_HTTP_CLIENT", raising=False)
    assert WhatsAppSettings.load().http_client == "keepalive"
    monkeypatch.setenv("WHATSAPP_HTTP_CLIENT", "aiohttp")
    assert WhatsAppSettings.load().http_client == "aiohttp"
    monkeypatch.setenv("WHATSAPP_HTTP_CLIENT", "requests")
    with pytest.raises(ValueError, match="WHATSAPP_HTTP_CLIENT must be one of keepalive, aiohttp, httpx"):
        WhatsAppSettings.load()


def test_media_goes_only_to_metas_hosts_unless_others_are_named(monkeypatch):
    for name in REQUIRED.values():
        monkeypatch.setenv(name, "from-env")
    monkeypatch.delenv("WHATSAPP_MEDIA_HOSTS", raising=False)
    assert WhatsAppSettings.load().media_hosts == ("https://graph.facebook.com:443", "https://lookaside.fbsbx.com:443")
    monkeypatch.setenv("WHATSAPP_MEDIA_HOSTS", "http://127.0.0.1:5100, Lookaside.FBSBX.com")
    assert WhatsAppSettings.load().media_hosts == ("http://127.0.0.1:5100", "https://lookaside.fbsbx.com:443")
    for wrong in ("ftp://files.example", "http://", "https://host:port"):
        monkeypatch.setenv("WHATSAPP_MEDIA_HOSTS", wrong)
        with pytest.raises(ValueError, match="WHATSAPP_MEDIA_HOSTS"):
            WhatsAppSettings.load()


def test_the_daily_media_quota_has_a_default_and_must_be_a_count(monkeypatch):
    for name in REQUIRED.values():
        monkeypatch.setenv(name, "from-env")
    monkeypatch.delenv("WHATSAPP_MEDIA_PER_DAY", raising=False)
    monkeypatch.setenv("WHATSAPP_MEDIA_BYTES_PER_DAY", "1000000")
    settings = WhatsAppSettings.load()
    assert (settings.media_per_day, settings.media_bytes_per_day) == (20, 1_000_000)
    monkeypatch.setenv("WHATSAPP_MEDIA_PER_DAY", "-1")
    with pytest.raises(ValueError, match="WHATSAPP_MEDIA_PER_DAY"):
        WhatsAppSettings.load()
