"""Rows the staff and console tests share: officials and grievances made here, not from any seed."""

from __future__ import annotations

import datetime as dt

from nagarik import db
from nagarik.db import models
from nagarik.staff import accounts

PASSWORD = "correct horse battery staple"
START = dt.datetime(2030, 1, 7, 5, 0)  # a fixed moment, held with clock.frozen


def add_official(username: str, role: str, departments: list[str] | None = None, language: str = "en") -> int:
    with db.session_scope() as session:
        return accounts.create(session, username, role, PASSWORD, departments, language).id


def add_grievance(tracking_id: str, category: str, department: str, description: str = "Garbage not collected",
                  phone: str = "919876543210") -> None:
    with db.session_scope() as session:
        session.add(models.Grievance(
            tracking_id=tracking_id, phone=phone, category_key=category, department_key=department,
            description=description, location_text="9th main", location_key="9th main", ward_key="jayanagar",
            language="en", status="open", created_at=START, due_on=START.date() + dt.timedelta(days=3),
        ))
