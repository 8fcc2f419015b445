"""The hierarchy (organisation, location, client, project, asset), users and their scopes, audit.

Frozen copies of the models as they were at this migration, independent of models/.
"""

from peewee import *


def choice(column, values):
    return Check("{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values)))


def up(migrator, db):
    class Organisation(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        name = CharField(max_length=200)
        timezone = CharField(max_length=64, default="UTC")

        class Meta:
            database = db
            table_name = "organisation"

    db.create_tables([Organisation])

    class Location(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        archived_at = DateTimeField(null=True)
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        name = CharField(max_length=120)
        address = TextField(default="")
        timezone = CharField(max_length=64, default="UTC")

        class Meta:
            database = db
            table_name = "location"
            indexes = ((("organisation", "name"), True),)

    db.create_tables([Location])

    class Client(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        archived_at = DateTimeField(null=True)
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        location = ForeignKeyField(Location, on_delete="RESTRICT")
        name = CharField(max_length=160)
        contact_name = CharField(max_length=120, default="")
        email = CharField(max_length=254, default="")
        phone = CharField(max_length=40, default="")
        address = TextField(default="")

        class Meta:
            database = db
            table_name = "client"
            indexes = ((("organisation", "name"), True), (("location", "name"), False))

    db.create_tables([Client])

    class Project(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        archived_at = DateTimeField(null=True)
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        location = ForeignKeyField(Location, on_delete="RESTRICT")
        client = ForeignKeyField(Client, on_delete="RESTRICT")
        code = CharField(max_length=40)
        name = CharField(max_length=160)
        status = CharField(
            max_length=20,
            default="active",
            constraints=[choice("status", ("planned", "active", "on_hold", "closed"))],
        )
        start_date = DateField(null=True)
        end_date = DateField(null=True)
        description = TextField(default="")

        class Meta:
            database = db
            table_name = "project"
            constraints = [
                Check("end_date IS NULL OR start_date IS NULL OR end_date >= start_date")
            ]
            indexes = (
                (("organisation", "code"), True),
                (("organisation", "name"), False),
                (("client", "name"), False),
                (("location", "name"), False),
            )

    db.create_tables([Project])

    class Asset(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        archived_at = DateTimeField(null=True)
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        location = ForeignKeyField(Location, on_delete="RESTRICT")
        client = ForeignKeyField(Client, on_delete="RESTRICT")
        project = ForeignKeyField(Project, on_delete="RESTRICT")
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        tag = CharField(max_length=40)
        name = CharField(max_length=160)
        category = CharField(max_length=80, default="")
        make = CharField(max_length=80, default="")
        model_name = CharField(max_length=80, default="", column_name="model")
        serial = CharField(max_length=80, default="")
        install_date = DateField(null=True)
        warranty_end = DateField(null=True)
        status = CharField(
            max_length=20,
            default="operational",
            constraints=[choice("status", ("operational", "degraded", "down", "retired"))],
        )
        criticality = CharField(
            max_length=20,
            default="medium",
            constraints=[choice("criticality", ("low", "medium", "high", "critical"))],
        )
        description = TextField(default="")

        class Meta:
            database = db
            table_name = "asset"
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

    db.create_tables([Asset])

    class User(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        email = CharField(unique=True, max_length=254)
        name = CharField(max_length=120)
        password_hash = CharField(max_length=200)
        role = CharField(
            max_length=20,
            constraints=[choice("role", ("admin", "manager", "technician", "client"))],
        )
        client = ForeignKeyField(Client, null=True, on_delete="RESTRICT")
        timezone = CharField(null=True, max_length=64)
        session_version = IntegerField(default=1)
        active = BooleanField(default=True)
        last_login_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "user"
            constraints = [Check("(role = 'client') = (client_id IS NOT NULL)")]
            indexes = ((("organisation", "role", "name"), False),)

    db.create_tables([User])

    class AuditEvent(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        action = CharField(max_length=40)
        entity_type = CharField(max_length=40)
        entity_id = IntegerField(null=True)
        summary = CharField(max_length=300, default="")
        changes = TextField(default="{}")
        ip = CharField(null=True, max_length=64)

        class Meta:
            database = db
            table_name = "audit_event"
            indexes = (
                (("organisation", "entity_type", "entity_id", "created_at"), False),
                (("organisation", "created_at"), False),
            )

    db.create_tables([AuditEvent])

    class ManagerLocation(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        location = ForeignKeyField(Location, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "manager_location"
            indexes = ((("user", "location"), True),)

    db.create_tables([ManagerLocation])

    class ProjectMember(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        project = ForeignKeyField(Project, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "project_member"
            indexes = ((("user", "project"), True), (("project",), False))

    db.create_tables([ProjectMember])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("project_member"))
    migrator.migrate(migrator.drop_table("manager_location"))
    migrator.migrate(migrator.drop_table("audit_event"))
    migrator.migrate(migrator.drop_table("user"))
    migrator.migrate(migrator.drop_table("asset"))
    migrator.migrate(migrator.drop_table("project"))
    migrator.migrate(migrator.drop_table("client"))
    migrator.migrate(migrator.drop_table("location"))
    migrator.migrate(migrator.drop_table("organisation"))
