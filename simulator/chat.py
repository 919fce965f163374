"""python -m simulator.chat --as 919876543210: chat with the assistant as a citizen, in a terminal.

Type to send text. Replies are printed as they arrive; buttons and list rows are numbered, and
typing a number taps that choice. Commands: /photo [caption], /location [lat lon], /voice,
/document, /help, /quit.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Any

import httpx

HELP = """Type a message and press Enter to send it as the citizen.
  <number>            tap a numbered button or list row of the latest reply (any of its lists)
  /photo [caption]    send a photo (a small sample JPEG)
  /location [lat lon] send a location (default: Bengaluru town hall)
  /voice              send a voice note
  /document           send a PDF document
  /help               this help
  /quit               leave (Ctrl-D works too)"""

DEFAULT_LOCATION = (12.9634, 77.5855)


def render(record: dict[str, Any], first: int = 1) -> list[str]:
    """The lines a citizen's phone would show for one message the business sent; its choices are
    numbered from `first` (the numbers continue over several messages of one reply)."""
    payload, kind = record.get("payload") or {}, record.get("type")
    lines: list[str] = []
    if kind == "text":
        lines.append(record.get("rendered", ""))
    elif kind in ("interactive", "template"):
        lines.append(record.get("rendered", ""))
        interactive = payload.get("interactive") or {}
        if interactive.get("type") == "list":
            lines.append(f"  ≡ {interactive.get('action', {}).get('button', 'Menu')}")
    elif kind in ("image", "video", "audio", "document", "sticker"):
        media = payload.get(kind) or {}
        source = media.get("link") or f"media {media.get('id')}"
        label = media.get("filename") or media.get("caption") or ""
        lines.append(f"[{kind}] {label} ({source})".replace("  ", " "))
    elif kind == "location":
        lines.append(f"[location] {record.get('rendered', '')}")
    elif kind == "reaction":
        emoji = (payload.get("reaction") or {}).get("emoji") or "(removed)"
        lines.append(f"[reacted {emoji} to your message]")
    elif kind == "contacts":
        lines.append(f"[contact card] {record.get('rendered', '')}")
    else:
        lines.append(f"[{kind}]")
    last_section = None
    for number, choice in enumerate(record.get("choices") or [], start=first):
        if choice.get("section") and choice["section"] != last_section:
            last_section = choice["section"]
            lines.append(f"  {last_section}")
        if choice["kind"] in ("button_reply", "list_reply", "button"):
            description = f" — {choice['description']}" if choice.get("description") else ""
            lines.append(f"  [{number}] {choice['title']}{description}")
        elif choice["kind"] == "url":
            lines.append(f"  ↗ {choice['title']}: {choice['url']}")
        else:
            lines.append(f"  ({choice['title']})")
    return lines


class Chat:
    def __init__(self, sim: str, wa_id: str, name: str | None, poll: float) -> None:
        self.client = httpx.Client(base_url=sim.rstrip("/"), timeout=10.0)
        self.wa_id = wa_id.lstrip("+")
        self.name = name
        self.poll = poll
        self.after = 0
        # Every choice of the latest reply, over all its messages (a ward list of 12 comes as two
        # lists; on WhatsApp either can be opened and tapped), as (message, choice).
        self.offered: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.replied = True  # the citizen wrote since the choices were offered: the next ones start again
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def show(self, lines: list[str]) -> None:
        with self.lock:
            sys.stdout.write("\r" + "\n".join(lines) + "\n> ")
            sys.stdout.flush()

    def poll_once(self) -> list[dict[str, Any]]:
        """Print the messages sent to this citizen since the last poll."""
        try:
            records = self.client.get("/_sim/sent", params={"to": self.wa_id, "after": self.after}).json()
        except (httpx.HTTPError, ValueError):
            return []  # the simulator restarting is not a reason to stop chatting
        for record in records:
            self.after = max(self.after, record["seq"])
            choices = record.get("choices") or []
            if choices and self.replied:
                self.offered, self.replied = [], False
            first = len(self.offered) + 1
            self.offered += [(record, choice) for choice in choices]
            lines = render(record, first)
            self.show([f"City Corporation › {line}" if i == 0 else line for i, line in enumerate(lines)])
        return records

    def watch(self) -> None:
        while not self.stop.is_set():
            self.poll_once()
            self.stop.wait(self.poll)

    def send(self, spec: dict[str, Any]) -> None:
        self.replied = True
        body = {"from": self.wa_id, **({"name": self.name} if self.name else {}), **spec}
        try:
            response = self.client.post("/_sim/inbound", json=body)
        except httpx.HTTPError as exc:
            self.show([f"(could not reach the simulator: {exc})"])
            return
        if response.status_code != 200:
            self.show([f"(simulator refused it: {response.text})"])

    def choose(self, number: int) -> bool:
        if not 1 <= number <= len(self.offered):
            return False
        record, choice = self.offered[number - 1]
        if choice["kind"] not in ("button_reply", "list_reply", "button"):
            return False
        if choice["kind"] == "button":
            self.send({"type": "button", "payload": choice["payload"], "text": choice["title"], "context": record["wamid"]})
        else:
            self.send({"type": choice["kind"], "id": choice["id"], "title": choice["title"], "context": record["wamid"]})
        return True

    def command(self, line: str) -> bool:
        """Handle one line; False means quit."""
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "/quit":
            return False
        if word == "/help":
            self.show(HELP.splitlines())
        elif word == "/photo":
            self.send({"type": "image", **({"caption": rest} if rest else {})})
        elif word == "/voice":
            self.send({"type": "audio", "voice": True})
        elif word == "/document":
            self.send({"type": "document", **({"caption": rest} if rest else {})})
        elif word == "/location":
            try:
                latitude, longitude = (float(part) for part in rest.split()) if rest else DEFAULT_LOCATION
            except ValueError:
                self.show(["usage: /location [lat lon], e.g. /location 12.97 77.59"])
            else:
                self.send({"type": "location", "latitude": latitude, "longitude": longitude})
        elif line.isdigit() and self.choose(int(line)):
            pass
        else:
            self.send({"type": "text", "text": line})
        return True

    def run(self) -> int:
        try:
            health = self.client.get("/_sim/health").json()
            # Start after what was already sent, so an old conversation is not replayed.
            sent = self.client.get("/_sim/sent", params={"to": self.wa_id}).json()
        except (httpx.HTTPError, ValueError) as exc:
            print(f"The simulator is not reachable at {self.client.base_url}: {exc}", file=sys.stderr)
            return 1
        self.after = max((record["seq"] for record in sent), default=0)
        business = health.get("display_phone_number")
        print(f"Chatting as +{self.wa_id} with {business} ({self.client.base_url}). /help for commands.")
        watcher = threading.Thread(target=self.watch, daemon=True)
        watcher.start()
        try:
            while True:
                line = input("> ").strip()
                if line and not self.command(line):
                    break
        except (EOFError, KeyboardInterrupt):
            print()
        finally:
            self.stop.set()
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.chat", description="Chat with the assistant as a citizen.")
    parser.add_argument("--as", dest="wa_id", required=True, help="the citizen's number, e.g. 919876543210")
    parser.add_argument("--sim", default=os.environ.get("SIM_URL", "http://127.0.0.1:5100"), help="the simulator's base URL")
    parser.add_argument("--name", default=None, help="the citizen's profile name")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between checks for replies")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):  # Kannada and Devanagari even on a misconfigured locale
        sys.stdout.reconfigure(encoding="utf-8", errors="replace")
    return Chat(args.sim, args.wa_id, args.name, args.poll).run()


if __name__ == "__main__":
    sys.exit(main())
