"""Small but valid sample files, made in code, for the media citizens "send" (no downloads)."""

from __future__ import annotations

import base64
import struct
import zlib
from functools import cache


@cache
def png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (31, 111, 180)) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@cache
def jpeg() -> bytes:
    """An 8x8 mid-grey baseline JPEG. After the level shift every coefficient is zero, so one
    Huffman code per table ("0": DC difference 0, AC end-of-block) encodes the whole block."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes([1] * 64)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00"
    one_code = bytes([1] + [0] * 15)
    dht_dc = b"\xff\xc4" + struct.pack(">H", 20) + b"\x00" + one_code + b"\x00"
    dht_ac = b"\xff\xc4" + struct.pack(">H", 20) + b"\x10" + one_code + b"\x00"
    sos = b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00"
    scan = b"\x3f"  # bits "00" (DC 0, EOB), padded with ones
    return b"\xff\xd8" + jfif + dqt + sof + dht_dc + dht_ac + sos + scan + b"\xff\xd9"


@cache
def pdf(text: str = "Nagarik simulator sample document") -> bytes:
    stream = f"BT /F1 14 Tf 24 60 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 320 120] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packet: bytes, *, sequence: int, granule: int, flags: int, serial: int = 0x4E414741) -> bytes:
    assert len(packet) < 255  # one lacing value is enough for these tiny packets
    header = b"OggS" + struct.pack("<BBqIII", 0, flags, granule, serial, sequence, 0) + bytes([1, len(packet)])
    page = header + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


@cache
def ogg_opus() -> bytes:
    """A voice note as WhatsApp sends it (audio/ogg; codecs=opus): the two Opus header pages and one
    20 ms frame with no payload (decoded as silence)."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    vendor = b"nagarik-simulator"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    return (
        _ogg_page(head, sequence=0, granule=0, flags=0x02)
        + _ogg_page(tags, sequence=1, granule=0, flags=0x00)
        + _ogg_page(b"\xf8", sequence=2, granule=312 + 960, flags=0x04)
    )


@cache
def mp4() -> bytes:
    """An ISO base-media file (ftyp + empty mdat): right signature and MIME, no playable frames."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 0x200) + b"isommp41"
    return ftyp + struct.pack(">I", 8) + b"free" + struct.pack(">I", 8) + b"mdat"


@cache
def webp() -> bytes:
    """A 1x1 lossless WebP (the image browsers use to detect WebP support)."""
    return base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


# What a citizen's media message carries by default: MIME type, file maker, file name.
SAMPLES: dict[str, tuple[str, object, str]] = {
    "image": ("image/jpeg", jpeg, "photo.jpg"),
    "video": ("video/mp4", mp4, "video.mp4"),
    "voice": ("audio/ogg; codecs=opus", ogg_opus, "voice.ogg"),
    "audio": ("audio/ogg", ogg_opus, "audio.ogg"),
    "document": ("application/pdf", pdf, "document.pdf"),
    "sticker": ("image/webp", webp, "sticker.webp"),
}


def sample(kind: str) -> tuple[str, bytes, str]:
    mime, make, filename = SAMPLES[kind]
    return mime, make(), filename  # type: ignore[operator]
