"""Assets: the equipment the organisation maintains, with components under a parent."""

from peewee import SQL, CharField, DateField, ForeignKeyField, TextField

from .base import AuditedModel, choice_check, is_postgres
from .client import Client
from .location import Location
from .organisation import Organisation
from .project import Project

ASSET_STATUSES = ("operational", "degraded", "down", "retired")
ASSET_STATUS_LABELS = {
    "operational": "Operational",
    "degraded": "Degraded",
    "down": "Down",
    "retired": "Retired",
}
CRITICALITIES = ("low", "medium", "high", "critical")


def asset_dependents():
    """Rows that hang off an asset and carry its project, client and location ids, so a
    move of anything above them must update them too."""
    from .document import Document  # these modules import this one
    from .meter import Meter

    return (Meter, Document)


def escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Asset(AuditedModel):
    # Ancestors are copied from the project so visibility is a column check on this table.
    # Their foreign keys are served by the composite indexes below, not one index each.
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    location = ForeignKeyField(Location, on_delete="RESTRICT", index=False)
    client = ForeignKeyField(Client, on_delete="RESTRICT", index=False)
    project = ForeignKeyField(Project, backref="assets", on_delete="RESTRICT", index=False)
    parent = ForeignKeyField(
        "self", null=True, backref="components", on_delete="RESTRICT", index=False
    )
    tag = CharField(max_length=40)
    name = CharField(max_length=160)
    category = CharField(max_length=80, default="")
    make = CharField(max_length=80, default="")
    model_name = CharField(max_length=80, default="", column_name="model")
    serial = CharField(max_length=80, default="")
    install_date = DateField(null=True)
    warranty_end = DateField(null=True)
    status = CharField(
        max_length=20, default="operational", constraints=[choice_check("status", ASSET_STATUSES)]
    )
    criticality = CharField(
        max_length=20, default="medium", constraints=[choice_check("criticality", CRITICALITIES)]
    )
    description = TextField(default="")

    class Meta:
        indexes = (
            (("organisation", "tag"), True),
            (("project", "name"), False),
            (("client", "name"), False),
            (("location", "name"), False),
            (("parent", "tag"), False),
        )

    def __str__(self):
        return f"{self.tag} {self.name}"

    @classmethod
    def matching(cls, text, few=False):
        """Assets whose tag, name, serial, make or model contains `text` (any case), through
        the search index of migration 0003: pg_trgm on PostgreSQL, FTS5 trigrams on SQLite
        (which need three characters; shorter terms scan). `few`: the caller's other
        conditions leave a few thousand assets (a technician's projects), which SQLite tests
        one by one rather than looking up every match of the index (15,000 for "chiller")."""
        if is_postgres():
            # The same expression the trigram index is built on, so the planner uses it.
            haystack, space = cls.tag, SQL("' '")
            for column in (cls.name, cls.serial, cls.make, cls.model_name):
                haystack = haystack.concat(space).concat(column)
            return haystack.ilike(f"%{escape_like(text)}%")
        if len(text) >= 3 and not few:
            phrase = '"' + text.replace('"', '""') + '"'
            return cls.id.in_(
                SQL("(SELECT rowid FROM asset_search WHERE asset_search MATCH ?)", [phrase])
            )
        condition = None
        for column in (cls.tag, cls.name, cls.serial, cls.make, cls.model_name):
            term = column.contains(text)
            condition = term if condition is None else condition | term
        return condition

    @property
    def status_label(self):
        return ASSET_STATUS_LABELS[self.status]

    def breadcrumbs(self):
        return [self.location, self.client, self.project, self]

    def save(self, *args, **kwargs):
        if self.project_id is not None:
            row = (
                Project.select(Project.client, Project.location)
                .where(Project.id == self.project_id)
                .get()
            )
            self.client_id, self.location_id = row.client_id, row.location_id
        return super().save(*args, **kwargs)

    def after_update(self, changed):
        # Components stay in their parent's project, and meters and documents carry their
        # asset's place in the hierarchy: the whole subtree moves with the asset.
        if "project" in changed:
            ids = [self.id, *self.descendant_ids()]
            place = dict(project=self.project_id, client=self.client_id, location=self.location_id)
            Asset.update(**place).where(Asset.id.in_(ids)).execute()
            for model in asset_dependents():
                model.update(**place).where(model.asset.in_(ids)).execute()

    def descendant_ids(self):
        """Ids of the components under this asset at any depth, safe against bad data."""
        found, level = {self.id}, [self.id]
        while level:
            rows = Asset.select(Asset.id).where(Asset.parent.in_(level)).tuples()
            level = [row_id for (row_id,) in rows if row_id not in found]
            found.update(level)
        found.discard(self.id)
        return sorted(found)

    def ancestors(self):
        """The chain of parent assets, nearest first, bounded against bad data."""
        chain, seen, current = [], {self.id}, self.parent
        while current is not None and current.id not in seen and len(chain) < 50:
            chain.append(current)
            seen.add(current.id)
            current = current.parent
        return chain

    def would_cycle(self, parent_id):
        """True when making parent_id this asset's parent would put it under itself."""
        if parent_id is None or self.id is None:
            return False
        current, steps = parent_id, 0
        while current is not None and steps < 100:
            if current == self.id:
                return True
            current = Asset.select(Asset.parent).where(Asset.id == current).scalar()
            steps += 1
        return False


# A partial index on live rows (migration 0003): "needs attention" on the home page.
Asset.add_index(
    Asset.index(
        Asset.organisation,
        Asset.status,
        Asset.name,
        where=Asset.archived_at.is_null(),
        name="asset_live_status",
    )
)

# Covering partial indexes for the list (migration 0006): one per sort, ids in order, so a
# deep page's OFFSET walks an index, never the table; the location, and on SQLite
# archived_at, ride along so a limited manager's scope is checked in the index too, and
# (migration 0019) the filter columns and, in a filter's index, the tag, so a filtered page
# is read from one index. asset_list_location also serves the list's count. Only their
# names are compared with the database (partial indexes), the columns are the keys.
for _name, _columns in (
    ("tag", (Asset.organisation, Asset.tag, Asset.id)),
    ("name", (Asset.organisation, Asset.name, Asset.id)),
    ("category", (Asset.organisation, Asset.category, Asset.id)),
    ("status", (Asset.organisation, Asset.status, Asset.id)),
    ("criticality", (Asset.organisation, Asset.criticality, Asset.id)),
    ("warranty_end", (Asset.organisation, Asset.warranty_end, Asset.id)),
    ("project", (Asset.project, Asset.organisation, Asset.id)),
    ("client", (Asset.client, Asset.organisation, Asset.id)),
    ("location", (Asset.organisation, Asset.location)),
):
    Asset.add_index(
        Asset.index(*_columns, where=Asset.archived_at.is_null(), name=f"asset_list_{_name}")
    )
