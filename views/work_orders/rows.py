"""What a row of work shows, read apart from the rows themselves.

Lists, the board and My work pick their orders from `work_order` alone, then read the names
the rows show (project code, client, site time zone, asset, assignees) by id in one more
query. On PostgreSQL, planning the five-table join these pages used to run cost 15–40 ms a
query, more than running it (the planner weighs every join order against some 30 indexes);
a one-table query plans in about a millisecond, and a lookup by primary key in less.
"""

from peewee import JOIN, SQL, Value

from models import Asset, Assignment, Client, Location, Project, User, WorkOrder

# The order's columns a row shows (not all of them: building the SQL for every column of
# the order costs more than running it, on a page of 25 rows).
ROW_FIELDS = (
    WorkOrder.id,
    WorkOrder.organisation,
    WorkOrder.location,
    WorkOrder.client,
    WorkOrder.project,
    WorkOrder.asset,
    WorkOrder.number,
    WorkOrder.title,
    WorkOrder.type,
    WorkOrder.priority,
    WorkOrder.status,
    WorkOrder.due_at,
    WorkOrder.estimated_hours,
    WorkOrder.completed_at,
    WorkOrder.created_at,
)
# The order's attribute -> (its model, the one or two columns the rows show of it)
NAMED = {
    "project": (Project, Project.code, None),
    "client": (Client, Client.name, None),
    "location": (Location, Location.timezone, None),
    "asset": (Asset, Asset.tag, Asset.name),
}


def with_names(orders, assignees=False):
    """Give each order its project, client, location and asset (with the columns the rows
    show), in one query by id whatever the number of orders; with `assignees`, that query
    also reads who is assigned, returned as {order id: [names, by name]}."""
    orders = list(orders)
    if not orders:
        return {}
    blank = Value("")
    parts = []
    for kind, (model, first, second) in NAMED.items():
        ids = {getattr(order, f"{kind}_id") for order in orders} - {None}
        if ids:
            columns = (Value(kind), model.id, first, blank if second is None else second)
            parts.append(model.select(*columns).where(model.id.in_(sorted(ids))))
    if assignees:
        parts.append(
            Assignment.select(Value("assignee"), Assignment.work_order, User.name, blank)
            .join(User, JOIN.INNER, on=(Assignment.user == User.id))
            .where(Assignment.work_order.in_([order.id for order in orders]))
        )
    union = parts[0]
    for part in parts[1:]:
        union = union + part  # UNION ALL
    found = {kind: {} for kind in NAMED}
    names = {}
    for kind, row_id, label, extra in union.order_by(SQL("1"), SQL("3")).tuples():
        if kind == "assignee":
            names.setdefault(row_id, []).append(label)
            continue
        model, first, second = NAMED[kind]
        row = model(id=row_id, **{first.name: label})
        if second is not None:
            setattr(row, second.name, extra)
        found[kind][row_id] = row
    for order in orders:
        for kind, rows in found.items():
            row_id = getattr(order, f"{kind}_id")
            if row_id is not None:
                setattr(order, kind, rows[row_id])
    return names


def read_picks(picks, *order_by):
    """{key: [orders]} for several short, ordered picks of orders ({key: query}: a board's
    columns, My work's sections), read in one query: each pick is a subquery of ids (where
    SQLite accepts its ORDER BY and LIMIT), and the rows are read once, by id, in
    `order_by`'s order (each list keeps the order of the outer query)."""
    union = None
    for number, (key, query) in enumerate(picks.items()):
        some = query.select(Value(key).alias("pick"), WorkOrder.id.alias("picked"))
        some = some.alias(f"pick_{number}")
        part = WorkOrder.select(some.c.pick, some.c.picked).from_(some)
        union = part if union is None else union + part  # UNION ALL
    picked = union.alias("picked")
    rows = (
        WorkOrder.select(*ROW_FIELDS, picked.c.pick)
        .join(picked, on=(picked.c.picked == WorkOrder.id))
        .order_by(*order_by)
        .objects()  # the pick's key on the order itself
    )
    found = {key: [] for key in picks}
    for order in rows:
        found[order.pick].append(order)
    return found
