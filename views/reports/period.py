"""The period report for a client or a project, for a month, a quarter or a range of days:
one page, printable, and the same as a PDF and its tables as CSV.

Its URL names the subject and the period in dates (`?client=3&period=month&month=2026-10`),
so a link means the same thing whenever it is opened and never expires while the person may
see the client. Client users report on their own client only; technicians use the service
report and the asset history instead (403 here), and anyone asking for a client or project
they cannot see gets 404.
"""

from flask import abort, current_app, request, url_for
from flask_login import current_user, login_required

from models import Client, Project, utcnow
from models.clock import utc_to_local
from models.kpi import Cover
from models.periods import KINDS, PeriodError, parse
from models.report_tables import TABLES, period_table
from models.reports import LIST_ROWS, build_period_report
from models.visibility import visible

from ..access import visible_or_404
from ..listing import id_arg
from ..rendering import render
from . import bp
from .branding import letterhead
from .charts import period_charts
from .output import csv_response, document, paper_arg, pdf_response

MAX_CHOICES = 500
REPORTING_ROLES = ("admin", "manager", "client")


def subject_from_args():
    """(client, project) named in the URL, each visible to the user or 404; a client user's
    own client when none is named. A project names its client."""
    project_id, client_id = id_arg("project"), id_arg("client")
    project = visible_or_404(Project, project_id) if project_id else None
    client = visible_or_404(Client, client_id) if client_id else None
    if project and client and project.client_id != client.id:
        abort(404)
    if project:
        client = project.client
    if client is None and current_user.role == "client":
        client = current_user.client
    if current_user.role not in REPORTING_ROLES:
        abort(403)
    return client, project


def choices(client):
    """The clients (and the chosen client's projects) for the report form."""
    clients = visible(Client, current_user, Client.id, Client.name).order_by(Client.name)
    projects = []
    if client is not None:
        projects = list(
            visible(Project, current_user, Project.id, Project.code, Project.name)
            .where(Project.client == client.id)
            .order_by(Project.code)
            .limit(MAX_CHOICES)
        )
    return {
        "clients": [(c.id, c.name) for c in clients.limit(MAX_CHOICES)],
        "projects": [(p.id, f"{p.code} {p.name}") for p in projects],
    }


def _today(tz):
    return utc_to_local(utcnow(), tz).date()


@bp.route("/period")
@login_required
def period():
    """The report page, or its PDF (`format=pdf`) or one table as CSV (`format=csv&table=`)."""
    client, project = subject_from_args()
    tz = (project or client).location.timezone if client else current_user.timezone or "UTC"
    context = {"client": client, "project": project, "kinds": KINDS, "errors": {}}
    context["options"] = choices(client)
    try:
        chosen = parse(request.args, _today(tz))
    except PeriodError as error:
        context["errors"][error.field] = str(error)
        context["chosen"] = None
        return render("reports/period.html", "report", status=422, report=None, **context)
    context["chosen"] = chosen
    if client is None:
        asked = any(request.args.get(name) for name in ("client", "project"))
        if asked:
            context["errors"]["client"] = "Choose a client or a project."
        status = 422 if asked else 200
        return render("reports/period.html", "report", status=status, report=None, **context)
    cover = Cover(current_user, client_id=client.id, project_id=project.id if project else None)
    name = f"{(project or client).name} {chosen.label}"
    output = request.args.get("format", "html")
    if output == "csv":
        table = request.args.get("table", "")
        if table not in TABLES:
            abort(404)
        header, rows = period_table(table, cover, chosen, tz, utcnow())
        return csv_response(header, rows, f"{name} {TABLES[table]}")
    context.update(report_context(current_user, client, project, chosen, tz))
    if output == "pdf":
        paper = paper_arg(default_paper(tz))
        title = f"Maintenance report {name}"
        return pdf_response(document("reports/_period_body.html", title, paper, context), title)
    return render("reports/period.html", "report", **context)


def default_paper(tz):
    """Letter in the Americas, A4 elsewhere."""
    return "letter" if tz.startswith("America/") else "a4"


def report_context(user, client, project, chosen, tz):
    """What the report's document shows, as `user` sees it (the page, the PDF, the emailed
    PDF of a scheduled delivery)."""
    cover = Cover(user, client_id=client.id, project_id=project.id if project else None)
    report = build_period_report(cover, chosen, tz)
    args = {"client": client.id, **({"project": project.id} if project else {})}
    return {
        "client": client,
        "project": project,
        "report": report,
        "tz": tz,
        "charts": period_charts(report.trend),
        "list_rows": LIST_ROWS,
        "tables": TABLES,
        "permalink": current_app.config["BASE_URL"].rstrip("/")
        + url_for("reports.period", **args, **chosen.query_args()),
        "pdf_args": {**args, **chosen.query_args()},
        **letterhead(user.organisation),
    }
