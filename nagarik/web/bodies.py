"""What the officials' API takes in its request bodies, for its OpenAPI description only.

These models document the shapes for departments' systems; they never validate a request: what
arrives is checked by nagarik.outbound.checks and the services, as the command line's input is,
so a 400 names the field in the same words everywhere and a body the models would refuse gets
that precise answer rather than a generic validation error.
"""

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from nagarik.outbound import broadcasts, checks
from nagarik.shared.seed_files import LANGUAGES

# Literal of a tuple is the Literal of its items: the documented choices follow the checks' constants.
Language = Literal[LANGUAGES]
Texts = dict[Language, str]
TEXTS = f"a text per language, English at least; at most {checks.LONGEST_TEXT} characters each"
MOMENT = "an ISO time; without an offset, IST"


class Error(BaseModel):
    """Every refusal: 400 names the field, 403 the missing scope."""

    error: str


class Media(BaseModel):
    type: Literal[checks.MEDIA_TYPES]
    link: str = Field(description="an https:// address", max_length=checks.LONGEST_LINK)


class AudienceChoice(BaseModel):
    wards: list[str] | None = Field(None, description="ward keys; none: every ward")
    topics: list[str] | None = Field(None, description="topic keys; none: any topic the citizen chose")
    languages: list[Language] | None = Field(None, description="none: every language")


class NewBroadcast(AudienceChoice):
    kind: Literal[broadcasts.DIRECT_KINDS] = Field(
        "announcement", description='"emergency" needs the alert scope and wards, and overtakes every other send'
    )
    texts: Texts = Field(description=TEXTS)
    media: Media | None = Field(None, description="sent with the text as its caption")
    send_at: dt.datetime | None = Field(None, description=f"{MOMENT}; none: now")


class StageChange(BaseModel):
    stage: str = Field(description="the service's stage key", max_length=64)
    expected_on: dt.date | None = Field(None, description="when the next step is expected")


class Photo(BaseModel):
    type: Literal["image"]
    link: str = Field(description="an https:// address of a JPEG or PNG", max_length=checks.LONGEST_LINK)


PHOTO = "with a resolution only: the officer's photo of the repair, above the rating buttons (inside WhatsApp's 24-hour window)"


class StatusChange(BaseModel):
    status: str = Field(description="registered, acknowledged, assigned, in_progress, resolved, ...", max_length=16)
    note: str | None = Field(None, description="shown to the citizen", max_length=2000)
    photo: Photo | None = Field(None, description=PHOTO)


class Transition(BaseModel):
    to: str = Field(description="the state to move to (nagarik.citizens.grievance_lifecycle.STATES)", max_length=16)
    remark: str | None = Field(None, description="shown to the citizen (a resolution's or rejection's reason)", max_length=2000)
    photo: Photo | None = Field(None, description=PHOTO)


class AppealDecision(BaseModel):
    decision: str = Field(description="the appellate authority's decision, shown to the citizen", max_length=2000)


class PollOption(BaseModel):
    key: str
    names: Texts


class NewPoll(AudienceChoice):
    question: Texts = Field(description=TEXTS)
    options: list[PollOption]
    allow_comments: bool = True
    closes_at: dt.datetime | None = Field(None, description=MOMENT)
    send_at: dt.datetime | None = Field(None, description=f"{MOMENT}; none: now")


class NewCitizenDate(BaseModel):
    kind: str = Field(description="what falls due (config/reminders.yml), e.g. licence_expiry", max_length=32)
    due_on: dt.date
    reference: str | None = Field(None, description="the licence's or document's number", max_length=64)


class CampaignStep(BaseModel):
    day: int = Field(ge=0, description="days after start_on")
    hour: int = Field(ge=0, le=23, description="IST")
    texts: Texts = Field(description=TEXTS)
    media: Media | None = None


class CampaignDefinition(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    steps: list[CampaignStep] = Field(description="in order of day and hour, one step per moment")


class NewCampaign(AudienceChoice):
    campaign: str | None = Field(None, description="a file of config/campaigns (its name without .yml); or give definition")
    definition: CampaignDefinition | None = None
    start_on: dt.date


BODIES = (NewBroadcast, StageChange, StatusChange, NewPoll, NewCitizenDate, NewCampaign)
SCHEMA_REFS = "#/components/schemas/{model}"


def components() -> dict[str, Any]:
    """The bodies' schemas (and the models they use) as OpenAPI components."""
    _, schemas = models_json_schema([(model, "validation") for model in BODIES], ref_template=SCHEMA_REFS)
    return schemas["$defs"]


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """A route's openapi_extra: it takes `model` as JSON (read by the route itself, after the token is checked)."""
    schema = {"$ref": SCHEMA_REFS.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
