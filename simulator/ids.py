"""Identifiers shaped like Meta's: wamids, media ids, template ids."""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets

_serial = itertools.count(1)


def wamid(party: str) -> str:
    """A unique `wamid.` id. Meta's are base64 of a small protobuf naming the other party, so a
    12-digit number gives the familiar "wamid.HBgM..." prefix (and ids may contain + / =)."""
    who = party.encode("utf-8")[:200]
    inner = f"{next(_serial):06X}{secrets.token_hex(7).upper()}".encode()
    raw = b"\x1c\x18" + bytes([len(who)]) + who + b"\x15\x02\x00\x12\x18" + bytes([len(inner)]) + inner + b"\x00"
    return "wamid." + base64.b64encode(raw).decode("ascii")


def media_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def stable_id(*parts: str) -> str:
    """A numeric id derived from its parts, so template ids survive restarts."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return str(10**15 + int(digest[:15], 16) % (9 * 10**15))
