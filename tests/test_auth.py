"""Sign-in, sign-out that ends the session on the server, safe redirects, and CSRF."""

import re

import pytest
from conftest import PASSWORD

from app import create_app
from models import AuditEvent, User


@pytest.fixture
def admin(make_user):
    return make_user("admin", email="ada@example.com")


def test_sign_in_lands_on_home_and_audits(client, auth, admin):
    response = auth.login("ADA@example.com ")
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").status_code == 200
    assert (
        AuditEvent.select()
        .where(AuditEvent.action == "sign_in", AuditEvent.user == admin.id)
        .count()
        == 1
    )


@pytest.mark.parametrize(
    "email,password",
    [
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("", ""),
    ],
)
def test_one_generic_message_for_any_bad_pair(client, auth, admin, email, password):
    response = auth.login(email, password)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    if email and password:
        assert "That email and password do not match an active account." in text
    assert client.get("/").status_code == 302  # still signed out


def test_inactive_user_cannot_sign_in(auth, make_user):
    user = make_user("technician", active=False)
    assert auth.login(user).status_code == 422


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/assets?status=down", "/assets?status=down"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_to_a_local_path(client, admin, target, expected):
    response = client.post(
        "/login", data={"email": admin.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == expected


def test_pages_need_sign_in_and_remember_where_you_were(client):
    response = client.get("/assets?q=chiller")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert "chiller" in response.location


def test_sign_out_ends_the_session_on_the_server(client, auth, admin):
    auth.login(admin)
    cookie = client.get_cookie("fettle_session").value
    assert auth.logout().status_code == 302
    # Replaying the old cookie (as a thief would) no longer signs anyone in.
    client.set_cookie("fettle_session", cookie)
    assert client.get("/").status_code == 302
    assert User.get_by_id(admin.id).session_version == admin.session_version + 1


def test_sign_out_is_post_only(client, auth, admin):
    auth.login(admin)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_deactivation_and_password_change_end_sessions(client, auth, admin):
    auth.login(admin)
    assert client.get("/").status_code == 200
    admin.set_password("a new long password")
    admin.save()
    admin.end_sessions()
    assert client.get("/").status_code == 302
    auth.login(admin, "a new long password")
    assert client.get("/").status_code == 200
    User.update(active=False).where(User.id == admin.id).execute()
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client, auth, admin):
    response = auth.login(admin)
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_expired_session_answers_in_place_for_htmx(client):
    response = client.get(
        "/assets",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/assets?q=pump"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#messages"
    text = response.get_data(as_text=True)
    assert "Sign in again" in text
    assert "/login?next=/assets?q%3Dpump" in text


# CSRF is on in these tests, as in production.


@pytest.fixture
def csrf_client(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def csrf_token(client, url):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_login_without_csrf_token_is_refused_clearly(csrf_client, admin):
    response = csrf_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Sign in again" in response.get_data(as_text=True) or "expired" in response.get_data(
        as_text=True
    )


def test_csrf_token_works_as_form_field_and_htmx_header(csrf_client, admin, make_location):
    token = csrf_token(csrf_client, "/login")
    response = csrf_client.post(
        "/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    # A fresh token after sign-in: the session was renewed.
    page = csrf_client.get("/locations/new").get_data(as_text=True)
    new_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert new_token != token
    location = make_location(organisation=admin.organisation_id)
    stale = csrf_client.post(f"/locations/{location.id}/archive", data={})
    assert stale.status_code == 400
    assert "expired" in stale.get_data(as_text=True)
    by_header = csrf_client.post(
        f"/locations/{location.id}/archive", headers={"X-CSRFToken": new_token}
    )
    assert by_header.status_code == 302


def test_token_has_no_time_limit(app):
    # A page left open all day still posts: the token lives as long as the session.
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    monkeypatch.setenv("FETTLE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_cookie_is_secure(monkeypatch, database_url, migrated):
    monkeypatch.setenv("FETTLE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_secret_is_generated_once_and_kept(tmp_path, monkeypatch):
    from app import _secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = _secret_key(tmp_path, production=False)
    assert len(first) > 40
    assert _secret_key(tmp_path, production=False) == first
