"""The production layout's settings check and rendered configs (deploy/), without starting it;
tests/attacks/test_proxy.py starts the whole deployment and attacks it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy import render, settings
from harness.servers import SIMULATOR_SETTINGS

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "WHATSAPP_ACCESS_TOKEN": "a" * 40,
        "WHATSAPP_APP_SECRET": "b" * 32,
        "WHATSAPP_VERIFY_TOKEN": "c" * 32,
        "WHATSAPP_PHONE_NUMBER_ID": "109876543210987",
        "WHATSAPP_API_URL": "https://graph.facebook.com/v21.0",
        "NAGARIK_ACTIONS_TOKEN": "d" * 32,
        "RASA_AUTH_TOKEN": "e" * 32,
        "NAGARIK_TLS": "off",
        "NAGARIK_RUN_DIR": str(tmp_path / "run"),
        "DATABASE_URL": "postgresql+psycopg2://nagarik@127.0.0.1/nagarik",
        "WHATSAPP_STORE_URL": "postgresql+psycopg2://nagarik@127.0.0.1/nagarik",
        "NAGARIK_QUEUE_URL": "redis://127.0.0.1:6379/0",
        **{name: "1" for name in settings.RASA_STORES},
        "TRACKER_DB_PASSWORD": "",
    }


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in (*settings.SECRETS, "DATABASE_URL", "WHATSAPP_STORE_URL", "NAGARIK_QUEUE_URL", "NAGARIK_PACING_URL"):
        monkeypatch.delenv(name, raising=False)
    env = production_env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_a_complete_environment_is_ready(production: dict[str, str]) -> None:
    assert settings.checks() == []


def test_nothing_set_names_every_missing_setting(production: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in production:
        monkeypatch.delenv(name)
    problems = "\n".join(settings.checks())
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "NAGARIK_ACTIONS_TOKEN", "RASA_AUTH_TOKEN", "DATABASE_URL"):
        assert name in problems
    assert "NAGARIK_TLS_CERTIFICATE" in problems  # TLS is on unless turned off


@pytest.mark.parametrize("name", ["WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"])
def test_the_simulators_public_secrets_are_refused(production: dict, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, SIMULATOR_SETTINGS[name])
    assert settings.checks() == [f"{name} is the local simulator's public value: set the real one"]


def test_the_examples_placeholders_and_short_secrets_are_refused(production: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_AUTH_TOKEN", "change-me-openssl-rand-hex-32-xxxxxxxx")
    monkeypatch.setenv("NAGARIK_ACTIONS_TOKEN", "short")
    problems = settings.checks()
    assert "RASA_AUTH_TOKEN is still the example's placeholder" in problems
    assert any(p.startswith("NAGARIK_ACTIONS_TOKEN must be set to a secret of at least 32") for p in problems)


def test_sqlite_is_refused_where_several_processes_share_a_database(production: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_STORE_URL", "sqlite:///var/whatsapp.db")
    assert any("WHATSAPP_STORE_URL" in p for p in settings.checks())


def test_the_demos_movable_clock_is_refused(production: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAGARIK_DEMO_CLOCK", "1")
    assert settings.checks() == ["NAGARIK_DEMO_CLOCK is the demo's movable clock: unset it (deadlines must run on real time)"]


def test_two_processes_on_one_port_are_refused(production: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAGARIK_RASA_PORT", "5054")
    monkeypatch.setenv("NAGARIK_RASA_PROCESSES", "2")  # 5054 and 5055, the action server's
    with pytest.raises(ValueError, match="share a port"):
        settings.layout()


def nginx_accepts(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(config.parent / "nginx")], capture_output=True, text=True)


def test_the_rendered_proxy_config_is_valid_nginx(production: dict[str, str], tmp_path: Path) -> None:
    written = render.render(settings.layout())
    config = tmp_path / "run" / "nginx.conf"
    assert config in written
    checked = nginx_accepts(config)
    assert checked.returncode == 0, checked.stderr
    text = config.read_text()
    assert "location = /webhooks/whatsapp/webhook" in text and "return 404;" in text
    assert "client_max_body_size 3m;" in text
    for secret in ("a" * 40, "b" * 32, "c" * 32, "d" * 32, "e" * 32):  # no secret reaches a rendered file
        assert not any(secret in path.read_text() for path in written)


def test_with_tls_the_proxy_uses_its_certificate(production: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=nagarik.test",
         "-keyout", str(key), "-out", str(certificate)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    monkeypatch.setenv("NAGARIK_TLS", "on")
    monkeypatch.setenv("NAGARIK_TLS_CERTIFICATE", str(certificate))
    monkeypatch.setenv("NAGARIK_TLS_KEY", str(key))
    render.render(settings.layout())
    config = tmp_path / "run" / "nginx.conf"
    assert "listen 443 ssl http2;" in config.read_text()
    checked = nginx_accepts(config)
    assert checked.returncode == 0, checked.stderr


def test_supervisor_runs_the_rasa_processes_asked(production: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAGARIK_RASA_PROCESSES", "3")
    render.render(settings.layout())
    text = (tmp_path / "run" / "supervisord.conf").read_text()
    assert "numprocs=3" in text and "numprocs_start=5010" in text
    assert "--interface 127.0.0.1" in text and "--auth-token=%(ENV_RASA_AUTH_TOKEN)s" in text


def test_production_credentials_have_the_whatsapp_channel_alone() -> None:
    channels = yaml.safe_load((render.ROOT / "credentials.yml").read_text())
    assert list(channels) == ["channels.whatsapp.WhatsAppInput"]  # no REST channel: it lets anyone write as anyone


def test_a_token_that_begins_with_a_dash_reaches_rasa_whole(tmp_path: Path) -> None:
    """secrets.token_urlsafe begins with "-" one time in 64; Rasa's parser then took it for an option."""
    from harness.servers import rasa_server

    server = rasa_server(5005, "endpoints.yml", {"RASA_AUTH_TOKEN": "-Ab3_xyz"}, tmp_path / "rasa.log")
    assert "--auth-token=-Ab3_xyz" in server.command


def test_the_rendered_endpoints_give_the_console_its_event_broker(
    production: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production's Rasa writes every event to a broker table in the tracker's database, and the
    workers, whose RASA_ENDPOINTS names the rendered file, read the console's conversations from it."""
    from sqlalchemy.engine import make_url

    from nagarik import settings as civic
    from nagarik.conversations import sources

    tracker = {"TRACKER_DB_HOST": "db.internal", "TRACKER_DB_PORT": "5433", "TRACKER_DB_NAME": "nagarik_conversations",
               "TRACKER_DB_USER": "nagarik", "TRACKER_DB_PASSWORD": "pass word/1"}  # fmt: skip
    for name, value in tracker.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NAGARIK_TRACKER_STORE_URL", raising=False)  # the workers' tracker: from the same settings
    render.render(settings.layout())
    rendered = tmp_path / "run" / "endpoints.yml"
    broker = yaml.safe_load(rendered.read_text())["event_broker"]
    assert broker["type"] == "channels.event_broker.BackgroundSQLEventBroker"
    assert broker["table"] != "events"  # the tracker's own table, in the same database
    assert "pass word/1" not in rendered.read_text() and broker["password"] == "${TRACKER_DB_PASSWORD}"

    workers = (tmp_path / "run" / "supervisord.conf").read_text().split("[program:workers]")[1].split("[program:")[0]
    assert f'environment=RASA_ENDPOINTS="{rendered}"' in workers
    monkeypatch.setenv(sources.ENDPOINTS_VARIABLE, str(rendered))
    source = sources.from_endpoints()
    assert isinstance(source, sources.SqlSource) and source.table_name == broker["table"]
    url, tracker_store = make_url(source.url), make_url(civic.tracker_store_url())
    assert url.get_backend_name() == "postgresql" and url.password == "pass word/1"
    for part in ("host", "port", "database", "username"):  # the database the tracker store is in
        assert getattr(url, part) == getattr(tracker_store, part)
    assert (url.host, url.port, url.database) == ("db.internal", 5433, "nagarik_conversations")
