"""Projects: a contract or site for a client; work and access are organised by project."""

from peewee import CharField, Check, DateField, ForeignKeyField, TextField

from .base import AuditedModel, choice_check
from .client import Client
from .location import Location
from .organisation import Organisation

PROJECT_STATUSES = ("planned", "active", "on_hold", "closed")
PROJECT_STATUS_LABELS = {
    "planned": "Planned",
    "active": "Active",
    "on_hold": "On hold",
    "closed": "Closed",
}


class Project(AuditedModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    location = ForeignKeyField(Location, on_delete="RESTRICT")
    client = ForeignKeyField(Client, backref="projects", on_delete="RESTRICT")
    code = CharField(max_length=40)
    name = CharField(max_length=160)
    status = CharField(
        max_length=20, default="active", constraints=[choice_check("status", PROJECT_STATUSES)]
    )
    start_date = DateField(null=True)
    end_date = DateField(null=True)
    description = TextField(default="")

    class Meta:
        indexes = (
            (("organisation", "code"), True),
            (("organisation", "name"), False),
            (("client", "name"), False),
            (("location", "name"), False),
        )
        constraints = [Check("end_date IS NULL OR start_date IS NULL OR end_date >= start_date")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def status_label(self):
        return PROJECT_STATUS_LABELS[self.status]

    def breadcrumbs(self):
        return [self.location, self.client, self]

    def save(self, *args, **kwargs):
        # A project always sits at its client's location.
        if self.client_id is not None:
            self.location = (
                Client.select(Client.location).where(Client.id == self.client_id).scalar()
            )
        return super().save(*args, **kwargs)

    def after_update(self, changed):
        # Assets and what hangs off them carry their project's client and location.
        if "client" in changed:
            from .asset import Asset, asset_dependents

            for model in (Asset, *asset_dependents()):
                model.update(client=self.client_id, location=self.location_id).where(
                    model.project == self.id
                ).execute()
