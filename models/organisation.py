"""The organisation: the tenant that owns every other row."""

from peewee import CharField

from .base import BaseModel


class Organisation(BaseModel):
    name = CharField(max_length=200)
    timezone = CharField(max_length=64, default="UTC")
    logo_key = CharField(max_length=300, null=True)  # on its reports: views/reports/branding.py
