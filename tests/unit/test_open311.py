"""Open311 GeoReport v2 (https://www.open311.org/GeoReport/v2/) conformance, written from the spec:
every endpoint in JSON and XML, every error the spec lists, XML checked by parsing and JSON by a
schema; the calls FixMyStreet's Open311 client makes, in its order; grievances filed this way are
ordinary grievances (the console's queue); no personal data in public answers; consent before a
phone is told anything; the per-address limit on public reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nagarik import db
from nagarik.catalog.store import current_catalog
from nagarik.citizens import grievances, profiles, subscriptions
from nagarik.db import models
from nagarik.open311 import formats
from nagarik.open311 import requests as service
from nagarik.outbound import notifications
from nagarik.shared.clock import frozen
from nagarik.web import open311
from nagarik.web.app import create_app
from tests.unit.staff_helpers import add_official
from tests.unit.test_console import login

NOW = dt.datetime(2026, 3, 2, 5, 0)  # a Monday, 10:30 in Bengaluru
KEY = "test-open311-key-fixmystreet"
NO_SCOPE = "test-open311-key-comms"  # a known token without the open311 scope
BASE = "/open311/v2"
FORMATS = ("json", "xml")
GOOD = {
    "service_code": "streetlight",
    "lat": "12.9251",
    "long": "77.5937",
    "attribute[ward]": "jayanagar",
    "description": "Streetlight out near the bus stop",
}


@pytest.fixture
def client(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("NAGARIK_API_TOKENS", f"{KEY}:fixmystreet:open311,{NO_SCOPE}:comms:broadcast")
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")
    app = create_app(enqueue=lambda *_: None)  # the real app: the router's registration is tested too
    with frozen(NOW), TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


def post(client: TestClient, fmt: str = "json", **fields: str) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data={"api_key": KEY, **GOOD, **fields})


# --- the formats' checks: a schema for JSON, parsing for XML ------------------------------------------

STRING, NUMBER, BOOLEAN, NULL = "string", "number", "boolean", "null"
ERRORS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "object", "required": {"code": NUMBER, "description": STRING}},
}
SERVICE_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": {
            "service_code": STRING,
            "service_name": STRING,
            "description": STRING,
            "metadata": BOOLEAN,
            "type": STRING,
            "keywords": STRING,
            "group": STRING,
        },
        "enum": {"type": ("realtime", "batch", "blackbox")},
    },
}
VALUE_SCHEMA = {"type": "object", "required": {"key": STRING, "name": STRING}}
ATTRIBUTE_SCHEMA = {
    "type": "object",
    "required": {
        "variable": BOOLEAN,
        "code": STRING,
        "datatype": STRING,
        "required": BOOLEAN,
        "datatype_description": (STRING, NULL),
        "order": NUMBER,
        "description": STRING,
    },
    "enum": {"datatype": ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")},
    "lists": {"values": VALUE_SCHEMA},
}
DEFINITION_SCHEMA = {"type": "object", "required": {"service_code": STRING}, "lists": {"attributes": ATTRIBUTE_SCHEMA}}
CREATED_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": {"service_request_id": STRING, "service_notice": (STRING, NULL), "account_id": (STRING, NULL)},
    },
}
REQUEST_FIELDS = {
    "service_request_id": STRING,
    "status": STRING,
    "status_notes": (STRING, NULL),
    "service_name": STRING,
    "service_code": STRING,
    "description": (STRING, NULL),
    "agency_responsible": (STRING, NULL),
    "service_notice": (STRING, NULL),
    "requested_datetime": STRING,
    "updated_datetime": (STRING, NULL),
    "expected_datetime": (STRING, NULL),
    "address": (STRING, NULL),
    "address_id": (STRING, NULL),
    "zipcode": (STRING, NULL),
    "lat": (NUMBER, NULL),
    "long": (NUMBER, NULL),
    "media_url": (STRING, NULL),
}
REQUESTS_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "required": REQUEST_FIELDS, "enum": {"status": ("open", "closed")}, "closed": True},
}
TOKENS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "object", "required": {"service_request_id": STRING, "token": STRING}},
}
JSON_TYPES = {STRING: str, NUMBER: (int, float), BOOLEAN: bool, NULL: type(None)}


def problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """What in `value` breaks `schema` (a small subset of JSON Schema's ideas, written out here)."""
    if schema["type"] == "array":
        if not isinstance(value, list):
            return [f"{where}: not an array"]
        found = [f"{where}: fewer than {schema['minItems']} items"] if len(value) < schema.get("minItems", 0) else []
        return found + [p for index, item in enumerate(value) for p in problems(item, schema["items"], f"{where}[{index}]")]
    if not isinstance(value, dict):
        return [f"{where}: not an object"]
    found = []
    for name, kinds in schema.get("required", {}).items():
        allowed = tuple(JSON_TYPES[kind] for kind in ((kinds,) if isinstance(kinds, str) else kinds))
        if name not in value:
            found.append(f"{where}.{name}: missing")
        elif not isinstance(value[name], allowed) or (isinstance(value[name], bool) and bool not in allowed):
            found.append(f"{where}.{name}: {value[name]!r} is not {kinds}")
    for name, choices in schema.get("enum", {}).items():
        if name in value and value[name] not in choices:
            found.append(f"{where}.{name}: {value[name]!r} is not one of {choices}")
    for name, item_schema in schema.get("lists", {}).items():
        found += problems(value.get(name), {"type": "array", "minItems": 1, "items": item_schema}, f"{where}.{name}")
    if schema.get("closed"):
        found += [f"{where}.{name}: not in the spec" for name in value if name not in schema["required"]]
    return found


def valid_json(response: Any, schema: dict[str, Any]) -> Any:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert not problems(body, schema), problems(body, schema)
    return body


def xml_root(response: Any, root: str) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    element = ElementTree.fromstring(response.content)
    assert element.tag == root
    return element


def xml_records(response: Any, root: tuple[str, str], fields: Any) -> list[dict[str, str]]:
    """Each record under the root, as {field: text}; every record has every field."""
    element = xml_root(response, root[0])
    found = []
    for item in element:
        assert item.tag == root[1]
        record = {child.tag: child.text or "" for child in item}
        assert set(fields) <= set(record), set(fields) - set(record)
        found.append(record)
    return found


def error_of(response: Any, fmt: str) -> tuple[int, str]:
    """The status and the one error's (code, description), checked for its format."""
    if fmt == "json":
        body = valid_json(response, ERRORS_SCHEMA)
        code, description = body[0]["code"], body[0]["description"]
    else:
        (record,) = xml_records(response, formats.ERRORS, ("code", "description"))
        code, description = int(record["code"]), record["description"]
    assert code == response.status_code
    return code, description


# --- services ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_service_list_is_the_catalogs_grievance_categories(client: TestClient, fmt: str) -> None:
    response = client.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "bengaluru"})  # accepted, ignored
    assert response.status_code == 200
    with db.session_scope() as session:
        catalog = current_catalog(session)
    if fmt == "json":
        rows = valid_json(response, SERVICE_SCHEMA)
    else:
        rows = xml_records(response, formats.SERVICES, SERVICE_SCHEMA["items"]["required"])
        assert {row["metadata"] for row in rows} == {"true"}
    assert [row["service_code"] for row in rows] == [category.key for category in catalog.grievance_categories]
    light = next(row for row in rows if row["service_code"] == "streetlight")
    assert light["group"] == catalog.department("electrical").name["en"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_asks_for_the_ward_from_the_catalogs_wards(client: TestClient, fmt: str) -> None:
    response = client.get(f"{BASE}/services/streetlight.{fmt}")
    assert response.status_code == 200
    with db.session_scope() as session:
        wards = [ward.key for ward in current_catalog(session).wards]
    if fmt == "json":
        body = valid_json(response, DEFINITION_SCHEMA)
        (ward,) = body["attributes"]
        assert body["service_code"] == "streetlight"
        keys = [value["key"] for value in ward["values"]]
    else:
        root = xml_root(response, "service_definition")
        assert root.findtext("service_code") == "streetlight"
        (ward,) = root.findall("attributes/attribute")
        ward = {child.tag: child.text for child in ward} | {"values": ward.findall("values/value")}
        keys = [value.findtext("key") for value in ward["values"]]
        assert ward["required"] == "true"
    assert ward["code"] == "ward" and ward["datatype"] == "singlevaluelist"
    assert keys == wards


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_code_is_404(client: TestClient, fmt: str) -> None:
    response = client.get(f"{BASE}/services/no_such_thing.{fmt}")
    assert error_of(response, fmt)[0] == 404


# --- POST requests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_is_filed_as_an_ordinary_grievance(client: TestClient, fmt: str) -> None:
    response = post(client, fmt, media_url="https://photos.example/1.jpg")
    assert response.status_code == 200, response.text
    if fmt == "json":
        (created,) = valid_json(response, CREATED_SCHEMA)
    else:
        (created,) = xml_records(response, formats.REQUESTS, ("service_request_id", "service_notice", "account_id"))
    tracking_id = created["service_request_id"]
    assert tracking_id.startswith("GRV-2026-")
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert (grievance.category_key, grievance.department_key, grievance.ward_key) == (
            "streetlight",
            "electrical",
            "jayanagar",
        )
        assert (grievance.source, grievance.status, grievance.latitude) == ("open311", "registered", 12.9251)
        assert grievance.evidence_ref == "https://photos.example/1.jpg"
        assert grievance.events[0].changed_by == "fixmystreet"  # the filing system, in the history
        assert grievance.due_on.isoformat() in created["service_notice"]
        assert grievance.due_on > NOW.date()
        assert tracking_id in [row.tracking_id for row in grievances.grievances_in(session, ["electrical"])]


def test_an_open311_grievance_is_in_the_consoles_queue(client: TestClient) -> None:
    tracking_id = post(client).json()[0]["service_request_id"]
    add_official("ravi", "department_officer", ["electrical"])
    login(client, "ravi")
    assert f'href="/console/grievances/{tracking_id}"' in client.get("/console/grievances").text


def test_an_address_alone_is_a_location(client: TestClient) -> None:
    response = post(client, lat="", long="", address_string="4th Block, near the temple")
    assert response.status_code == 200, response.text
    record = client.get(f"{BASE}/requests/{response.json()[0]['service_request_id']}.json").json()[0]
    assert (record["address"], record["lat"], record["long"]) == ("4th Block, near the temple", None, None)


POST_ERRORS = [
    ({"api_key": ""}, 403, "api_key is required"),
    ({"api_key": "guessed"}, 403, "invalid api_key"),
    ({"api_key": NO_SCOPE}, 403, "lacks the 'open311' scope"),
    ({"service_code": ""}, 400, "service_code is required"),
    ({"service_code": "no_such_thing"}, 404, "not found"),
    ({"attribute[ward]": ""}, 400, "attribute[ward] is required"),
    ({"attribute[ward]": "atlantis"}, 400, "not one of the listed values"),
    ({"lat": "", "long": ""}, 400, "a location is required"),
    ({"long": ""}, 400, "lat and long go together"),
    ({"lat": "north"}, 400, "lat: not a number"),
    ({"lat": "91"}, 400, "lat: must be between"),
    ({"description": "x" * 4001}, 400, "at most 4,000 characters"),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url"),
    ({"phone": "12"}, 400, "phone"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("fields", "code", "says"), POST_ERRORS)
def test_every_refused_request_is_a_georeport_error_and_files_nothing(
    client: TestClient, fmt: str, fields: dict[str, str], code: int, says: str
) -> None:
    status, description = error_of(post(client, fmt, **fields), fmt)
    assert status == code and says in description, description
    with db.session_scope() as session:
        assert session.execute(select(models.Grievance)).first() is None


def test_the_same_system_reporting_the_same_place_twice_in_a_day_gets_the_first_request(client: TestClient) -> None:
    first = post(client).json()[0]["service_request_id"]
    assert post(client, description="again").json()[0]["service_request_id"] == first  # the chat's near-duplicate rule
    with db.session_scope() as session:
        assert len(session.execute(select(models.Grievance)).all()) == 1


def test_a_description_of_4000_characters_is_accepted_and_kept_as_filed(client: TestClient) -> None:
    text = "<script>alert(1)</script> & " + "x" * (4000 - 28)
    tracking_id = post(client, description=text).json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests/{tracking_id}.json").json()[0]["description"] == text
    root = xml_root(client.get(f"{BASE}/requests/{tracking_id}.xml"), "service_requests")
    assert root.findtext("request/description") == text  # escaped in the XML, the same text parsed back


def test_a_stranger_s_phone_is_kept_but_never_notified(client: TestClient) -> None:
    tracking_id = post(client, phone="+91 98450 12345", first_name="Asha", last_name="K").json()[0]["service_request_id"]
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert (grievance.contact_phone, grievance.contact_name) == ("919845012345", "Asha K")
        assert grievance.phone == "open311:fixmystreet"  # not a number: nobody is told
        grievances.change_status(session, tracking_id, "assigned", by="ravi")  # the lifecycle's way to resolved
        broadcast = notifications.grievance_moved(session, tracking_id, "resolved", "fixed", by="ravi")
        assert "919845012345" not in broadcast.audience["phones"]


def test_a_consenting_citizen_is_told_in_their_language(client: TestClient) -> None:
    with db.session_scope() as session:  # spoke to us on WhatsApp and saw the privacy notice
        profiles.remember_language(session, "919845012345", "kn", chosen=True)
        subscriptions.notice_shown(session, "919845012345")
    tracking_id = post(client, phone="9845012345").json()[0]["service_request_id"]
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        assert (grievance.phone, grievance.language) == ("919845012345", "kn")
        broadcast = notifications.grievance_moved(session, tracking_id, "acknowledged", by="ravi")
        assert broadcast.audience["phones"] == ["919845012345"]
        # ...but after STOP, a new Open311 request names nobody to tell
        subscriptions.stop_all(session, "919845012345")
    later = post(client, phone="9845012345", lat="12.9423", long="77.5738", **{"attribute[ward]": "basavanagudi"})
    with db.session_scope() as session:
        assert grievances.grievance_by_tracking_id(session, later.json()[0]["service_request_id"]).phone == "open311:fixmystreet"


# --- GET requests ------------------------------------------------------------------------------------


def file_at(client: TestClient, moment: dt.datetime, **fields: str) -> str:
    with frozen(moment):
        response = post(client, **fields)
    assert response.status_code == 200, response.text
    return response.json()[0]["service_request_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_are_listed_by_id_code_status_and_dates(client: TestClient, fmt: str) -> None:
    old = file_at(client, NOW - dt.timedelta(days=100), description="long ago")
    light = file_at(client, NOW - dt.timedelta(days=3))
    garbage = file_at(client, NOW - dt.timedelta(days=2), service_code="sanitation", lat="12.93", long="77.59")
    with db.session_scope() as session:
        grievances.change_status(session, garbage, "assigned", by="ravi")
        grievances.change_status(session, garbage, "resolved", by="ravi")

    def ids(**params: str) -> list[str]:
        response = client.get(f"{BASE}/requests.{fmt}", params=params)
        assert response.status_code == 200, response.text
        if fmt == "json":
            return [row["service_request_id"] for row in valid_json(response, REQUESTS_SCHEMA)]
        return [row["service_request_id"] for row in xml_records(response, formats.REQUESTS, REQUEST_FIELDS)]

    assert ids() == [garbage, light]  # the last 90 days, newest first
    assert ids(service_code="streetlight") == [light]
    assert ids(status="closed") == [garbage] and ids(status="open") == [light]
    assert ids(start_date="2025-11-20T00:00:00+05:30", end_date="2025-11-25T00:00:00Z") == [old]
    assert ids(start_date="2026-02-27") == [garbage, light]  # no offset: the office's time; 90 days on
    assert ids(end_date="2026-02-28T00:00:00Z") == [light]  # the 90 days before it
    assert ids(service_request_id=f"{old},{light},GRV-2026-999999", status="closed") == [old, light]  # ids win


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "code", "says"),
    [
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-04-02T00:00:00Z"}, 400, "at most 90 days apart"),
        ({"start_date": "2025-04-02T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"}, 400, "before start_date"),
        ({"start_date": "yesterday"}, 400, "start_date: not an ISO 8601"),
        ({"status": "pending"}, 400, "status: open or closed"),
        ({"service_code": "no_such_thing"}, 404, "not found"),
    ],
)
def test_bad_request_queries_are_georeport_errors(
    client: TestClient, fmt: str, params: dict[str, str], code: int, says: str
) -> None:
    status, description = error_of(client.get(f"{BASE}/requests.{fmt}", params=params), fmt)
    assert status == code and says in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_by_id_with_the_spec_s_fields(client: TestClient, fmt: str) -> None:
    tracking_id = post(client, media_url="https://photos.example/2.jpg").json()[0]["service_request_id"]
    response = client.get(f"{BASE}/requests/{tracking_id}.{fmt}")
    if fmt == "json":
        (record,) = valid_json(response, REQUESTS_SCHEMA)
    else:
        (record,) = xml_records(response, formats.REQUESTS, REQUEST_FIELDS)
        record["lat"] = float(record["lat"])
    with db.session_scope() as session:
        due = grievances.grievance_by_tracking_id(session, tracking_id).due_on
    assert record["status"] == "open" and record["service_code"] == "streetlight"
    assert record["requested_datetime"] == "2026-03-02T10:30:00+05:30"
    assert record["expected_datetime"].startswith(f"{due.isoformat()}T") and record["expected_datetime"].endswith("+05:30")
    assert record["agency_responsible"] and record["lat"] == 12.9251
    assert record["media_url"] == "https://photos.example/2.jpg"
    assert record["description"] == GOOD["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_request_id_and_an_unknown_token_are_404(client: TestClient, fmt: str) -> None:
    assert error_of(client.get(f"{BASE}/requests/GRV-2026-999999.{fmt}"), fmt)[0] == 404
    assert error_of(client.get(f"{BASE}/tokens/GRV-2026-999999.{fmt}"), fmt)[0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_is_its_requests_own_id(client: TestClient, fmt: str) -> None:
    tracking_id = post(client).json()[0]["service_request_id"]
    response = client.get(f"{BASE}/tokens/{tracking_id}.{fmt}")
    if fmt == "json":
        (record,) = valid_json(response, TOKENS_SCHEMA)
    else:
        (record,) = xml_records(response, formats.REQUESTS, ("service_request_id", "token"))
    assert record == {"service_request_id": tracking_id, "token": tracking_id}


def test_public_answers_hold_no_personal_data(client: TestClient) -> None:
    with db.session_scope() as session:
        subscriptions.notice_shown(session, "919845012345")
        catalog = current_catalog(session)  # and a WhatsApp grievance with a photo the channel stored
        chat = grievances.file_grievance(
            session, catalog, phone="919811112222", category="sanitation", description="Garbage",
            location="9th main", language="en", now=NOW,
        ).grievance  # fmt: skip
        chat.evidence_ref = "file:0123456789abcdef0123456789abcdef.jpg"
        whatsapp_id = chat.tracking_id
    ours = post(client, phone="9845012345", first_name="Asha", last_name="Kumari").json()[0]["service_request_id"]
    answers = [client.get(f"{BASE}/requests.{fmt}").content for fmt in FORMATS]
    answers += [client.get(f"{BASE}/requests/{tid}.{fmt}").content for tid in (ours, whatsapp_id) for fmt in FORMATS]
    for body in answers:
        for secret in (b"9845012345", b"9811112222", b"Asha", b"Kumari", b"file:", b"0123456789abcdef"):
            assert secret not in body
    assert {row["service_request_id"] for row in json.loads(answers[0])} == {ours, whatsapp_id}


# --- the public door: limited per address -------------------------------------------------------------


def test_public_reads_are_limited_per_client_address(client: TestClient) -> None:
    client.app.state.open311_limiter = open311.Limiter(per_minute=3)
    for _ in range(3):
        assert client.get(f"{BASE}/services.json").status_code == 200
    refused = client.get(f"{BASE}/requests.xml")
    assert error_of(refused, "xml")[0] == 429 and refused.headers["retry-after"] == "60"
    assert post(client).status_code == 200  # filing holds a key: not this limit
    with frozen(NOW + dt.timedelta(seconds=61)):
        assert client.get(f"{BASE}/services.json").status_code == 200


def test_the_limiter_counts_each_address_apart() -> None:
    limiter = open311.Limiter(per_minute=2)
    with frozen(NOW):
        assert [limiter.allow("10.0.0.1") for _ in range(3)] == [True, True, False]
        assert limiter.allow("10.0.0.2")
    with frozen(NOW + dt.timedelta(seconds=30)):
        assert not limiter.allow("10.0.0.1")
    with frozen(NOW + dt.timedelta(seconds=60, microseconds=1)):
        assert limiter.allow("10.0.0.1")


@pytest.mark.parametrize("path", ["services.txt", "requests/GRV-2026-000001.csv", "discovery.json", "servicerequestupdates.xml"])
def test_unknown_paths_and_formats_are_404(client: TestClient, path: str) -> None:
    response = client.get(f"{BASE}/{path}")
    assert error_of(response, "xml" if path.endswith(".xml") else "json")[0] == 404


# --- a standard client: FixMyStreet's Open311 client, its calls in order ------------------------------


def test_fixmystreet_s_open311_client_calls_in_order(client: TestClient) -> None:
    """perllib/Open311.pm: services.xml, services/<code>.xml, POST requests.xml with its fields, then
    requests.xml by a W3CDTF date range (it fetches others' reports), and requests/<id>.xml."""
    jurisdiction = {"jurisdiction_id": "bengaluru.example"}
    services = xml_records(
        client.get(f"{BASE}/services.xml", params=jurisdiction), formats.SERVICES, ("service_code", "metadata")
    )
    code = next(row["service_code"] for row in services if row["service_code"] == "streetlight")
    definition = xml_root(client.get(f"{BASE}/services/{code}.xml", params=jurisdiction), "service_definition")
    required = [a.findtext("code") for a in definition.iter("attribute") if a.findtext("required") == "true"]
    first_ward = definition.findtext("attributes/attribute/values/value/key")
    assert required == ["ward"]
    fields = {
        "api_key": KEY,
        "jurisdiction_id": "bengaluru.example",
        "service_code": code,
        "lat": "12.925100",
        "long": "77.593700",
        "address_string": "",
        "description": "Streetlight out\n\nReported via FixMyStreet",
        "email": "reporter@example.org",  # accepted, not kept
        "first_name": "Asha",
        "last_name": "K",
        "phone": "",
        "media_url": "https://fixmystreet.example/photo/1.full.jpeg",
        **{f"attribute[{name}]": first_ward for name in required},
    }
    created = client.post(f"{BASE}/requests.xml", data=fields)
    assert created.status_code == 200, created.text
    request_id = xml_root(created, "service_requests").findtext("request/service_request_id")
    assert request_id
    listed = client.get(
        f"{BASE}/requests.xml",
        params={**jurisdiction, "start_date": "2026-03-01T00:00:00+05:30", "end_date": "2026-03-02T12:00:00+05:30"},
    )
    assert [row["service_request_id"] for row in xml_records(listed, formats.REQUESTS, REQUEST_FIELDS)] == [request_id]
    (one,) = xml_records(client.get(f"{BASE}/requests/{request_id}.xml", params=jurisdiction), formats.REQUESTS, REQUEST_FIELDS)
    assert (one["status"], one["service_code"], one["lat"]) == ("open", code, "12.9251")
    with db.session_scope() as session:
        grievance = grievances.grievance_by_tracking_id(session, request_id)
        assert (grievance.ward_key, grievance.contact_name, grievance.contact_phone) == (first_ward, "Asha K", None)


def test_the_service_layer_answers_without_http(database: str) -> None:
    with db.session_scope() as session:
        catalog = current_catalog(session)
        with pytest.raises(formats.Open311Error) as refused:
            service.create(session, catalog, {"service_code": "streetlight"}, who="x")
        assert refused.value.code == 400
        assert service.window(None, None, NOW) == (NOW - dt.timedelta(days=90), NOW)
