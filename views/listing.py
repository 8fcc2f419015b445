"""List pages: search, sort, filters and pagination from the URL, all done in the database."""

import math
from dataclasses import dataclass, field

from flask import request
from peewee import SQL, Ordering, fn

PER_PAGE_CHOICES = (25, 50, 100)
FROM_END_ROWS = 10_000  # lists this long read their later pages from the end (see paginate)


@dataclass
class Page:
    rows: list
    total: int
    page: int
    per_page: int
    sort: str
    q: str
    filters: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)
    capped: bool = False  # more rows match than were counted: `total` is a lower bound

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self):
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self):
        return min(self.total, self.page * self.per_page)


def _is_number(value):
    # ASCII only: str.isdigit() also accepts "²", which int() refuses.
    return value.isascii() and value.isdigit()


def _int_arg(name, default):
    value = request.args.get(name, "")
    return int(value) if _is_number(value) and len(value) < 9 else default


def search_terms():
    return request.args.get("q", "").strip()[:100].replace("\x00", "")


def paginate(
    query,
    sorts,
    default_sort,
    search_fields=(),
    filters=None,
    search=None,
    joins=None,
    display=(),
    nulls_last=(),
    sort_joins=None,
    count_limit=None,
    null_flags=False,
    sort_limit=None,
    count=None,
    sort_matches=False,
    sort_every_match=False,
):
    """Apply ?q, ?sort, ?page and ?per_page to `query` and return one Page.

    `sorts` maps a sort name to its column; the row id breaks ties so paging is stable.
    `search` turns the search text into a condition (else `search_fields` are scanned).
    `display` (columns) makes the page's ids picked first, in an index-only walk through
    the offset, and then its rows read by id. `joins` adds the joins for the `display`
    columns: the count runs without them, and a deep page does not drag joins through its
    offset (two queries whatever the page size: the count and the rows). `sort_joins(query,
    model)`, when given, adds just the join a sort by a column of `model` needs to pick the
    ids (the other joins would only slow the walk through the offset); without `joins`, the
    rows are read with that join alone.
    Sorts named in `nulls_last` put empty values last both ways, on both databases (a due
    date: undated work after dated work).
    Unknown sorts and out-of-range pages fall back to something sensible, never an error.

    `count_limit` (for lists of a million rows): count at most that many rows (the page
    says "10,000+") and page only through them; past them a notice says to narrow the
    filters or sort the other way. `null_flags`: order the `nulls_last` sorts by
    (column IS NULL, column), or backwards by (column IS NOT NULL DESC, column DESC), which
    indexes on those expressions serve on both databases (SQLite cannot read an index for
    NULLS LAST).

    `sort_limit` (with `count_limit` and `display`): count up to this many instead, and
    when no more rows than that match, pick the page by sorting the matching rows apart
    (sorted_apart) rather than walking the sort column's index past the rows that do not
    match. For a scope that is a small part of the table (a technician's projects, a
    client), whose rows an index of the scope reads alone.

    `count(query, limit)`, when given, counts instead of count_rows (same contract).

    `sort_matches` (with `count_limit`): when fewer rows match than the limit, the page is
    picked by sorting the matching rows (`ORDER BY COALESCE(column, column)`, which no index
    serves), not by walking the sort column's index past every row that does not match.
    SQLite keeps no statistics on how few rows a filter leaves and walks the index, so a
    deep page of a narrow filter read the whole index (6,000 assets of 200,000 that are
    down, their last page by tag: 99 ms walking, 10 ms sorting); PostgreSQL misjudges a
    filter that goes with the sort order (a category's tags share a prefix). Sorting at most
    `count_limit` rows bounds the cost either way. `sort_every_match` sorts the matches past
    `count_limit` too: for a search, whose index lists every match cheaply, while walking the
    sort index for a term that goes with the sort order ("cold" and the cold rooms' CR-
    tags) passed 42,000 rows before the first page of matches (60 ms, against 20 ms to sort
    16,000 matches).
    """
    notices = []
    model = query.model
    q = search_terms()
    if q and search is not None:
        query = query.where(search(q))
    elif q and search_fields:
        condition = None
        for column in search_fields:
            term = column.contains(q)
            condition = term if condition is None else condition | term
        query = query.where(condition)

    sort = request.args.get("sort", default_sort)
    key = sort.lstrip("-")
    if key not in sorts:
        if sort:
            notices.append("That sort order is not available; showing the default.")
        sort, key = default_sort, default_sort.lstrip("-")
    column = sorts[key]
    sort_model = getattr(column, "model", model)

    per_page = _int_arg("per_page", PER_PAGE_CHOICES[0])
    if per_page not in PER_PAGE_CHOICES:
        per_page = PER_PAGE_CHOICES[0]
    reach = max(count_limit, sort_limit or 0) if count_limit is not None else None
    found = (count or count_rows)(query, reach)
    capped = count_limit is not None and found > count_limit
    total = count_limit if capped else found
    apart = sort_limit is not None and found <= sort_limit
    if sort_every_match or (sort_matches and not capped):
        column = fn.COALESCE(column, column)  # the same values, but no index walks them
    order, backwards = _orders(model, column, sort.startswith("-"), key in nulls_last, null_flags)
    pages = max(1, math.ceil(total / per_page))
    page = _int_arg("page", 1) or 1
    if page > pages and capped:
        notices.append(
            f"Only the first {total:,} can be paged through; showing page {pages}. "
            "Narrow the filters or sort the other way to reach the others."
        )
        page = pages
    elif page > pages:
        notices.append(f"There is no page {page}; showing page {pages}, the last.")
        page = pages
    # In a long list, a page past the middle is read from the other end, in the opposite
    # order: an OFFSET walks every row before it, so the last page costs what the first
    # does, and the middle is the deepest any page goes. The reversed order is the exact
    # mirror on both databases (NULLs included), so the rows are the same. A short list
    # keeps the forward order, whose plan is the one the first page gets: its OFFSET is
    # cheap, and a reversed order can make the planner walk a whole index (PostgreSQL, a
    # technician's list by status: 40 -> 350 ms).
    offset = (page - 1) * per_page
    limit = max(0, min(per_page, total - offset))
    from_end = not capped and total > FROM_END_ROWS and offset > total - offset - limit
    window = (backwards, total - offset - limit) if from_end else (order, offset)
    if not display:
        rows = list(query.order_by(*window[0]).limit(limit or per_page).offset(window[1]))
        if from_end:
            rows.reverse()
    else:
        picker, shown = query.select(model.id), model.select(*display)
        if joins is not None:
            shown = joins(shown)
        if sort_model is not model:
            picker = sort_joins(picker, sort_model) if sort_joins else joins(picker)
            if joins is None:  # the rows are sorted again, by the joined column
                shown = sort_joins(shown, sort_model)
        picker = sorted_apart(picker, window[0]) if apart else picker.order_by(*window[0])
        ids = picker.limit(limit or per_page).offset(window[1])
        rows = list(shown.where(model.id.in_(ids)).order_by(*order))
    return Page(rows, total, page, per_page, sort, q, filters or {}, notices, capped)


def _orders(model, column, descending, nulls_last, null_flags):
    """The ORDER BY of a sort, and its exact mirror (for reading a page from the end)."""
    if nulls_last and null_flags:
        if descending:  # (IS NOT NULL) DESC: undated last, and one index read backwards
            dated = column.is_null(False)
            return (dated.desc(), column.desc(), model.id.desc()), (dated, column, model.id)
        undated = column.is_null()
        return (undated, column, model.id), (undated.desc(), column.desc(), model.id.desc())
    last, first = ("LAST", "FIRST") if nulls_last else (None, None)
    if descending:
        return (column.desc(nulls=last), model.id.desc()), (column.asc(nulls=first), model.id)
    return (column.asc(nulls=last), model.id), (column.desc(nulls=first), model.id.desc())


def sorted_apart(picker, order):
    """`picker` (a query of ids) ordered by `order`, with the matching rows and their sort
    keys read in a subquery and sorted outside it. Its OFFSET 0 keeps either database from
    turning the ORDER BY ... LIMIT into a walk along the sort column's index (neither
    flattens a subquery with an OFFSET): it reads the rows that match through the index
    best for the filters, then sorts them."""
    model = picker.model
    terms = [term if isinstance(term, Ordering) else term.asc() for term in order]
    keys = [term.node.alias(f"key_{i}") for i, term in enumerate(terms)]
    matching = picker.select(model.id.alias("picked"), *keys).offset(0).alias("matching")
    outer = [
        Ordering(getattr(matching.c, f"key_{i}"), term.direction, nulls=term.nulls)
        for i, term in enumerate(terms)
    ]
    return model.select(matching.c.picked).from_(matching).order_by(*outer)


def count_rows(query, limit):
    """The rows matching, counted to limit + 1 at most (a count over `limit` means "more")."""
    query = query.order_by()
    if limit is None:
        return query.select(fn.COUNT(SQL("*"))).scalar() or 0
    return (
        query.model.select(fn.COUNT(SQL("*")))
        .from_(query.select(SQL("1")).limit(limit + 1).alias("capped"))
        .scalar()
    )


def choice_arg(name, allowed):
    """A filter value from the URL, kept only when it is one of the allowed values."""
    value = request.args.get(name, "")
    return value if value in allowed else ""


def id_arg(name):
    value = request.args.get(name, "")
    return int(value) if _is_number(value) and len(value) < 10 else None
