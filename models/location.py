"""Locations: the regions or branches a client is served from, each in its own time zone."""

import zoneinfo

from peewee import CharField, ForeignKeyField, TextField

from .base import AuditedModel
from .organisation import Organisation

TIMEZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class Location(AuditedModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    name = CharField(max_length=120)
    address = TextField(default="")
    timezone = CharField(max_length=64, default="UTC")

    class Meta:
        indexes = ((("organisation", "name"), True),)

    def __str__(self):
        return self.name

    def breadcrumbs(self):
        return [self]
