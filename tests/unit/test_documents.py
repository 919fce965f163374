"""Forms and certificates as PDFs: the form's content and stable bytes, certificates only for
completed applications, verification by code and by hash, the upload to the WhatsApp simulator
and the public /verify endpoint, both over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, func, select

from harness.ports import free_port
from nagarik import db
from nagarik.citizens import documents
from nagarik.citizens.document_upload import UploadError, document_message, upload_pdf
from nagarik.db import models
from nagarik.officials import cli
from tests.support import answers, wait_until
from whatsapp.cloud.graph import GraphClient
from whatsapp.cloud.settings import WhatsAppSettings
from whatsapp.limits import CAPTION

ROOT = Path(__file__).resolve().parents[2]
ISSUED = ("WC-2026-000318", "919900112233")  # seed/applications.yml: the sample at stage `issued`
NOW = dt.datetime(2026, 11, 20, 5, 30, tzinfo=dt.timezone.utc)
TOKEN = "test-access-token"
PHONE_ID = "100200300400500"
API_TOKEN = "test-token-documents"
CITIZEN = "919900112233"


@pytest.fixture(autouse=True)
def _verify_url_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAGARIK_VERIFY_URL", raising=False)


@pytest.fixture
def database_with_certificates(database: str) -> Iterator[str]:
    """The seeded database; certificates are removed afterwards (they refer to the applications
    the next test's fixture deletes)."""
    yield database
    with db.session_scope(database) as session:
        session.execute(delete(models.Certificate))


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages, whitespace collapsed (fpdf2 compresses page streams)."""
    parts: list[str] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        content = zlib.decompress(stream).decode("cp1252")
        parts += [re.sub(r"\\(.)", r"\1", text) for text in re.findall(r"\(((?:[^()\\]|\\.)*)\) Tj", content)]
    return " ".join(" ".join(parts).split())


def plain(text: str) -> str:
    return " ".join(text.replace("₹", "Rs. ").split())


def issue(number: str = ISSUED[0], phone: str = ISSUED[1], now: dt.datetime = NOW) -> tuple[str, bytes]:
    with db.session_scope() as session:
        certificate, data = documents.issue_certificate(session, number, phone, now=now)
        return certificate.code, data


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    wait_until(lambda: process.poll() is not None or answers(url), f"{url} to start")
    if process.poll() is not None:
        pytest.fail(f"{url} exited:\n{log.read_text(errors='replace')}")


# --- the application form ---------------------------------------------------------------------------


def test_form_has_the_office_the_service_its_documents_and_blank_fields(catalog):
    data = documents.form_pdf(catalog, "trade_licence")
    service = catalog.service("trade_licence")
    text = pdf_text(data)
    assert data.startswith(b"%PDF")
    assert f"Application form: {service.names['en']}" in text
    for document in service.documents["en"]:
        assert plain(document) in text
    assert plain(service.fee["en"]) in text
    assert plain(service.where["en"]) in text
    assert plain(service.processing_time["en"]) in text
    assert plain(catalog.office.address["en"]) in text
    for field in ("Full name", "Date of birth", "Address", "Phone", "Ward", "Signature", "Date:"):
        assert field in text
    assert "?" not in text  # nothing the core font could not draw (the catalog has no question marks)
    assert documents.form_filename("trade_licence") == "trade_licence_application_form.pdf"


def test_the_rupee_sign_is_spelled_out(catalog):
    fees = [service for service in catalog.services if "₹" in service.fee["en"]]
    assert fees, "the seed catalog has fees in rupees"
    text = pdf_text(documents.form_pdf(catalog, fees[0].key))
    assert "Rs. " in text and plain(fees[0].fee["en"]) in text


def test_the_same_catalog_gives_the_same_bytes(catalog):
    first = documents.form_pdf(catalog, "birth_certificate")
    assert documents.form_pdf(catalog, "birth_certificate") == first
    assert documents.form_pdf(catalog, "death_certificate") != first


def test_every_service_has_a_form(catalog):
    for service in catalog.services:
        text = pdf_text(documents.form_pdf(catalog, service.key))
        assert service.names["en"] in text
        assert "?" not in text, service.key  # every character of the English catalog can be drawn


def test_unknown_service(catalog):
    with pytest.raises(KeyError):
        documents.form_pdf(catalog, "moon_landing_permit")


# --- certificates -----------------------------------------------------------------------------------


def test_a_certificate_only_for_an_issued_application(database_with_certificates):
    with db.session_scope() as session:
        with pytest.raises(documents.NotIssuedError) as raised:
            documents.issue_certificate(session, "BC-2026-001234", "919876543210", now=NOW)
        assert raised.value.stage == "document_verification"
        with pytest.raises(documents.NotIssuedError) as raised:
            documents.issue_certificate(session, "CC-2026-002210", "917019283746", now=NOW)
        assert raised.value.stage == "rejected"
        with pytest.raises(KeyError):
            documents.issue_certificate(session, "XX-2026-999999", "919876543210", now=NOW)
        assert session.scalar(select(func.count()).select_from(models.Certificate)) == 0


def test_the_certificate_pdf_and_its_record(database_with_certificates):
    code, data = issue()
    assert re.fullmatch(r"NGK-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", code)
    text = pdf_text(data)
    assert data.startswith(b"%PDF")
    for expected in ("Suresh Kumar", "WC-2026-000318", "WATER CONNECTION", "20 Nov 2026", code):
        assert expected in text
    assert f"Verify this copy at http://127.0.0.1:5200/verify/{code}" in text
    assert "1979" not in text  # the date of birth (1979-12-01) stays out of the PDF
    with db.session_scope() as session:
        record = session.get(models.Certificate, code)
        assert record.application_number == "WC-2026-000318"
        assert record.phone == "919900112233"
        assert record.sha256 == hashlib.sha256(data).hexdigest()
        assert record.issued_at == NOW.replace(tzinfo=None)


def test_the_verify_address_comes_from_the_environment(database_with_certificates, monkeypatch):
    monkeypatch.setenv("NAGARIK_VERIFY_URL", "https://verify.example.gov.in/c/")
    code, data = issue()
    assert f"Verify this copy at https://verify.example.gov.in/c/{code}" in pdf_text(data)


def test_each_request_is_a_new_copy_with_its_own_code(database_with_certificates):
    first, first_pdf = issue()
    second, second_pdf = issue()
    assert first != second and first_pdf != second_pdf
    with db.session_scope() as session:
        assert documents.verify(session, first)["code"] == first
        assert documents.verify(session, second)["code"] == second


def test_verify_by_code_in_any_spelling(database_with_certificates):
    code, _ = issue()
    expected = {
        "code": code,
        "application_number": "WC-2026-000318",
        "service": "Water connection",
        "applicant_name": "Suresh Kumar",
        "issued_at": "2026-11-20T05:30:00+00:00",
    }
    with db.session_scope() as session:
        assert documents.verify(session, code) == expected
        for spelling in (code.lower(), code.replace("-", ""), f"  {code[:8]} {code[9:].lower()} ", code[4:]):
            assert documents.verify(session, spelling) == expected, spelling
        for unknown in ("NGK-2222-2222", "not a code", "", code[:-1], code + "Z"):
            assert documents.verify(session, unknown) is None, unknown


def test_verify_pdf_detects_a_changed_byte(database_with_certificates):
    code, data = issue()
    other, _ = issue()
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    with db.session_scope() as session:
        assert documents.verify_pdf(session, code, data)
        assert documents.verify_pdf(session, code.lower().replace("-", ""), data)
        assert not documents.verify_pdf(session, code, bytes(changed))
        assert not documents.verify_pdf(session, other, data)  # a genuine copy, but not of this code
        assert not documents.verify_pdf(session, "NGK-2222-2222", data)


def test_cli_form_and_verify(database_with_certificates, tmp_path, capsys):
    form = tmp_path / "form.pdf"
    assert cli.main(["form", "trade_licence", "--out", str(form)]) == 0
    assert "Trade licence" in pdf_text(form.read_bytes())
    assert cli.main(["form", "moon_landing_permit", "--out", str(tmp_path / "x.pdf")]) == 2
    code, data = issue()
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(data)
    assert cli.main(["verify", code.lower(), "--pdf", str(copy)]) == 0
    assert "Suresh Kumar" in capsys.readouterr().out
    copy.write_bytes(data[:-10] + b"x" + data[-9:])  # one byte of the trailer changed
    assert cli.main(["verify", code, "--pdf", str(copy)]) == 1
    assert "DOES NOT match" in capsys.readouterr().out
    assert cli.main(["verify", "NGK-2222-2222"]) == 1


# --- sending on WhatsApp ----------------------------------------------------------------------------


def test_document_message_keeps_within_whatsapp_limits():
    message = document_message("123", "certificate_WC-2026-000318.pdf", "Your certificate")
    assert message == {
        "type": "document",
        "document": {"id": "123", "filename": "certificate_WC-2026-000318.pdf", "caption": "Your certificate"},
    }
    long = document_message("123", "form.pdf", "word " * 400)["document"]["caption"]
    assert len(long) <= CAPTION and long.endswith("…")


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The WhatsApp Cloud API simulator as a subprocess on a free port; its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("simulator") / "simulator.log"
    command = [
        sys.executable, "-m", "simulator", "--port", str(port), "--webhook-url", "",
        "--access-token", TOKEN, "--phone-number-id", PHONE_ID, "--status-delay", "0.01",
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "SIM_"))}
    with log.open("wb") as handle:
        process = subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/_sim/health", process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def whatsapp_env(simulator: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    for name, value in {
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_APP_SECRET": "test-app-secret",
        "WHATSAPP_VERIFY_TOKEN": "test-verify-token",
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_API_URL": f"{simulator}/v21.0",
        "WHATSAPP_STORE_URL": f"sqlite:///{tmp_path / 'whatsapp.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    return simulator


def test_upload_and_send_a_form_through_the_simulator(whatsapp_env, catalog):
    data = documents.form_pdf(catalog, "trade_licence")
    filename = documents.form_filename("trade_licence")
    media_id = asyncio.run(upload_pdf(data, filename))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    info = httpx.get(f"{whatsapp_env}/v21.0/{media_id}", headers=headers, timeout=10).json()
    assert info["id"] == media_id
    assert info["mime_type"] == "application/pdf"
    assert info["sha256"] == hashlib.sha256(data).hexdigest()
    assert httpx.get(info["url"], headers=headers, timeout=10).content == data

    async def send() -> str | None:
        graph = GraphClient(WhatsAppSettings.load())
        try:
            result = await graph.send(CITIZEN, document_message(media_id, filename, "Application form: Trade licence"))
        finally:
            await graph.close()
        return result.wamid

    assert httpx.post(f"{whatsapp_env}/_sim/window/open", json={"wa_id": CITIZEN}, timeout=10).json()["open"] is True
    assert asyncio.run(send()) is not None
    sent = httpx.get(f"{whatsapp_env}/_sim/sent", params={"to": CITIZEN}, timeout=10).json()
    assert any(str(item).count(media_id) for item in sent)


def test_a_refused_upload_raises_a_clear_error(whatsapp_env, monkeypatch):
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "a-wrong-token")
    with pytest.raises(UploadError, match="HTTP 401"):
        asyncio.run(upload_pdf(b"%PDF-1.3 tiny", "form.pdf"))
    with pytest.raises(UploadError, match="empty"):
        asyncio.run(upload_pdf(b"", "form.pdf"))


# --- the verification endpoint ----------------------------------------------------------------------


@pytest.fixture
def api(database_with_certificates: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_with_certificates,
        "NAGARIK_API_TOKENS": f"{API_TOKEN}:documents-test:certificates",
        "NAGARIK_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
    }
    log = tmp_path / "api.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "nagarik.web", "--port", str(port)], cwd=ROOT, env=env, stdout=handle, stderr=handle
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/verify/x", process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_anyone_can_verify_a_code_over_http(api):
    code, _ = issue()
    with db.session_scope() as session:
        expected = documents.verify(session, code)
    public = httpx.get(f"{api}/verify/{code}", timeout=10)
    assert public.status_code == 200 and public.json() == expected
    assert httpx.get(f"{api}/verify/{code.lower().replace('-', '')}", timeout=10).json() == expected
    assert httpx.get(f"{api}/verify/NGK-2222-2222", timeout=10).status_code == 404
    assert httpx.get(f"{api}/api/certificates/{code}", timeout=10).status_code == 401  # officials' path needs a token
    official = httpx.get(f"{api}/api/certificates/{code}", headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10)
    assert official.status_code == 200 and official.json() == expected
    assert httpx.get(f"{api}/api/audience", timeout=10).status_code == 401  # the public path opens nothing else
