"""Clients: the customers whose equipment the organisation maintains."""

from peewee import CharField, ForeignKeyField, TextField

from .base import AuditedModel
from .location import Location
from .organisation import Organisation


class Client(AuditedModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    location = ForeignKeyField(Location, backref="clients", on_delete="RESTRICT")
    name = CharField(max_length=160)
    contact_name = CharField(max_length=120, default="")
    email = CharField(max_length=254, default="")
    phone = CharField(max_length=40, default="")
    address = TextField(default="")

    class Meta:
        indexes = (
            (("organisation", "name"), True),
            (("location", "name"), False),
        )

    def __str__(self):
        return self.name

    def breadcrumbs(self):
        return [self.location, self]

    def after_update(self, changed):
        # Projects and assets carry their client's location: move them with it.
        if "location" in changed:
            from .asset import Asset
            from .project import Project

            Project.update(location=self.location_id).where(Project.client == self.id).execute()
            Asset.update(location=self.location_id).where(Asset.client == self.id).execute()
