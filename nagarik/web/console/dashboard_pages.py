"""How the service is doing: the dashboard (figures: nagarik.officials.dashboard; charts:
nagarik.shared.svg_chart, drawn here and inlined as SVG, their text escaped there)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from nagarik.officials import dashboard, grievance_reports
from nagarik.shared import clock, svg_chart
from nagarik.staff import audit, policy
from nagarik.web.console import render, security
from nagarik.web.console.security import Visit
from nagarik.web.console.words import words

router = APIRouter(prefix=security.PREFIX)


@router.get("/dashboard")
def dashboard_page(
    request: Request, first: str | None = Query(None, alias="from"), last: str | None = Query(None, alias="to")
) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_DASHBOARD)
        now = clock.utcnow()
        period = dashboard.Period.parse(first, last, now)
        figures = dashboard.dashboard(session, dashboard.sources(), period, now)
        t = words(visit.official.language)
        categories = grievance_reports.category_names(session)
        return render.page(
            request,
            "dashboard.html",
            visit,
            figures=figures,
            charts=charts(figures, t),
            percent=percent,
            duration=lambda delta: duration(delta, t),
            name_of=lambda key: _name(figures.department_names.get(key), visit.official.language) or key,
            report=grievance_reports.report(session, period, policy.visible_departments(visit.official, policy.READ_DASHBOARD)),
            category_of=lambda key: _name(categories.get(key), visit.official.language) or key,
            days=lambda value: "–" if value is None else f"{value:.1f}",
        )

    return render.with_visit(request, page)


@router.get("/dashboard/grievance-report.csv")
def grievance_report_csv(
    request: Request, first: str | None = Query(None, alias="from"), last: str | None = Query(None, alias="to")
) -> Response:
    """The dashboard's grievance lifecycle section as CSV (nagarik.officials.grievance_reports), to
    whoever may read the dashboard, for the departments they may see."""

    def export(session: Session, visit: Visit) -> Response:
        render.require(visit, policy.READ_DASHBOARD)
        period = dashboard.Period.parse(first, last, clock.utcnow())
        departments = policy.visible_departments(visit.official, policy.READ_DASHBOARD)
        body = grievance_reports.report_csv(grievance_reports.report(session, period, departments))
        shown = f"{period.first.isoformat()}..{period.last.isoformat()}"
        audit.record(session, visit.official.username, "dashboard.grievance_report", "", visit.ip, shown)
        name = f"grievance-report-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)

    return render.with_visit(request, export)


def charts(figures: dashboard.Dashboard, t: dict[str, str]) -> dict[str, Markup]:
    """The page's SVG charts; svg_chart escapes every text it writes, so they are safe to inline."""

    def per_day(counts: dict[dt.date, int], title: str) -> Markup:
        return Markup(svg_chart.columns([(day.strftime("%d-%m"), count) for day, count in counts.items()], title))

    active = figures.active_citizens
    languages = [(key, count / active, f"{count} ({percent(count / active)})") for key, count in figures.languages.items()]
    understood = figures.intents.turns - figures.intents.not_understood
    intents = [(key, count / understood, str(count)) for key, count in figures.intents.top] if understood else []
    return {
        "messages": per_day(figures.messages, t["dashboard_messages_per_day"]),
        "replies": per_day(figures.replies, t["dashboard_replies_per_day"]),
        "conversations": per_day(figures.conversations, t["dashboard_conversations_per_day"]),
        "languages": Markup(svg_chart.bars(languages, t["dashboard_languages"])) if languages else Markup(""),
        "intents": Markup(svg_chart.bars(intents, t["dashboard_top_intents"])) if intents else Markup(""),
    }


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.1%}"


def duration(delta: dt.timedelta | None, t: dict[str, str]) -> str:
    """Whole minutes, as "1 h 05 min" or "12 min" in the official's words."""
    if delta is None:
        return "–"
    hours, minutes = divmod(round(delta.total_seconds() / 60), 60)
    return (
        f"{hours} {t['dashboard_hours']} {minutes:02d} {t['dashboard_minutes']}"
        if hours
        else f"{minutes} {t['dashboard_minutes']}"
    )


def _name(names: dict[str, str] | None, language: str) -> str | None:
    return (names.get(language) or names.get("en")) if names else None
