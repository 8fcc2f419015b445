"""CSV import and export of assets: the same columns both ways, so a round trip works.

An import is checked in full first (a preview with row-by-row errors); only a clean file is
applied, in one transaction, creating new tags and updating existing ones.
"""

import csv
import datetime
import io
import re
from collections import namedtuple
from dataclasses import dataclass, field

from peewee import JOIN

from .asset import ASSET_STATUSES, CRITICALITIES, Asset
from .asset_import import apply, by_tags  # noqa: F401 (apply: the import's second half)
from .project import Project

COLUMNS = (
    "tag",
    "name",
    "project_code",
    "parent_tag",
    "category",
    "make",
    "model",
    "serial",
    "install_date",
    "warranty_end",
    "status",
    "criticality",
    "description",
)
REQUIRED = ("tag", "name", "project_code")
LIMITS = {
    "tag": 40,
    "name": 160,
    "category": 80,
    "make": 80,
    "model": 80,
    "serial": 80,
    "description": 5000,
    "parent_tag": 40,
    "project_code": 40,
}
MAX_ROWS = 50_000
COLUMN_HELP = {
    "tag": "Required. Unique in your organisation; a tag that exists updates that asset.",
    "name": "Required. What people call it, e.g. 'Chiller 2, roof'.",
    "project_code": "Required. The code of a project you can see, e.g. NGM-HV.",
    "parent_tag": "Optional. Tag of the asset this is a component of (same project).",
    "category": "Optional. e.g. Chiller, Passenger lift, Fire alarm panel.",
    "make": "Optional. Manufacturer.",
    "model": "Optional. Manufacturer's model.",
    "serial": "Optional. Serial number.",
    "install_date": "Optional. YYYY-MM-DD.",
    "warranty_end": "Optional. YYYY-MM-DD.",
    "status": "Optional. " + ", ".join(ASSET_STATUSES) + " (default operational).",
    "criticality": "Optional. " + ", ".join(CRITICALITIES) + " (default medium).",
    "description": "Optional. Notes.",
}
_FORMULA = re.compile(r"^[=@]|^[+\-][^\d.\s]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


Known = namedtuple("Known", "id project_id")  # an asset of the register the file names


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""


@dataclass
class ImportPreview:
    rows: list = field(default_factory=list)  # (line, values, action)
    errors: list = field(default_factory=list)  # (line, column, message)
    columns: tuple = ()

    @property
    def clean(self):
        return not self.errors and bool(self.rows)

    @property
    def creates(self):
        return sum(1 for *_, action in self.rows if action == "create")

    @property
    def updates(self):
        return sum(1 for *_, action in self.rows if action == "update")


def template_csv():
    """The import template: the header, a line of help per column, and an example."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "AHU-0001",
            "Air handling unit 1, roof",
            "NGM-HV",
            "",
            "Air handling unit",
            "Daikin",
            "D-AHU Professional",
            "DK12-345678",
            "2019-05-01",
            "2024-05-01",
            "operational",
            "high",
            "Serves levels 1-3",
        ]
    )
    return out.getvalue()


def decode(data):
    """CSV bytes as text: UTF-8 (with or without BOM) or UTF-16 with a BOM, else a clear no."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "This file is not UTF-8 text. In Excel, save it as 'CSV UTF-8 (Comma delimited)'."
        ) from None


def _parse_date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _neutralised(text):
    """A cell our export prefixed with ' so that spreadsheets take it as text, not a formula."""
    return text.startswith("'") and len(text) > 1 and text[1] in "=+-@"


def _clean_cell(text):
    text = (text or "").strip()
    return text[1:] if _neutralised(text) else text


def read_rows(data):
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader, [])]
    except csv.Error as exc:
        raise ImportFileError(f"This is not a readable CSV file ({exc}).") from None
    if not any(header):
        raise ImportFileError("The file is empty: the first line must name the columns.")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise ImportFileError("Column(s) named twice: " + ", ".join(repeated) + ".")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(
            "Missing required column(s): "
            + ", ".join(missing)
            + ". Download the template to see the columns."
        )
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportFileError("Unknown column(s): " + ", ".join(unknown) + ".")
    rows = []
    try:
        for line_no, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(f"A file can hold at most {MAX_ROWS:,} assets.")
            cells += [""] * (len(header) - len(cells))  # trailing empty cells left out
            cells = {h: c.strip() for h, c in zip(header, cells, strict=False) if h}
            # A neutralised cell is text that merely starts like a formula: kept as such.
            literal = {h for h, c in cells.items() if _neutralised(c)}
            rows.append((line_no, {h: _clean_cell(c) for h, c in cells.items()}, literal))
    except csv.Error as exc:
        raise ImportFileError(f"This is not a readable CSV file ({exc}).") from None
    return tuple(h for h in header if h), rows


def _row_values(line, row, errors, literal=()):
    """Typed values of one row; problems go to `errors` as (line, column, message). Columns
    in `literal` were neutralised by an export and are not taken for formulas."""
    values = {}
    for column, text in row.items():
        if _CONTROL.search(text):
            errors.append((line, column, "contains characters that are not allowed"))
        elif _FORMULA.match(text) and column not in literal:
            errors.append(
                (line, column, "looks like a spreadsheet formula; remove the leading = + - or @")
            )
        elif column in LIMITS and len(text) > LIMITS[column]:
            errors.append((line, column, f"is longer than {LIMITS[column]} characters"))
        elif column in ("install_date", "warranty_end"):
            if text and _parse_date(text) is None:
                errors.append((line, column, f"'{text}' is not a date: use YYYY-MM-DD"))
            values[column] = _parse_date(text) if text else None
        elif column == "status":
            values[column] = text.lower() or "operational"
            if values[column] not in ASSET_STATUSES:
                errors.append(
                    (line, column, f"'{text}' is not one of " + ", ".join(ASSET_STATUSES))
                )
        elif column == "criticality":
            values[column] = text.lower() or "medium"
            if values[column] not in CRITICALITIES:
                errors.append((line, column, f"'{text}' is not one of " + ", ".join(CRITICALITIES)))
        else:
            values[column] = text
    for column in REQUIRED:
        if not row.get(column):
            errors.append((line, column, "is required"))
    return values


def preview(user, data, visible_assets, visible_projects):
    """Check a whole file against the database without writing anything."""
    columns, rows = read_rows(data)
    result = ImportPreview(columns=columns)
    projects = {p.code: p for p in visible_projects.where(Project.archived_at.is_null())}
    tags = [row.get(column, "") for _, row, _ in rows for column in ("tag", "parent_tag")]
    wanted = sorted({t for t in tags if t})
    registered = Asset.select(Asset.tag, Asset.id, Asset.project).where(
        Asset.organisation == user.organisation_id
    )
    existing = {
        tag: Known(asset_id, project_id)
        for tag, asset_id, project_id in by_tags(registered, wanted)
    }
    visible_ids = {asset_id for (asset_id,) in by_tags(visible_assets.select(Asset.id), wanted)}
    in_file = {}
    for line, row, literal in rows:
        values = _row_values(line, row, result.errors, literal)
        tag = values.get("tag", "")
        if tag in in_file:
            result.errors.append((line, "tag", f"'{tag}' is already on line {in_file[tag][0]}"))
            continue
        project = projects.get(values.get("project_code", ""))
        if values.get("project_code") and project is None:
            result.errors.append(
                (
                    line,
                    "project_code",
                    f"no active project '{values['project_code']}' that you can see",
                )
            )
        known = existing.get(tag)
        if known is not None and known.id not in visible_ids:
            result.errors.append((line, "tag", f"'{tag}' belongs to an asset you cannot change"))
        values["_project"] = project
        in_file[tag] = (line, values)
        result.rows.append((line, values, "update" if known is not None else "create"))
    _check_parents(result, in_file, existing, visible_ids)
    return result


def _check_parents(result, in_file, existing, visible_ids):
    """Parents must exist (in the file or the register), share the project, and not loop."""
    for line, values, _action in result.rows:
        parent_tag = values.get("parent_tag")
        if not parent_tag:
            continue
        project = values["_project"]
        if parent_tag == values.get("tag"):
            result.errors.append((line, "parent_tag", "an asset cannot be its own parent"))
        elif parent_tag in in_file:
            parent_project = in_file[parent_tag][1]["_project"]
            if project and parent_project and parent_project.id != project.id:
                result.errors.append((line, "parent_tag", "the parent is in another project"))
        elif parent_tag in existing and existing[parent_tag].id in visible_ids:
            if project and existing[parent_tag].project_id != project.id:
                result.errors.append((line, "parent_tag", "the parent is in another project"))
        else:
            result.errors.append((line, "parent_tag", f"no asset '{parent_tag}' that you can see"))
    # Loops: follow parents through the file and the register.
    for line, values, _action in result.rows:
        seen, tag = set(), values.get("tag")
        while tag and tag not in seen and len(seen) < 1000:
            seen.add(tag)
            if tag in in_file:
                tag = in_file[tag][1].get("parent_tag") or None
            elif tag in existing:
                tag = None  # a registered parent's own chain is already loop-free
            else:
                tag = None
        if tag in seen:
            result.errors.append((line, "parent_tag", "these parents form a loop"))
    result.errors.sort()


def neutralise(value):
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_rows(query):
    """CSV lines (header first) for an asset query, streamed without loading every row."""
    parent = Asset.alias("parent")
    rows = (
        query.select(
            Asset.tag,
            Asset.name,
            Project.code.alias("project_code"),
            parent.tag.alias("parent_tag"),
            Asset.category,
            Asset.make,
            Asset.model_name,
            Asset.serial,
            Asset.install_date,
            Asset.warranty_end,
            Asset.status,
            Asset.criticality,
            Asset.description,
        )
        .join_from(Asset, parent, JOIN.LEFT_OUTER, on=(Asset.parent == parent.id))
        .tuples()
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    yield out.getvalue()
    for row in rows.iterator():
        out.seek(0)
        out.truncate()
        writer.writerow([neutralise(v.isoformat() if hasattr(v, "isoformat") else v) for v in row])
        yield out.getvalue()
