"""Per-organisation sequences: gapless human numbers such as WO-000123."""

from peewee import CharField, ForeignKeyField, IntegerField

from .base import BaseModel
from .organisation import Organisation


class Counter(BaseModel):
    """Per-organisation sequences (work order numbers), taken under a row lock."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    name = CharField(max_length=40)
    value = IntegerField(default=0)

    class Meta:
        indexes = ((("organisation", "name"), True),)

    @classmethod
    def take_values(cls, organisation_id, name, count):
        """The next `count` numbers at once (a range), under the same row lock and rules as
        next_value."""
        if count < 1:
            return range(0)
        updated = (
            cls.update(value=cls.value + count)
            .where(cls.organisation == organisation_id, cls.name == name)
            .execute()
        )
        if not updated:
            cls.insert(
                organisation=organisation_id, name=name, value=0
            ).on_conflict_ignore().execute()
            cls.update(value=cls.value + count).where(
                cls.organisation == organisation_id, cls.name == name
            ).execute()
        last = (
            cls.select(cls.value)
            .where(cls.organisation == organisation_id, cls.name == name)
            .scalar()
        )
        return range(last - count + 1, last + 1)

    @classmethod
    def next_value(cls, organisation_id, name):
        """The next number, gapless: call inside the transaction that uses it, so a rollback
        gives the number back and concurrent callers queue on the row."""
        updated = (
            cls.update(value=cls.value + 1)
            .where(cls.organisation == organisation_id, cls.name == name)
            .execute()
        )
        if not updated:
            cls.insert(
                organisation=organisation_id, name=name, value=0
            ).on_conflict_ignore().execute()
            cls.update(value=cls.value + 1).where(
                cls.organisation == organisation_id, cls.name == name
            ).execute()
        return (
            cls.select(cls.value)
            .where(cls.organisation == organisation_id, cls.name == name)
            .scalar()
        )
