"""Forms and certificates as PDFs: a service's blank application form, and a digital copy of the
certificate for a completed application, with a code anyone can check at /verify/<code>.

The form is made from what the catalog already says (documents, fee, where to apply), so it never
disagrees with the chat. A certificate copy is recorded with the SHA-256 of the exact bytes sent,
so a bank or employer can tell a genuine copy from an edited one. The privacy check (number and
date of birth) is the caller's job, as for status lookups; the date of birth never goes in a PDF.

PDFs use the core Helvetica font (no font files to ship), so text is limited to Windows-1252:
the rupee sign becomes "Rs." and other characters outside it become "?".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlalchemy.orm import Session

from nagarik import settings
from nagarik.catalog.store import current_catalog
from nagarik.db import models
from nagarik.shared.catalog import Catalog, Service

COMPLETED_STAGE = "issued"
CODE_PREFIX = "NGK"
# No 0/O, 1/I/L or U: a code read out on the phone or typed from paper is not mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8  # 30**8, about 6.6e11 codes: not guessable one request at a time
FORM_CREATION_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)  # fixed: the same catalog gives the same bytes

# Characters the core font cannot show, spelled so that a printed copy still reads right.
_REPLACEMENTS = {"₹": "Rs. ", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " "}


class NotIssuedError(ValueError):
    """The application is not complete yet, so there is no certificate to copy."""

    def __init__(self, number: str, stage: str) -> None:
        super().__init__(f"application {number} is at stage '{stage}', not '{COMPLETED_STAGE}'")
        self.number = number
        self.stage = stage

    @property
    def stage_key(self) -> str:
        return self.stage


def form_filename(service_key: str) -> str:
    return f"{service_key}_application_form.pdf"


def verify_link(code: str) -> str:
    """The public page where anyone can check a certificate (printed on it and sent with it)."""
    return f"{settings.verify_url()}/{code}"


def certificate_filename(number: str) -> str:
    return f"certificate_{number}.pdf"


# --- the PDF pieces ---------------------------------------------------------------------------------


def _latin(text: str) -> str:
    """Text the core Helvetica font can draw (Windows-1252)."""
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return text.encode("cp1252", errors="replace").decode("cp1252")


class _Pdf(FPDF):
    def __init__(self, created: dt.datetime, title: str, author: str) -> None:
        super().__init__(format="A4")
        self.core_fonts_encoding = "cp1252"  # en dashes and curly quotes from the catalog are in it
        self.set_creation_date(created)
        self.set_title(_latin(title))
        self.set_author(_latin(author))
        self.set_creator("Nagarik")
        self.set_margins(18, 14, 18)
        self.set_auto_page_break(True, margin=14)
        self.add_page()

    def text_line(self, text: str, size: float = 10, style: str = "", align: str = "L", height: float | None = None) -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, height or size * 0.5, _latin(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.text_line(text, 11, "B")
        self.ln(1)

    def blank_field(self, label: str, lines: int = 1) -> None:
        """A label and a ruled line to write on."""
        self.set_font("Helvetica", "", 10)
        label_width = 48
        for line in range(lines):
            self.cell(label_width, 8, _latin(label) if line == 0 else "")
            self.cell(0, 8, "", border="B", new_x="LMARGIN", new_y="NEXT")

    def check_item(self, text: str) -> None:
        """An empty box to tick, then the item (wrapped under itself, not under the box)."""
        self.set_font("Helvetica", "", 10)
        y = self.get_y()
        self.rect(self.l_margin + 1, y + 1.2, 3.2, 3.2)
        self.set_x(self.l_margin + 7)
        self.multi_cell(0, 5.2, _latin(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(0.4)

    def label_value(self, label: str, value: str) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(48, 5.2, _latin(label))
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, 5.2, _latin(value), new_x="LMARGIN", new_y="NEXT")
        self.ln(0.8)

    def office_header(self, catalog: Catalog) -> None:
        office = catalog.office
        self.text_line(office.name["en"], 14, "B", "C", 7)
        self.text_line(office.address["en"], 9, "", "C", 4.5)
        contact = f"Phone {office.phone}" + (f"  |  {office.email}" if office.email else "")
        self.text_line(contact, 9, "", "C", 4.5)
        self.ln(2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(4)


def _service(catalog: Catalog, service_key: str) -> Service:
    service = catalog.service(service_key)
    if service is None:
        raise KeyError(f"no such service: {service_key}")
    return service


# --- the application form ---------------------------------------------------------------------------


def form_pdf(catalog: Catalog, service_key: str) -> bytes:
    """A blank application form for the service, in English. Raises KeyError for an unknown service."""
    service = _service(catalog, service_key)
    name = service.names["en"]
    pdf = _Pdf(FORM_CREATION_DATE, f"Application form: {name}", catalog.office.name["en"])
    pdf.office_header(catalog)
    pdf.text_line(f"Application form: {name}", 16, "B", "C", 8)
    pdf.text_line(f"Department: {catalog.department(service.department).name['en']}", 10, "", "C", 5)
    pdf.ln(2)
    pdf.text_line("Please write in capital letters. Attach self-attested copies of the documents listed below.", 9)

    pdf.heading("1. Applicant")
    pdf.blank_field("Full name")
    pdf.blank_field("Date of birth (DD/MM/YYYY)")
    pdf.blank_field("Address", lines=3)
    pdf.blank_field("Phone")
    pdf.blank_field("Ward")

    pdf.heading("2. Documents to attach (tick each one)")
    for document in service.documents["en"]:
        pdf.check_item(document)

    pdf.heading("3. About this service")
    pdf.label_value("Fee", service.fee["en"])
    pdf.label_value("Where to apply", service.where["en"])
    pdf.label_value("Processing time", service.processing_time["en"])
    pdf.label_value("Office hours", catalog.office.hours["en"])
    pdf.heading("4. Steps")
    for position, step in enumerate(service.steps["en"], start=1):
        pdf.text_line(f"{position}. {step}", 10, height=5.2)

    if pdf.get_y() > pdf.h - pdf.b_margin - 40:  # keep the declaration and its signature line together
        pdf.add_page()
    pdf.heading("5. Declaration")
    pdf.text_line("I declare that the information given above is true to the best of my knowledge.", 10, height=5.5)
    pdf.ln(7)
    pdf.set_font("Helvetica", "", 10)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.cell(half - 6, 6, "Signature: ______________________________")
    pdf.cell(half, 6, "Date: ____ / ____ / ________", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(6)
    pdf.text_line("For office use: Application number ______________   Received by ______________   Date __________", 8)
    return bytes(pdf.output())


# --- certificates -----------------------------------------------------------------------------------


def certificate_title(service: Service) -> str:
    name = service.names["en"]
    return name if "certificate" in name.lower() else f"{name}: certificate of completion"


def _new_code(session: Session) -> str:
    for _attempt in range(10):
        body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        code = f"{CODE_PREFIX}-{body[:4]}-{body[4:]}"
        if session.get(models.Certificate, code) is None:
            return code
    raise RuntimeError("could not find an unused certificate code")  # only if the code space were nearly full


def normalise_code(code: str) -> str | None:
    """'ngk 7f3k9qxa', '7F3K-9QXA' or 'NGK-7F3K-9QXA' -> 'NGK-7F3K-9QXA'; None if it cannot be a code."""
    cleaned = "".join(char for char in str(code).upper() if char.isascii() and char.isalnum())
    if len(cleaned) == len(CODE_PREFIX) + CODE_LENGTH and cleaned.startswith(CODE_PREFIX):
        cleaned = cleaned[len(CODE_PREFIX) :]
    if len(cleaned) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in cleaned):
        return None
    return f"{CODE_PREFIX}-{cleaned[:4]}-{cleaned[4:]}"


def _as_utc(now: dt.datetime | None) -> dt.datetime:
    """Aware UTC; a naive time is taken to be UTC, as the database stores it."""
    if now is None:
        return dt.datetime.now(dt.timezone.utc)
    return now.replace(tzinfo=dt.timezone.utc) if now.tzinfo is None else now.astimezone(dt.timezone.utc)


def certificate_pdf(catalog: Catalog, application: models.Application, code: str, issued_at: dt.datetime) -> bytes:
    """The certificate copy itself; `issued_at` is aware UTC and is shown as the office's local date."""
    service = _service(catalog, application.service_key)
    local_date = issued_at.astimezone(ZoneInfo(catalog.office.timezone)).date()
    title = certificate_title(service)
    pdf = _Pdf(issued_at, title, catalog.office.name["en"])
    pdf.set_subject(f"Verification code {code}")
    pdf.set_line_width(0.6)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.2)
    pdf.ln(4)
    pdf.office_header(catalog)
    pdf.ln(4)
    pdf.text_line(title.upper(), 18, "B", "C", 9)
    pdf.text_line("Digital copy", 10, "I", "C", 5)
    pdf.ln(8)
    pdf.text_line(
        f"This certifies that application {application.number} for {service.names['en']}, made by "
        f"{application.applicant_name}, has been completed and issued by the {catalog.office.name['en']}.",
        11,
        height=6,
    )
    pdf.ln(6)
    pdf.label_value("Applicant", application.applicant_name)
    pdf.label_value("Service", service.names["en"])
    pdf.label_value("Application number", application.number)
    pdf.label_value("Applied on", application.submitted_on.strftime("%d %b %Y"))
    pdf.label_value("Issue date", local_date.strftime("%d %b %Y"))
    pdf.label_value("Verification code", code)
    pdf.ln(8)
    pdf.text_line(f"Verify this copy at {verify_link(code)}", 11, "B", height=6)
    pdf.ln(2)
    pdf.text_line(
        "The verification page must show the same details. A copy changed after it was issued does not match "
        "the record kept for this code. Printed copies are valid with the verification code.",
        9,
        height=4.5,
    )
    return bytes(pdf.output())


def issue_certificate(
    session: Session, number: str, phone: str, now: dt.datetime | None = None
) -> tuple[models.Certificate, bytes]:
    """A new certificate copy for a completed application, recorded with its code and hash.

    The caller has already checked that `phone` may see this application. Raises KeyError for an
    unknown number and NotIssuedError (with the stage) when the application is not complete."""
    application = session.get(models.Application, number)
    if application is None:
        raise KeyError(f"no such application: {number}")
    if application.stage_key != COMPLETED_STAGE:
        raise NotIssuedError(number, application.stage_key)
    issued_at = _as_utc(now).replace(microsecond=0)
    code = _new_code(session)
    data = certificate_pdf(current_catalog(session), application, code, issued_at)
    certificate = models.Certificate(
        code=code,
        application_number=number,
        phone=phone,
        sha256=hashlib.sha256(data).hexdigest(),
        issued_at=issued_at.replace(tzinfo=None),
    )
    session.add(certificate)
    session.flush()
    return certificate, data


def verify(session: Session, code: str) -> dict[str, Any] | None:
    """What a copy with this code must show, or None for a code we never issued."""
    normal = normalise_code(code)
    certificate = session.get(models.Certificate, normal) if normal else None
    if certificate is None:
        return None
    application = session.get(models.Application, certificate.application_number)
    service = current_catalog(session).service(application.service_key)
    return {
        "code": certificate.code,
        "application_number": application.number,
        "service": service.names["en"] if service else application.service_key,
        "applicant_name": application.applicant_name,
        "issued_at": certificate.issued_at.replace(tzinfo=dt.timezone.utc).isoformat(),
    }


def verify_pdf(session: Session, code: str, data: bytes) -> bool:
    """Whether `data` is exactly the copy issued with this code."""
    normal = normalise_code(code)
    certificate = session.get(models.Certificate, normal) if normal else None
    if certificate is None:
        return False
    return hmac.compare_digest(certificate.sha256, hashlib.sha256(data).hexdigest())
