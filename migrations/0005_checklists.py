"""Checklists: procedures (reusable templates) with their items, the items copied onto work
orders with their answers, and the link from a follow-up order to the order it came from.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *

KINDS = "kind IN ('checkbox', 'passfail', 'number', 'text', 'photo')"


def _stub(db, name):
    class Meta:
        database = db
        table_name = name

    return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})


def up(migrator, db):
    Organisation = _stub(db, "organisation")
    User = _stub(db, "user")
    WorkOrder = _stub(db, "work_order")

    class Procedure(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        name = CharField(max_length=160)
        description = TextField(default="")
        archived_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "procedure"
            indexes = ((("organisation", "name"), True),)

    def spec_fields():
        return {
            "position": IntegerField(default=0),
            "kind": CharField(max_length=20, constraints=[Check(KINDS)]),
            "label": CharField(max_length=200),
            "guidance": CharField(max_length=300, default=""),
            "required": BooleanField(default=False),
            "unit": CharField(max_length=20, default=""),
            "lower_limit": DecimalField(max_digits=12, decimal_places=3, null=True),
            "upper_limit": DecimalField(max_digits=12, decimal_places=3, null=True),
        }

    class ItemMeta:
        database = db
        table_name = "procedure_item"
        indexes = ((("procedure", "position"), False),)

    ProcedureItem = type(
        "ProcedureItem",
        (Model,),
        {
            "created_at": DateTimeField(),
            "updated_at": DateTimeField(),
            "procedure": ForeignKeyField(Procedure, on_delete="CASCADE", index=False),
            **spec_fields(),
            "Meta": ItemMeta,
        },
    )

    class ChecklistMeta:
        database = db
        table_name = "checklist_item"
        indexes = ((("work_order", "position"), False),)

    ChecklistItem = type(
        "ChecklistItem",
        (Model,),
        {
            "created_at": DateTimeField(),
            "updated_at": DateTimeField(),
            "organisation": ForeignKeyField(Organisation, on_delete="CASCADE", index=False),
            "work_order": ForeignKeyField(
                WorkOrder, backref="items", on_delete="CASCADE", index=False
            ),
            "procedure": ForeignKeyField(Procedure, null=True, on_delete="SET NULL", index=False),
            "answer": TextField(default=""),
            "number_value": DecimalField(max_digits=12, decimal_places=3, null=True),
            "note": CharField(max_length=500, default=""),
            "flag": CharField(
                max_length=10,
                default="",
                constraints=[Check("flag IN ('', 'fail', 'below', 'above')")],
            ),
            "photo_key": CharField(max_length=300, null=True),
            "thumbnail_key": CharField(max_length=300, null=True),
            "photo_type": CharField(max_length=40, default=""),
            "answered_at": DateTimeField(null=True),
            "answered_by": ForeignKeyField(User, null=True, on_delete="SET NULL", index=False),
            "follow_up": ForeignKeyField(
                WorkOrder, null=True, backref="sources", on_delete="SET NULL"
            ),
            **spec_fields(),
            "Meta": ChecklistMeta,
        },
    )

    db.create_tables([Procedure, ProcedureItem, ChecklistItem])

    class WorkOrderRef(Model):
        class Meta:
            database = db
            table_name = "work_order"

    migrator.migrate(
        migrator.add_column(
            "work_order",
            "follow_up_of_id",
            ForeignKeyField(WorkOrderRef, field=WorkOrderRef.id, null=True, on_delete="SET NULL"),
        )
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_index("work_order", "work_order_follow_up_of_id"))
    migrator.migrate(migrator.drop_column("work_order", "follow_up_of_id"))
    migrator.migrate(migrator.drop_table("checklist_item"))
    migrator.migrate(migrator.drop_table("procedure_item"))
    migrator.migrate(migrator.drop_table("procedure"))
