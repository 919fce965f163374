"""The console's broadcast pages."""

from __future__ import annotations

from fastapi import APIRouter

from nagarik.web.console import security

router = APIRouter(prefix=security.PREFIX)
