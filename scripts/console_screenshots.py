"""The README's screenshots of the officials' console (`make screenshots`; not part of `make test`).

    .venv/bin/python -m scripts.console_screenshots [--out docs/screenshots]

Builds a fresh SQLite database under var/screenshots/ from seed/screenshots.yml (sample rows
only: no demo or real-looking citizen), starts the console on a free port (harness.servers), signs
in per role in Debian's Chromium and saves a 1280x800 PNG of each main page, and one at 390 px.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select, update

from harness.ports import free_port
from harness.servers import PYTHON, ROOT, StartError, simulator_settings
from harness.servers import console as console_server
from nagarik import db
from nagarik.catalog.store import current_catalog
from nagarik.citizens import grievance_work, grievances, handoffs, subscriptions
from nagarik.conversations import consumer, events
from nagarik.db import models
from nagarik.outbound import broadcasts, live_handoffs
from nagarik.shared import clock
from nagarik.staff import accounts
from whatsapp.cloud.store import Store, outbox
from whatsapp.inbound import parse

SEED = ROOT / "seed" / "screenshots.yml"
WORK = ROOT / "var" / "screenshots"
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")  # Debian's (make chromium), never a download
WIDE, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
PASSWORD = secrets.token_urlsafe(24)  # this run's accounts only; the database is thrown away
SUPERVISOR, OFFICER, BROADCASTER = "sample-supervisor", "sample-health-officer", "sample-broadcaster"


def ago(item: dict[str, Any], now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=item.get("days_ago", 0), minutes=item.get("minutes_ago", 0))


# --- the rows -----------------------------------------------------------------------------------


class Rows:
    """seed/screenshots.yml written into the database and the channel's store, as the services write them."""

    def __init__(self, database_url: str, store: Store, seed: dict[str, Any]) -> None:
        self.url, self.store, self.seed = database_url, store, seed
        self.now = clock.utcnow()
        self.wamids = 0

    def load(self) -> None:
        with db.session_scope(self.url) as session:
            for item in self.seed["officials"]:
                accounts.create(session, item["username"], item["role"], PASSWORD, item.get("departments"))
            self.subscribers(session, self.seed["subscribers"])
            for item in [*self.seed["handoffs"], *self.seed["conversations"]]:
                self.citizen(session, item["phone"], item["language"], item.get("ward"))
        for item in self.seed["grievances"]:
            self.grievance(item)
        for item in self.seed["handoffs"]:
            self.handoff(item)
        for item in self.seed["conversations"]:
            self.conversation(item)
        for item in self.seed["broadcasts"]:
            self.broadcast(item)

    def citizen(self, session: Any, phone: str, language: str, ward: str | None, topics: tuple[str, ...] = ()) -> None:
        subscriptions.notice_shown(session, phone)
        for topic in topics:
            subscriptions.subscribe(session, phone, topic)
        if ward:
            subscriptions.set_ward(session, phone, ward)
        session.get(models.Citizen, phone).language = language

    def subscribers(self, session: Any, given: dict[str, Any]) -> None:
        first, languages = int(given["first_phone"]), given["languages"]
        for number in range(given["count"]):
            self.citizen(session, str(first + number), languages[number % len(languages)], given["ward"], tuple(given["topics"]))

    def official(self, session: Any, username: str) -> models.Official:
        return session.execute(select(models.Official).where(models.Official.username == username)).scalar_one()

    def grievance(self, item: dict[str, Any]) -> None:
        filed = ago(item, self.now)
        with db.session_scope(self.url) as session:
            self.citizen(session, item["phone"], item["language"], None)
            found = grievances.file_grievance(
                session, current_catalog(session), phone=item["phone"], category=item["category"],
                description=item["description"], location=item["location"], language=item["language"], now=filed,
            ).grievance  # fmt: skip
            officer = self.official(session, OFFICER)
            worker = grievance_work.Worker(officer, lambda official, grievance: True, self.moved)
            with clock.frozen(filed + dt.timedelta(hours=2)):
                if item.get("acknowledged"):
                    grievance_work.acknowledge(session, worker, found)
                if item.get("assignee"):
                    grievance_work.assign(session, worker, found, self.official(session, item["assignee"]))
            with clock.frozen(filed + dt.timedelta(hours=26)):
                if item.get("note"):
                    grievance_work.add_note(session, worker, found, item["note"])
                if item.get("status"):
                    grievance_work.change_status(session, worker, found, item["status"], item.get("remark", ""))

    @staticmethod
    def moved(session: Any, tracking_id: str, status: str, note: str, *, by: str, actor: str = "official") -> None:
        """A status change without the citizen's message (nobody sends anything here)."""
        grievances.change_status(session, tracking_id, status, note, by=by, actor=actor)

    def inbound(self, phone: str, text: str, at: dt.datetime) -> None:
        """The citizen's message as the channel stored it (the handoff thread and the dashboard read these)."""
        self.wamids += 1
        moment = int(clock.epoch_of(at))
        message = {"from": phone, "id": f"wamid.sample{self.wamids}", "timestamp": str(moment), "type": "text",
                   "text": {"body": text}}  # fmt: skip
        value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "SAMPLE"},
                 "contacts": [{"wa_id": phone, "profile": {"name": "Sample"}}], "messages": [message]}  # fmt: skip
        body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}
        self.store.accept(parse(body, phone_number_id="SAMPLE"), now=moment)

    def outbound(self, phone: str, text: str, at: dt.datetime) -> None:
        """The assistant's reply as the channel recorded it, at the time given."""
        self.wamids += 1
        wamid = f"wamid.sample-out{self.wamids}"
        self.store.record_send(recipient=phone, body={"type": "text", "text": {"body": text}}, state="accepted", wamid=wamid)
        with self.store.engine.begin() as connection:
            connection.execute(update(outbox).where(outbox.c.wamid == wamid).values(created_at=clock.epoch_of(at), status="read"))

    def handoff(self, item: dict[str, Any]) -> None:
        asked = ago(item, self.now)
        for turn in item["thread"]:
            if turn["who"] == "citizen":
                self.inbound(item["phone"], turn["text"], ago(turn, self.now))
            elif turn["who"] == "assistant":
                self.outbound(item["phone"], turn["text"], ago(turn, self.now))
        with db.session_scope(self.url) as session:
            handoff = handoffs.request_handoff(session, item["phone"], item["language"], item["asked"], now=asked).handoff
            if not item.get("taken_by"):
                return
            officer = self.official(session, item["taken_by"])
            with clock.frozen(asked + dt.timedelta(minutes=3)):
                live_handoffs.take(session, self.store, handoff, officer)
            for turn in item["thread"]:
                if turn["who"] == "officer":
                    with clock.frozen(ago(turn, self.now)):
                        reply = live_handoffs.reply(session, handoff, officer, turn["text"])
                        broadcasts.materialize(session, reply)
                    session.execute(update(models.BroadcastRecipient).where(models.BroadcastRecipient.broadcast_id == reply.id)
                                    .values(state="sent", status="read"))  # fmt: skip

    def conversation(self, item: dict[str, Any]) -> None:
        """Rasa's events for the conversation (as its SQL event broker stores them), read by the console's consumer."""
        at = ago(item, self.now)
        raw: list[dict[str, Any]] = [{"event": "session_started"}]
        for number, turn in enumerate(item["turns"]):
            moment = at + dt.timedelta(seconds=20 * number)
            if "user" in turn:
                intent = {"name": turn["intent"], "confidence": turn["confidence"]}
                raw.append({"event": "user", "text": turn["user"], "parse_data": {"intent": intent, "entities": []}})
                self.inbound(item["phone"], turn["user"], moment)
            elif "bot" in turn:
                buttons = [
                    {"title": title, "payload": f'/choose{{"option": {n}}}'} for n, title in enumerate(turn.get("buttons", []))
                ]
                raw.append({"event": "bot", "text": turn["bot"], "data": {"buttons": buttons} if buttons else {}})
                self.outbound(item["phone"], turn["bot"], moment)
            else:
                raw.append({"event": "action", "name": turn["action"]})
            raw[-1].update(sender_id=item["phone"], timestamp=clock.epoch_of(moment))
        raw[0].update(sender_id=item["phone"], timestamp=clock.epoch_of(at) - 1)
        read = [events.read(json.dumps(event, ensure_ascii=False)) for event in raw]
        with db.session_scope(self.url) as session:
            consumer.apply(session, [event for event in read if event is not None])

    def broadcast(self, item: dict[str, Any]) -> None:
        with db.session_scope(self.url) as session, clock.frozen(ago(item, self.now)):
            audience = broadcasts.Audience(tuple(item.get("wards", ())), tuple(item.get("topics", ())))
            sent = broadcasts.create(session, kind=item["kind"], texts=item["texts"], audience=audience, created_by=item["by"])
            broadcasts.materialize(session, sent)
            row = models.BroadcastRecipient
            ids = list(session.execute(select(row.id).where(row.broadcast_id == sent.id).order_by(row.id)).scalars())
            for state, count in item["copies"].items():
                chosen, ids = ids[:count], ids[count:]
                values = {"state": "failed", "error_code": 131026} if state == "failed" else (
                    {"state": "sent", "status": None if state == "sent" else state} if state != "queued" else {})  # fmt: skip
                if values:
                    session.execute(update(row).where(row.id.in_(chosen)).values(**values))


# --- the pictures -------------------------------------------------------------------------------


def chromium_path() -> str:
    for path in CHROMIUM:
        if os.access(path, os.X_OK):
            return path
    sys.exit("Debian's chromium is missing: run `make chromium` (deploy/install-chromium, as root)")


@contextmanager
def signed_in(browser: Browser, base_url: str, username: str, viewport: dict[str, int] = WIDE) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")
    try:
        yield page
    finally:
        context.close()


def shoot(page: Page, path: str, out: Path, name: str, focus: str = "") -> None:
    """A PNG of the viewport; `focus` (a selector) is scrolled to the middle of it first."""
    if path:
        page.goto(path)
    page.wait_for_load_state("networkidle")
    if focus:
        page.locator(focus).first.evaluate("element => element.scrollIntoView({block: 'center'})")
    page.screenshot(path=out / f"{name}.png")
    print(f"  {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/{name}.png")


def pictures(browser: Browser, base_url: str, database_url: str, out: Path) -> None:
    with db.session_scope(database_url) as session:
        grievance = session.execute(select(models.Grievance.tracking_id).where(models.Grievance.status == "in_progress")).scalar()
        live = session.execute(select(models.Handoff.reference).where(models.Handoff.status == "taken")).scalar()
        conversation = session.execute(select(models.Conversation.id).order_by(models.Conversation.started_at.desc())).scalar()
        broadcast = session.execute(select(models.Broadcast.id).where(models.Broadcast.kind == "announcement")).scalar()
    with signed_in(browser, base_url, OFFICER) as page:
        shoot(page, "/console/grievances", out, "grievances")
        shoot(page, f"/console/grievances/{grievance}", out, "grievance")
        shoot(page, "/console/handoffs", out, "handoffs")
        shoot(page, f"/console/handoffs/{live}", out, "handoff", "form.reply")
    with signed_in(browser, base_url, OFFICER, PHONE) as page:
        shoot(page, f"/console/handoffs/{live}", out, "handoff-phone", "form.reply")
    with signed_in(browser, base_url, SUPERVISOR) as page:
        shoot(page, "/console/conversations", out, "conversations")
        shoot(page, f"/console/conversations/{conversation}", out, "conversation")
        shoot(page, "/console/dashboard", out, "dashboard")
    with signed_in(browser, base_url, BROADCASTER) as page:
        page.goto("/console/broadcasts/new")
        page.fill("textarea[name=text_en]", "Low water pressure in Jayanagar on Sunday morning while the tank is cleaned.")
        page.check("input[name=wards][value=jayanagar]")
        page.check("input[name=topics][value=water_supply]")
        expect(page.locator("#audience-size strong")).to_have_text("40")  # the count the box updated
        shoot(page, "", out, "broadcast-compose", ".audience")
        shoot(page, f"/console/broadcasts/{broadcast}", out, "broadcast-progress", "#progress")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (default docs/screenshots)")
    out = parser.parse_args().out.resolve()
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "samples").mkdir(parents=True)
    for name in ("applications.yml", "citizen_dates.yml"):  # no sample applications or dates at all
        (WORK / "samples" / name).write_text("[]\n", encoding="utf-8")
    database_url = f"sqlite:///{WORK / 'nagarik.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "WHATSAPP_STORE_URL": f"sqlite:///{WORK / 'whatsapp.db'}",
           "NAGARIK_SAMPLE_DIR": str(WORK / "samples"), **simulator_settings(free_port())}  # fmt: skip
    env.pop("NAGARIK_API_TOKENS", None)
    init = subprocess.run([PYTHON, "-m", "nagarik", "init"], cwd=ROOT, env=env, capture_output=True, text=True)
    if init.returncode:
        sys.exit(f"python -m nagarik init failed:\n{init.stderr}")
    os.environ.update(env)  # this process's services (the channel's store, the catalog) use the same files
    Rows(database_url, Store(env["WHATSAPP_STORE_URL"]), yaml.safe_load(SEED.read_text(encoding="utf-8"))).load()
    port = free_port()
    server = console_server(port, env, WORK / "console.log")
    try:
        server.start()
    except StartError as exc:
        sys.exit(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    print(f"==> screenshots of the console (rows: {SEED.relative_to(ROOT)})")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
            try:
                pictures(browser, f"http://127.0.0.1:{port}", database_url, out)
            finally:
                browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
