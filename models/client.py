"""Clients: the customers whose equipment the organisation maintains."""

from peewee import BooleanField, CharField, ForeignKeyField, TextField

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
    # The client's people (its users and contact address) hear of completed work.
    completion_alerts = BooleanField(default=False)

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
        # Everything under a client carries its location: move it all with the client.
        if "location" in changed:
            from .asset import Asset, asset_dependents
            from .project import Project

            for model in (Project, Asset, *asset_dependents()):
                model.update(location=self.location_id).where(model.client == self.id).execute()
