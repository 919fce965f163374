"""form, verify: application forms and certificate copies."""

from __future__ import annotations

import argparse
from pathlib import Path

from nagarik import db
from nagarik.catalog import store as catalog_store
from nagarik.citizens import documents


def register(commands: argparse._SubParsersAction) -> None:
    form = commands.add_parser("form", help="write a service's application form as a PDF")
    form.add_argument("service", metavar="SERVICE_KEY")
    form.add_argument("--out", metavar="PATH", help="default: SERVICE_KEY_application_form.pdf")
    form.set_defaults(func=write_form)
    check = commands.add_parser("verify", help="what a certificate code shows; with --pdf, whether that file is the copy issued")
    check.add_argument("code")
    check.add_argument("--pdf", metavar="PATH")
    check.set_defaults(func=verify)


def write_form(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        out = Path(args.out or documents.form_filename(args.service))
        out.write_bytes(documents.form_pdf(catalog_store.current_catalog(session), args.service))
    print(f"wrote {out}")


def verify(args: argparse.Namespace) -> int:
    with db.session_scope() as session:
        found = documents.verify(session, args.code)
        if found is None:
            print(f"no certificate with code {args.code}")
            return 1
        for key, value in found.items():
            print(f"{key}: {value}")
        if not args.pdf:
            return 0
        genuine = documents.verify_pdf(session, args.code, Path(args.pdf).read_bytes())
    print(f"{args.pdf}: {'matches the copy issued' if genuine else 'DOES NOT match the copy issued'}")
    return 0 if genuine else 1
