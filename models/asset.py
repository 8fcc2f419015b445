"""Assets: the equipment the organisation maintains, with components under a parent."""

from peewee import CharField, DateField, ForeignKeyField, TextField

from .base import AuditedModel, choice_check
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


class Asset(AuditedModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    # Ancestors are copied from the project so visibility is a column check on this table.
    location = ForeignKeyField(Location, on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    project = ForeignKeyField(Project, backref="assets", on_delete="RESTRICT")
    parent = ForeignKeyField("self", null=True, backref="components", on_delete="RESTRICT")
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
            (("organisation", "name", "id"), False),
            (("project", "name"), False),
            (("client", "name"), False),
            (("location", "name"), False),
            (("organisation", "status"), False),
            (("organisation", "category"), False),
            (("parent",), False),
        )

    def __str__(self):
        return f"{self.tag} {self.name}"

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
