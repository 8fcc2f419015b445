"""Command-line tasks: create-org, demo data, migrations status."""

from models import Asset, Client, Location, Organisation, Project, User
from models.demo import DEMO_PASSWORD


def test_create_org_makes_an_admin_who_can_sign_in(runner, client):
    result = runner.invoke(
        args=["create-org"],
        input="Acme Lifts\nboss@acme.example\nBea Boss\nsecret-password-1\nsecret-password-1\n",
    )
    assert result.exit_code == 0, result.output
    admin = User.get(User.email == "boss@acme.example")
    assert admin.role == "admin" and admin.organisation.name == "Acme Lifts"
    response = client.post(
        "/login", data={"email": "boss@acme.example", "password": "secret-password-1"}
    )
    assert response.status_code == 302


def test_create_org_refuses_short_password_and_duplicate_email(runner, make_user):
    short = runner.invoke(
        args=[
            "create-org",
            "--name",
            "X",
            "--admin-email",
            "a@x.example",
            "--admin-name",
            "A",
            "--admin-password",
            "short",
        ]
    )
    assert short.exit_code != 0 and "10 characters" in short.output
    taken = make_user("admin", email="taken@example.com")
    dup = runner.invoke(
        args=[
            "create-org",
            "--name",
            "Y",
            "--admin-email",
            taken.email,
            "--admin-name",
            "B",
            "--admin-password",
            "long-enough-pw",
        ]
    )
    assert dup.exit_code != 0 and "already has an account" in dup.output
    assert Organisation.select().count() == 1


def test_demo_data_is_realistic_and_loads_once(runner, client):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert Location.select().count() == 3
    assert len({loc.timezone for loc in Location.select()}) == 3
    assert Client.select().count() == 8
    assert Project.select().count() == 20
    assert Asset.select().count() == 300
    assert Asset.select().where(Asset.parent.is_null(False)).count() > 20
    for email in (
        "admin@example.com",
        "manager@example.com",
        "tech@example.com",
        "client@example.com",
    ):
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        client.post("/logout")
    again = runner.invoke(args=["demo"])
    assert "already loaded" in again.output
    assert Asset.select().count() == 300


def test_db_status_lists_applied_migrations(runner):
    result = runner.invoke(args=["db", "status"])
    assert result.exit_code == 0
    assert "applied  0001_initial" in result.output
