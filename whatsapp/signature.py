"""The webhook's two secrets: X-Hub-Signature-256 on every POST, and the verify token of the
subscription handshake (GET). Both are compared in constant time, so timing tells nothing.

X-Hub-Signature-256 is the HMAC-SHA256 of the raw request bytes with the app secret. Meta signs
the bytes it sends (ASCII-escaped JSON), so the check must run on the raw body, before any
parsing or re-serialising.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

PREFIX = "sha256="
_HEX_LENGTH = 64


class SignatureCheck(enum.Enum):
    OK = "ok"
    MISSING = "missing"  # 401
    MALFORMED = "malformed"  # 401
    MISMATCH = "mismatch"  # 403

    @property
    def http_status(self) -> int:
        return {"ok": 200, "missing": 401, "malformed": 401, "mismatch": 403}[self.value]


def sign(body: bytes, secret: str) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check(header: str | None, body: bytes, secret: str) -> SignatureCheck:
    if not header:
        return SignatureCheck.MISSING
    digest = header[len(PREFIX) :] if header.startswith(PREFIX) else ""
    if len(digest) != _HEX_LENGTH or any(c not in "0123456789abcdefABCDEF" for c in digest):
        return SignatureCheck.MALFORMED
    if not hmac.compare_digest(sign(body, secret), PREFIX + digest.lower()):
        return SignatureCheck.MISMATCH
    return SignatureCheck.OK


def token_matches(given: str | None, expected: str) -> bool:
    """The handshake's hub.verify_token against ours. Compared as UTF-8 bytes: compare_digest takes
    str only when it is ASCII, and a token may be any text. Empty never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
