"""Polls and consultations: definitions, one answer per citizen, closing, results, the messages
(checked by the simulator's own validator, which stands for Meta), the chart, the CLI and the API."""

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from nagarik import db
from nagarik.db import models
from nagarik.officials import cli
from nagarik.outbound import broadcasts, poll_chart, polls
from nagarik.outbound.broadcasts import Audience
from nagarik.outbound.messages import message_body
from nagarik.shared import clock
from simulator.media import MediaStore
from simulator.templates import TemplateRegistry
from simulator.validation import validate_send
from tests.support import add_subscriber
from tests.unit.test_api import api  # noqa: F401 (the API server fixture)
from whatsapp import limits

ROOT = Path(__file__).resolve().parents[2]
PARK = ROOT / "config" / "polls" / "park_hours_jayanagar.yml"  # 4 options: a list
MARKET = ROOT / "config" / "polls" / "sunday_market_basavanagudi.yml"  # 3 options: reply buttons
REGISTRY = TemplateRegistry.load(ROOT / "config" / "templates.yml")
NOW = clock.utcnow()


def make_poll(session, path=MARKET, **overrides) -> models.Poll:
    arguments = {**polls.load_definition(path), "audience": Audience(wards=("jayanagar",)), "created_by": "test", **overrides}
    return polls.create(session, **arguments)


def reached(session, poll: models.Poll, *phones: str, state: str = "sent") -> None:
    """The poll's copies reached these citizens (only they may answer)."""
    for phone in phones:
        session.add(models.BroadcastRecipient(broadcast_id=poll.broadcast_id, phone=phone, language="en", state=state))
    session.flush()


def accepted_by_meta(body: dict) -> list[dict]:
    """Send the body through the simulator's checks; what the citizen can tap."""
    return validate_send(
        {"messaging_product": "whatsapp", "to": "919000000001", **body}, templates=REGISTRY, media=MediaStore()
    ).choices


# --- definitions ------------------------------------------------------------------------------


def test_the_example_definitions_load():
    park, market = polls.load_definition(PARK), polls.load_definition(MARKET)
    assert [o["key"] for o in park["options"]] == ["as_now", "earlier_mornings", "later_evenings", "all_day"]
    assert len(market["options"]) == 3 and market["allow_comments"] is True
    for definition in (park, market):
        assert set(definition["question"]) == {"en", "hi", "kn"}
        assert all(set(o["names"]) == {"en", "hi", "kn"} for o in definition["options"])


def test_definition_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "poll.yml"
    path.write_text(
        'question: {en: "Open the park earlier?"}\n'
        "options:\n"
        "  - key: yes_please\n"
        "    names: {en: Sure}\n"
        "  - key: no_thanks\n"
        '    names: {en: "No", hi: "नहीं धन्यवाद, बिल्कुल भी नहीं"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=rf"{path}:5: option no_thanks: the hi name .* at most 20"):
        polls.load_definition(path)
    path.write_text("question: {hi: पार्क}\noptions: [{key: a, names: {en: A}}, {key: b, names: {en: B}}]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{path}:1: question: needs at least an English text"):
        polls.load_definition(path)
    path.write_text("question: {en: Q}\noptions:\n  - {key: Bad-Key, names: {en: A}}\n  - {key: b, names: {en: B}}\n")
    with pytest.raises(ValueError, match=rf"{path}:3: option 1: key 'Bad-Key' must be lower_snake_case"):
        polls.load_definition(path)
    path.write_text("question: {en: Q}\noptions:\n  - {key: a, names: {en: Yes}}\n  - {key: b, names: {en: B}}\n")
    with pytest.raises(ValueError, match=rf"{path}:3: option a: names are text; quote them"):
        polls.load_definition(path)
    path.write_text("question: {en: Q}\noptions: [{key: a, names: {en: A}}]\nclosing: soon\n")
    with pytest.raises(ValueError, match="unknown field"):
        polls.load_definition(path)
    with pytest.raises(ValueError, match="cannot be read"):
        polls.load_definition(tmp_path / "missing.yml")


def test_create_checks_options_and_times(database):
    question = {"en": "Which day?"}
    twenty_two = "A rather long name here"[:22]
    with db.session_scope() as session:
        with pytest.raises(ValueError, match="2 to 10 options"):
            polls.create(
                session, question=question, options=[{"key": "a", "names": {"en": "A"}}], audience=Audience(), created_by="t"
            )
        many = [{"key": f"o{n}", "names": {"en": f"Option {n}"}} for n in range(11)]
        with pytest.raises(ValueError, match="2 to 10 options"):
            polls.create(session, question=question, options=many, audience=Audience(), created_by="t")
        three = [{"key": k, "names": {"en": f"{twenty_two} {k}"[:22]}} for k in ("a", "b", "c")]
        with pytest.raises(ValueError, match="reply buttons, at most 20"):
            polls.create(session, question=question, options=three, audience=Audience(), created_by="t")
        four = [{"key": k, "names": {"en": f"{k} {twenty_two}"[:22]}} for k in ("a", "b", "c", "d")]
        assert polls.create(session, question=question, options=four, audience=Audience(), created_by="t").id  # a list: 24
        twins = [{"key": "a", "names": {"en": "Same"}}, {"key": "b", "names": {"en": "Same"}}]
        with pytest.raises(ValueError, match="same en name"):
            polls.create(session, question=question, options=twins, audience=Audience(), created_by="t")
        with pytest.raises(ValueError, match="closes after it is sent"):
            make_poll(session, closes_at=NOW - dt.timedelta(hours=1))
        with pytest.raises(ValueError, match="closes after it is sent"):
            make_poll(session, send_at=NOW + dt.timedelta(days=2), closes_at=NOW + dt.timedelta(days=1))


def test_a_poll_is_sent_as_a_broadcast_of_its_question(database):
    with db.session_scope() as session:
        poll = make_poll(
            session, PARK, audience=Audience(wards=("jayanagar",), topics=("events",)), closes_at=NOW + dt.timedelta(days=3)
        )
        broadcast = session.get(models.Broadcast, poll.broadcast_id)
        assert broadcast.kind == "poll" and broadcast.template == "consultation_invite"
        assert broadcast.texts == poll.question and broadcast.priority == broadcasts.PRIORITY["poll"]
        assert (
            poll.audience == broadcast.audience == {"wards": ["jayanagar"], "topics": ["events"], "languages": [], "phones": []}
        )
        assert poll.status == "open" and poll.created_by == "test"


# --- answers and comments ------------------------------------------------------------------


def test_a_changed_answer_is_counted_once(database):
    add_subscriber("919000000101", ("events",), "jayanagar", "hi")
    with db.session_scope() as session:
        poll = make_poll(session)
        reached(session, poll, "919000000101")
        first = polls.answer(session, poll.id, "919000000101", "saturday", now=NOW)
        assert first.outcome == "recorded" and first.option_names["hi"] == "हाँ, शनिवार"
        again = polls.answer(session, str(poll.id), "919000000101", "sunday", now=NOW + dt.timedelta(minutes=5))
        assert again.outcome == "changed" and again.option_names["en"] == "No, keep Sunday" and again.poll.id == poll.id
        saved = session.get(models.PollAnswer, (poll.id, "919000000101"))
        assert (saved.option_key, saved.changes, saved.language) == ("sunday", 1, "hi")
        assert saved.answered_at == NOW and saved.updated_at == NOW + dt.timedelta(minutes=5)
        assert polls.results(session, poll.id).by_option == {"saturday": 0, "sunday": 1, "no_opinion": 0}


def test_the_same_answer_twice_is_counted_once(database):
    with db.session_scope() as session:
        poll = make_poll(session)
        reached(session, poll, "919000000102")
        assert polls.answer(session, poll.id, "919000000102", "no_opinion").outcome == "recorded"
        same = polls.answer(session, poll.id, "919000000102", "no_opinion")
        assert same.outcome == "same" and same.option_names["kn"] == "ಅಭಿಪ್ರಾಯವಿಲ್ಲ"
        assert session.get(models.PollAnswer, (poll.id, "919000000102")).changes == 0
        assert polls.results(session, poll.id).total == 1


def test_a_closed_poll_refuses_answers_and_comments(database):
    closes = NOW + dt.timedelta(hours=1)
    with db.session_scope() as session:
        poll = make_poll(session, closes_at=closes, send_at=NOW + dt.timedelta(minutes=30))
        reached(session, poll, "919000000103")
        assert (
            polls.answer(session, poll.id, "919000000103", "saturday", now=closes - dt.timedelta(seconds=1)).outcome == "recorded"
        )
        late = polls.answer(session, poll.id, "919000000103", "sunday", now=closes)
        assert late.outcome == "closed" and late.closes_at == closes and late.option_names == {}
        assert polls.add_comment(session, poll.id, "919000000103", "Please open at 5", now=closes) == "closed"
        assert polls.results(session, poll.id, now=closes).status == "closed"
        # Closed by an official before its time: no answers, and copies not yet sent are cancelled.
        other = make_poll(session, send_at=NOW + dt.timedelta(days=1))
        assert polls.close(session, other.id).status == "closed"
        assert polls.answer(session, other.id, "919000000103", "saturday").outcome == "closed"
        assert polls.add_comment(session, other.id, "919000000103", "too late") == "closed"
        assert session.get(models.Broadcast, other.broadcast_id).status == "cancelled"
        with pytest.raises(KeyError):
            polls.close(session, 987654)
        assert session.get(models.PollAnswer, (poll.id, "919000000103")).option_key == "saturday"
        # A periodic sweep closes polls whose time has come (and only those).
        assert polls.close_due(session, now=closes - dt.timedelta(minutes=1)) == []
        assert polls.close_due(session, now=closes) == [poll.id]
        assert session.get(models.Poll, poll.id).status == "closed" and session.get(models.Poll, poll.id).closes_at == closes


def test_unknown_polls_and_options(database):
    with db.session_scope() as session:
        poll = make_poll(session)
        reached(session, poll, "919000000104")
        assert polls.answer(session, 987654, "919000000104", "saturday").outcome == "unknown_poll"
        assert polls.answer(session, "not-a-number", "919000000104", "saturday").poll is None
        wrong = polls.answer(session, poll.id, "919000000104", "friday")
        assert wrong.outcome == "unknown_option" and wrong.poll.id == poll.id
        assert polls.results(session, poll.id).total == 0
        with pytest.raises(KeyError):
            polls.results(session, 987654)


def test_comments_come_after_an_answer(database):
    with db.session_scope() as session:
        poll = make_poll(session)
        reached(session, poll, "919000000105")
        assert polls.add_comment(session, poll.id, "919000000105", "Open earlier") == "no_answer"
        polls.answer(session, poll.id, "919000000105", "saturday")
        assert polls.add_comment(session, poll.id, "919000000105", "  " + "x" * 1500) == "saved"
        assert session.get(models.PollAnswer, (poll.id, "919000000105")).comment == "x" * 1000
        silent = make_poll(session, allow_comments=False)
        reached(session, silent, "919000000105")
        polls.answer(session, silent.id, "919000000105", "saturday")
        assert polls.add_comment(session, silent.id, "919000000105", "Open earlier") == "not_allowed"
        assert polls.results(session, poll.id).comments == 1 and polls.results(session, silent.id).comments == 0


def test_only_citizens_the_poll_was_sent_to_may_answer_or_comment(database):
    """Poll ids are sequential: typing another poll's payload must count nothing."""
    with db.session_scope() as session:
        poll = make_poll(session)
        reached(session, poll, "919000000161")
        reached(session, poll, "919000000162", state="skipped")  # stopped before their copy went
        reached(session, poll, "919000000163", state="failed")
        for stranger in ("919000000162", "919000000163", "919000000164"):
            refused = polls.answer(session, poll.id, stranger, "saturday")
            assert refused.outcome == "not_sent" and refused.option_names == {}
            assert polls.add_comment(session, poll.id, stranger, "let me in") == "not_sent"
        assert polls.answer(session, poll.id, "919000000161", "saturday").outcome == "recorded"
        assert polls.results(session, poll.id).total == 1
        # Once closed, everyone hears that it is closed, as before.
        polls.close(session, poll.id)
        assert polls.answer(session, poll.id, "919000000164", "saturday").outcome == "closed"


def test_results_by_option_ward_and_language(database):
    add_subscriber("919000000111", ("events",), "jayanagar", "kn")
    add_subscriber("919000000112", ("events",), "jayanagar", "en")
    add_subscriber("919000000113", ("events",), "basavanagudi", "hi")
    add_subscriber("919000000114", ("events",), "basavanagudi", "kn")
    with db.session_scope() as session:
        poll = make_poll(session, PARK)
        reached(session, poll, *(f"91900000011{n}" for n in range(1, 6)))
        for phone, option in (
            ("919000000111", "as_now"),
            ("919000000112", "all_day"),
            ("919000000113", "all_day"),
            ("919000000114", "earlier_mornings"),
            ("919000000115", "all_day"),  # never gave a ward (no citizen row: English, ward unknown)
        ):
            polls.answer(session, poll.id, phone, option)
        polls.add_comment(session, poll.id, "919000000113", "Lights needed for the evening walkers")
        session.get(models.Citizen, "919000000114").ward_key = "jayanagar"  # moved after answering: counted where they were
        result = polls.results(session, poll.id)
    assert list(result.by_option.items()) == [("as_now", 1), ("earlier_mornings", 1), ("later_evenings", 0), ("all_day", 3)]
    assert result.total == 5 and result.comments == 1 and result.share("all_day") == pytest.approx(0.6)
    assert result.by_ward == {
        "basavanagudi": {"as_now": 0, "earlier_mornings": 1, "later_evenings": 0, "all_day": 1},
        "jayanagar": {"as_now": 1, "earlier_mornings": 0, "later_evenings": 0, "all_day": 1},
        "unknown": {"as_now": 0, "earlier_mornings": 0, "later_evenings": 0, "all_day": 1},
    }
    assert list(result.by_language) == ["en", "hi", "kn"]
    assert result.by_language["kn"] == {"as_now": 1, "earlier_mornings": 1, "later_evenings": 0, "all_day": 0}
    assert result.by_language["en"]["all_day"] == 2
    table = polls.results_table(result)
    rows = {line.split("  ")[0]: line.split()[-5:] for line in table.splitlines() if "  " in line}
    assert rows["All day, 5 am to 9 pm (all_day)"][-2:] == ["3", "60.0%"]
    assert rows["6-10 am, and 4-10 pm (later_evenings)"][-2:] == ["0", "0.0%"]
    assert rows["basavanagudi"] == ["0", "1", "0", "1", "2"] and rows["unknown"] == ["0", "0", "0", "1", "1"]
    assert "5 answers, 1 with a comment" in table
    data = result.as_dict()
    assert data["total"] == 5 and data["options"][3] == {
        "key": "all_day",
        "names": {"en": "All day, 5 am to 9 pm", "hi": "पूरे दिन: 5 से 9 बजे", "kn": "ದಿನವಿಡೀ: 5ರಿಂದ 9ರವರೆಗೆ"},
        "answers": 3,
        "share": 0.6,
    }


def test_the_latest_open_poll_a_citizen_received(database):
    add_subscriber("919000000121", ("events",), "jayanagar", "kn")
    add_subscriber("919000000122", ("events",), "basavanagudi", "kn")
    with db.session_scope() as session:
        older = make_poll(session, MARKET)
        newer = make_poll(session, PARK)
        elsewhere = make_poll(session, MARKET, audience=Audience(wards=("basavanagudi",)))
        for poll in (older, newer, elsewhere):
            broadcasts.materialize(session, session.get(models.Broadcast, poll.broadcast_id))
        assert polls.latest_open_for(session, "919000000121").id == newer.id
        polls.close(session, newer.id)
        assert polls.latest_open_for(session, "919000000121").id == older.id
        assert polls.latest_open_for(session, "919000000122").id == elsewhere.id
        assert polls.latest_open_for(session, "919000000199") is None  # never sent any
        session.get(models.Broadcast, older.broadcast_id).status = "running"
        polls.close(session, older.id)  # cancelled before this citizen's copy went: it never reached them
        assert polls.latest_open_for(session, "919000000121") is None
        timed = make_poll(session, closes_at=NOW + dt.timedelta(hours=2))
        broadcasts.materialize(session, session.get(models.Broadcast, timed.broadcast_id))
        assert polls.latest_open_for(session, "919000000121", now=NOW).id == timed.id
        assert polls.latest_open_for(session, "919000000121", now=NOW + dt.timedelta(hours=2)) is None


# --- what goes on the wire ------------------------------------------------------------------


def test_up_to_three_options_are_reply_buttons_whose_ids_are_rasa_payloads(database):
    with db.session_scope() as session:
        poll = make_poll(session, closes_at=dt.datetime(2031, 1, 31, 14, 30))
        message = polls.question_message(poll, "hi")
    interactive = message["interactive"]
    assert message["type"] == "interactive" and interactive["type"] == "button"
    assert interactive["body"]["text"] == poll.question["hi"]
    assert interactive["footer"]["text"] == "31-01-2031 20:00 तक आप अपना जवाब बदल सकते हैं"  # 14:30 UTC is 20:00 IST
    buttons = [button["reply"] for button in interactive["action"]["buttons"]]
    assert [b["title"] for b in buttons] == ["हाँ, शनिवार", "नहीं, रविवार ही", "कोई राय नहीं"]
    assert buttons[0]["id"] == f'/poll_answer{{"poll_id":"{poll.id}","poll_option":"saturday"}}'
    for button in buttons:
        assert len(button["id"]) <= limits.BUTTON_ID and len(button["title"]) <= limits.BUTTON_TITLE
        assert json.loads(button["id"].removeprefix("/poll_answer"))["poll_id"] == str(poll.id)
    assert [c["id"] for c in accepted_by_meta(message)] == [b["id"] for b in buttons]


def test_four_to_ten_options_are_a_list(database):
    with db.session_scope() as session:
        poll = make_poll(session, PARK)
        message = polls.question_message(poll, "kn")
        english_only = make_poll(session, question={"en": "Which hours?"})
        fallback = polls.question_message(english_only, "kn")
    interactive = message["interactive"]
    assert interactive["type"] == "list" and interactive["action"]["button"] == "ಉತ್ತರ ಆಯ್ಕೆಮಾಡಿ"
    assert interactive["footer"]["text"] == "ಅಭಿಪ್ರಾಯ ಸಂಗ್ರಹ ಮುಗಿಯುವವರೆಗೆ ಉತ್ತರ ಬದಲಿಸಬಹುದು"
    [section] = interactive["action"]["sections"]
    assert [row["id"] for row in section["rows"]] == [
        f'/poll_answer{{"poll_id":"{poll.id}","poll_option":"{key}"}}'
        for key in ("as_now", "earlier_mornings", "later_evenings", "all_day")
    ]
    assert all(len(row["id"]) <= limits.ROW_ID and len(row["title"]) <= limits.ROW_TITLE for row in section["rows"])
    assert section["rows"][3]["title"] == "ದಿನವಿಡೀ: 5ರಿಂದ 9ರವರೆಗೆ"
    assert len(accepted_by_meta(message)) == 4
    # No Kannada question: the whole message is in English rather than half in each.
    assert fallback["interactive"]["body"]["text"] == "Which hours?"
    assert fallback["interactive"]["footer"]["text"] == "You can change your answer until the poll closes"


def test_outside_the_window_a_poll_is_the_invitation_template_with_its_button(database):
    with db.session_scope() as session:
        poll = make_poll(session, question={"en": "Move the market\nto Saturday?", "kn": "ಸಂತೆಯನ್ನು ಶನಿವಾರಕ್ಕೆ ಬದಲಿಸಬೇಕೇ?"})
        broadcast = session.get(models.Broadcast, poll.broadcast_id)
        outside = message_body(broadcast, "kn", in_window=False, wards={})
        english = message_body(broadcast, "hi", in_window=False, wards={})
        inside = message_body(broadcast, "kn", in_window=True, wards={})
    template = outside["template"]
    assert outside["type"] == "template" and template["name"] == "consultation_invite" and template["language"] == {"code": "kn"}
    body, button = template["components"]
    assert body["parameters"] == [{"type": "text", "text": "ಸಂತೆಯನ್ನು ಶನಿವಾರಕ್ಕೆ ಬದಲಿಸಬೇಕೇ?"}]
    assert button["sub_type"] == "quick_reply" and button["parameters"][0]["payload"] == f'/poll_answer{{"poll_id":"{poll.id}"}}'
    [choice] = accepted_by_meta(outside)
    assert choice["payload"] == f'/poll_answer{{"poll_id":"{poll.id}"}}' and choice["title"] == "ಉತ್ತರಿಸಿ"
    assert english["template"]["language"] == {"code": "en"}  # no Hindi question: the English template
    assert english["template"]["components"][0]["parameters"][0]["text"] == "Move the market to Saturday?"  # one line
    accepted_by_meta(english)
    assert inside["type"] == "interactive" and inside["interactive"]["body"]["text"] == poll.question["kn"]


# --- the chart ------------------------------------------------------------------------------


def test_the_chart_is_a_png_with_one_bar_per_option(database):
    with db.session_scope() as session:
        poll = make_poll(session, PARK)
        reached(session, poll, *(f"91900000013{number}" for number in range(4)))
        for number, option in enumerate(["all_day"] * 3 + ["as_now"]):
            polls.answer(session, poll.id, f"91900000013{number}", option)
        result = polls.results(session, poll.id)
    png = poll_chart.chart_png(result, "Ward consultation, Jayanagar: which opening hours should our parks have? " * 3)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == poll_chart.size_for(4) and image.width == 800
    bar = Image.new("RGB", (1, 1), poll_chart.BAR).getpixel((0, 0))
    lengths = []
    for number in range(4):
        y = poll_chart.HEADER + number * poll_chart.ROW + poll_chart.BAR_HEIGHT // 2
        lengths.append(sum(image.getpixel((x, y)) == bar for x in range(image.width)))
    assert lengths == [poll_chart.bar_length(result, key) for key in ("as_now", "earlier_mornings", "later_evenings", "all_day")]
    assert lengths[0] > 0 and abs(lengths[3] - 3 * lengths[0]) <= 2 and lengths[1] == lengths[2] == 0  # 3 to 1, rounded


# --- command line and API -------------------------------------------------------------------


def test_the_command_line_round_trip(database, tmp_path, capsys):
    add_subscriber("919000000141", ("events",), "basavanagudi", "kn")
    add_subscriber("919000000142", ("events",), "basavanagudi", "hi")
    add_subscriber("919000000143", ("water_supply",), "basavanagudi", "hi")  # another topic
    audience = ["--wards", "basavanagudi", "--topics", "events"]
    sent = cli.main(
        [
            "poll",
            str(MARKET),
            *audience,
            "--at",
            "2030-06-01T09:00",
            "--closes",
            "2030-06-08T20:00",
            "--yes",
            "--by",
            "ward-office",
        ]
    )
    out = capsys.readouterr().out
    assert sent == 0 and "poll to 2 citizens" in out and "scheduled for 2030-06-01T09:00 IST" in out
    with db.session_scope() as session:
        poll = session.query(models.Poll).one()
        assert poll.closes_at == dt.datetime(2030, 6, 8, 14, 30) and poll.created_by == "ward-office"  # 20:00 IST
        assert session.get(models.Broadcast, poll.broadcast_id).send_at == dt.datetime(2030, 6, 1, 3, 30)
        reached(session, poll, "919000000141", "919000000142")
        polls.answer(session, poll.id, "919000000141", "saturday")
        polls.answer(session, poll.id, "919000000142", "saturday")
        poll_id = poll.id
    chart = tmp_path / "market.png"
    assert cli.main(["poll-results", str(poll_id), "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "Yes, Saturday (saturday)" in out and "2  100.0%" in out and f"chart: {chart}" in out
    assert Image.open(chart).size == poll_chart.size_for(3)
    assert cli.main(["poll-close", str(poll_id)]) == 0
    with db.session_scope() as session:
        assert session.get(models.Poll, poll_id).status == "closed"
    assert cli.main(["poll-close", "987654"]) == 2
    assert cli.main(["poll", str(ROOT / "config" / "polls" / "wording.yml"), "--yes"]) == 2
    assert "a poll definition has question" in capsys.readouterr().err


def test_the_api_round_trip(api):  # noqa: F811 (the fixture imported above)
    add_subscriber("919000000151", ("events",), "jayanagar", "kn")
    definition = polls.load_definition(PARK)
    created = api.post(
        "/api/polls",
        json={**definition, "wards": ["jayanagar"], "closes_at": "2030-06-08T20:00", "send_at": "2030-06-01T09:00+05:30"},
    )
    assert created.status_code == 201 and created.json()["audience"] == 1 and created.json()["status"] == "open"
    poll_id = created.json()["id"]
    with db.session_scope() as session:
        poll = session.get(models.Poll, poll_id)
        assert poll.created_by == "ward-office" and poll.closes_at == dt.datetime(2030, 6, 8, 14, 30)
        assert session.get(models.Broadcast, poll.broadcast_id).id == created.json()["broadcast_id"]
        reached(session, poll, "919000000151")
        polls.answer(session, poll_id, "919000000151", "later_evenings")
    results = api.get(f"/api/polls/{poll_id}/results").json()
    assert results["total"] == 1 and results["by_ward"]["jayanagar"]["later_evenings"] == 1 and results["by_language"]["kn"]
    chart = api.get(f"/api/polls/{poll_id}/chart.png")
    assert chart.headers["content-type"] == "image/png" and Image.open(io.BytesIO(chart.content)).size == poll_chart.size_for(4)
    assert api.post(f"/api/polls/{poll_id}/close").json() == {"id": poll_id, "status": "closed"}
    assert api.get(f"/api/polls/{poll_id}/results").json()["status"] == "closed"
    for missing in ("/api/polls/987654/results", "/api/polls/987654/chart.png"):
        assert api.get(missing).status_code == 404
    assert api.post("/api/polls/987654/close").status_code == 404
    one_option = {"question": {"en": "Q?"}, "options": [{"key": "a", "names": {"en": "A"}}]}
    assert api.post("/api/polls", json=one_option).status_code == 400
    assert api.post("/api/polls", json={**definition, "closes_at": "next week"}).status_code == 400
