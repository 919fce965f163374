"""A citizen's media: fetched only when a complaint waits for it and within the daily quota; too
large, expired or refused files become one clear answer (never a retry); the bearer token goes
only to the media hosts. Over httpx's mock transport, and against the simulator's media routes."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.ports import free_port
from harness.servers import simulator, simulator_settings
from simulator import samples
from whatsapp.cloud import media
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.settings import WhatsAppSettings, origin
from whatsapp.cloud.store import Store
from whatsapp.inbound import InboundMessage

JPEG = samples.jpeg()
CITIZEN = "919800000001"
LOOKASIDE = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&hash=x"


def photo(wamid: str = "wamid.photo", media_id: str = "1234567890123456") -> InboundMessage:
    return InboundMessage(id=wamid, sender=CITIZEN, kind="media", raw_type="image", media_type="image", media_id=media_id)


class Meta:
    """Graph and its media host over a mock transport: what each request asked, and the answers."""

    def __init__(self, data: bytes = JPEG, *, url: str = LOOKASIDE, size: int | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.data, self.url = data, url
        self.size = len(data) if size is None else size
        self.lookup_status = 200
        self.download_status = 200
        self.redirect_to: str | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "graph.facebook.com":
            if self.lookup_status != 200:
                return httpx.Response(self.lookup_status, json={"error": {"code": 100, "message": "no such object"}})
            return httpx.Response(200, json={"url": self.url, "file_size": self.size, "mime_type": "image/jpeg"})
        if self.redirect_to and "redirected" not in str(request.url):
            return httpx.Response(302, headers={"Location": self.redirect_to})
        if self.download_status != 200:
            return httpx.Response(self.download_status, text="no")
        return httpx.Response(200, content=self.data)

    def hosts(self) -> list[str]:
        return [request.url.host for request in self.requests]


@pytest.fixture
def settings(tmp_path: Path) -> WhatsAppSettings:
    return WhatsAppSettings(
        access_token="secret-token",
        app_secret="app-secret",
        verify_token="verify",
        phone_number_id="100",
        api_url="https://graph.facebook.com/v21.0",
        store_url=f"sqlite:///{tmp_path / 'whatsapp.db'}",
        evidence_dir=tmp_path / "evidence",
        reopen_template=None,
        http_timeout=1.0,
        max_concurrent_turns=1,
    )


@pytest.fixture
def store(settings: WhatsAppSettings) -> Iterator[Store]:
    store = Store(settings.store_url)
    yield store
    store.engine.dispose()


async def receive(meta: Meta, store: Store, settings: WhatsAppSettings, message: InboundMessage | None = None, **kwargs):
    graph = GraphClient(settings, transport=httpx.MockTransport(meta.handle))
    try:
        return await media.receive_evidence(graph, store, settings, message or photo(), expected=kwargs.get("expected", True))
    finally:
        await graph.close()


def kept(settings: WhatsAppSettings) -> list[Path]:
    return sorted(settings.evidence_dir.glob("*")) if settings.evidence_dir.exists() else []


async def test_a_photo_for_a_complaint_is_kept_under_the_channels_own_name(store, settings):
    meta = Meta()
    received = await receive(meta, store, settings)
    assert received.kind == "media" and media.STORED_NAME.fullmatch(received.media_id)
    assert kept(settings) == [settings.evidence_dir / received.media_id]
    assert media.stored_evidence(received.media_id, settings.evidence_dir) == settings.evidence_dir / received.media_id
    assert store.media_fetched(CITIZEN) == (1, len(JPEG))
    assert all(r.headers["authorization"] == "Bearer secret-token" for r in meta.requests)


async def test_media_nobody_asked_for_is_not_downloaded_at_all(store, settings):
    meta = Meta()
    received = await receive(meta, store, settings, expected=False)
    assert (received.kind, received.media_type, received.media_id) == ("unsupported", media.NOT_EXPECTED, None)
    assert received.to_rasa_text() == '/inform{"media_type":"media_not_expected"}'
    assert meta.requests == [] and kept(settings) == [] and store.media_fetched(CITIZEN) == (0, 0)


async def test_over_the_daily_count_nothing_more_is_fetched(store, settings):
    settings = dataclasses.replace(settings, media_per_day=2)
    meta = Meta()
    for number in range(2):
        assert (await receive(meta, store, settings, photo(f"wamid.{number}"))).kind == "media"
    asked = len(meta.requests)
    received = await receive(meta, store, settings, photo("wamid.third"))
    assert received.media_type == media.OVER_QUOTA and len(meta.requests) == asked and len(kept(settings)) == 2
    someone_else = dataclasses.replace(photo("wamid.other"), sender="919800000002")
    assert (await receive(meta, store, settings, someone_else)).kind == "media"  # the quota is per citizen


async def test_over_the_daily_bytes_the_file_is_not_downloaded(store, settings):
    settings = dataclasses.replace(settings, media_bytes_per_day=len(JPEG) + 10)
    meta = Meta()
    assert (await receive(meta, store, settings, photo("wamid.1"))).kind == "media"
    received = await receive(meta, store, settings, photo("wamid.2"))
    assert received.media_type == media.OVER_QUOTA
    assert meta.hosts()[-1] == "graph.facebook.com"  # looked up (its size), never downloaded
    assert len(kept(settings)) == 1


async def test_a_retried_turn_counts_its_file_once(store, settings):
    meta = Meta()
    await receive(meta, store, settings, photo("wamid.same"))
    await receive(meta, store, settings, photo("wamid.same"))
    assert store.media_fetched(CITIZEN)[0] == 1


async def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(store, settings):
    meta = Meta(size=5 * 1024 * 1024 + 1)
    received = await receive(meta, store, settings)
    assert received.media_type == media.TOO_LARGE and meta.hosts() == ["graph.facebook.com"] and kept(settings) == []


async def test_a_file_bigger_than_its_lookup_said_is_cut_off_and_refused(store, settings):
    meta = Meta(JPEG + b"\0" * (5 * 1024 * 1024), size=len(JPEG))
    received = await receive(meta, store, settings)
    assert received.media_type == media.TOO_LARGE and kept(settings) == []


@pytest.mark.parametrize("status", [404, 410, 403])
async def test_an_expired_download_link_asks_for_the_file_again(store, settings, status):
    meta = Meta()
    meta.download_status = status
    received = await receive(meta, store, settings)  # an answer, not an exception the inbox would retry
    assert received.media_type == media.GONE and kept(settings) == []


async def test_media_meta_no_longer_has_asks_for_the_file_again(store, settings):
    meta = Meta()
    meta.lookup_status = 400  # Graph's "object does not exist" (code 100)
    assert (await receive(meta, store, settings)).media_type == media.GONE


async def test_a_lookup_without_a_url_asks_for_the_file_again(store, settings):
    assert (await receive(Meta(url=""), store, settings)).media_type == media.GONE


async def test_a_file_that_is_not_what_it_claims_is_refused(store, settings):
    received = await receive(Meta(b"MZ\x90\x00 an exe"), store, settings)
    assert received.media_type == media.REFUSED and kept(settings) == []
    assert store.media_fetched(CITIZEN)[0] == 1  # its bytes were fetched: they count


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_failing_media_host_is_left_to_the_inbox_to_retry(store, settings, status):
    meta = Meta()
    meta.download_status = status
    with pytest.raises(httpx.HTTPStatusError):
        await receive(meta, store, settings)


async def test_a_media_id_that_is_a_path_is_not_looked_up(store, settings):
    meta = Meta()
    received = await receive(meta, store, settings, photo(media_id="../../me/accounts"))
    assert received.media_type == media.REFUSED and meta.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/steal?mid=1",
        "http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",  # not https
        "https://lookaside.fbsbx.com:8443/whatsapp_business/attachments/?mid=1",
        "https://lookaside.fbsbx.com.attacker.example/x",
        "https://lookaside.fbsbx.com@attacker.example/x",
        "/whatsapp_business/attachments/?mid=1",  # relative: would go to api_url's host
        "not a url",
    ],
)
async def test_the_token_is_never_sent_off_the_media_hosts(store, settings, url, caplog):
    meta = Meta(url=url)
    with caplog.at_level(logging.WARNING, logger="whatsapp.cloud.graph"):
        received = await receive(meta, store, settings)
    assert received.media_type == media.REFUSED and kept(settings) == []
    assert meta.hosts() == ["graph.facebook.com"]  # the lookup only: nothing went to the URL
    assert any("not a media host" in record.getMessage() for record in caplog.records)
    assert "secret-token" not in caplog.text


async def test_a_redirect_off_the_media_hosts_is_not_followed(store, settings):
    meta = Meta()
    meta.redirect_to = "https://attacker.example/redirected"
    received = await receive(meta, store, settings)
    assert received.media_type == media.REFUSED and "attacker.example" not in meta.hosts()


async def test_a_redirect_within_the_media_hosts_is_followed(store, settings):
    meta = Meta()
    meta.redirect_to = "https://lookaside.fbsbx.com/redirected"
    assert (await receive(meta, store, settings)).kind == "media"
    assert meta.hosts() == ["graph.facebook.com", "lookaside.fbsbx.com", "lookaside.fbsbx.com"]


@pytest.mark.parametrize(
    "name",
    ["../../var/nagarik.db", "abc.jpg", "0" * 32 + ".exe", "0" * 32 + ".jpg/../x", "/etc/passwd", "0" * 32 + ".JPG", ""],
)
def test_only_names_the_channel_gives_are_evidence(tmp_path, name):
    assert media.stored_evidence(name, tmp_path) is None


def test_a_name_of_the_channels_form_is_evidence_only_if_its_file_is_there(tmp_path):
    name = "0123456789abcdef0123456789abcdef.jpg"
    assert media.stored_evidence(name, tmp_path) is None
    (tmp_path / name).write_bytes(JPEG)
    assert media.stored_evidence(name, tmp_path) == tmp_path / name


# --- against the simulator's media routes ---------------------------------------------------------


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "SIM_"))}
    env.update(simulator_settings(port))
    server = simulator(port, "http://127.0.0.1:9/none", env, tmp_path_factory.mktemp("sim") / "simulator.log").start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            yield client, simulator_settings(port)
    finally:
        server.stop()


def sim_settings(environment: dict[str, str], tmp_path: Path, monkeypatch) -> WhatsAppSettings:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WHATSAPP_STORE_URL", f"sqlite:///{tmp_path / 'whatsapp.db'}")
    monkeypatch.setenv("WHATSAPP_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return WhatsAppSettings.load()


def upload(client: httpx.Client, environment: dict[str, str]) -> str:
    answer = client.post(
        f"/v21.0/{environment['WHATSAPP_PHONE_NUMBER_ID']}/media",
        headers={"Authorization": f"Bearer {environment['WHATSAPP_ACCESS_TOKEN']}"},
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("photo.jpg", JPEG, "image/jpeg")},
    )
    answer.raise_for_status()
    return answer.json()["id"]


async def sim_receive(client, environment, tmp_path, monkeypatch, **config) -> InboundMessage:
    settings = sim_settings(environment, tmp_path, monkeypatch)
    client.post("/_sim/config", json={"media_url_ttl": 300, "media_url_host": None, **config}).raise_for_status()
    media_id = upload(client, environment)
    store, graph = Store(settings.store_url), GraphClient(settings)
    try:
        return await media.receive_evidence(graph, store, settings, photo(media_id=media_id), expected=True)
    finally:
        await graph.close()
        store.engine.dispose()
        client.post("/_sim/config", json={"media_url_ttl": 300, "media_url_host": None}).raise_for_status()


def test_the_launchers_simulator_settings_let_the_channel_fetch_from_the_simulator(sim, tmp_path, monkeypatch):
    _, environment = sim
    settings = sim_settings(environment, tmp_path, monkeypatch)
    assert origin(settings.api_url) in settings.media_hosts


async def test_a_photo_from_the_simulator_is_kept(sim, tmp_path, monkeypatch):
    received = await sim_receive(*sim, tmp_path, monkeypatch)
    assert received.kind == "media" and (tmp_path / "evidence" / received.media_id).read_bytes() == JPEG


async def test_an_expired_link_from_the_simulator_asks_for_the_file_again(sim, tmp_path, monkeypatch):
    received = await sim_receive(*sim, tmp_path, monkeypatch, media_url_ttl=0)
    assert received.media_type == media.GONE and not (tmp_path / "evidence").exists()


async def test_a_link_the_simulator_points_elsewhere_gets_no_token(sim, tmp_path, monkeypatch, server):
    """The unit test HTTP server stands in for a host off the list: it must see no request."""
    received = await sim_receive(*sim, tmp_path, monkeypatch, media_url_host=f"http://127.0.0.1:{server.port}")
    assert received.media_type == media.REFUSED and server.connections == 0
