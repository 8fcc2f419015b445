"""People who sign in, their role, and the scope the role is limited to."""

import contextlib
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from peewee import BooleanField, CharField, Check, DateTimeField, ForeignKeyField, IntegerField

from .base import BaseModel, choice_check, db, utcnow
from .client import Client
from .location import Location
from .organisation import Organisation
from .project import Project

ROLES = ("admin", "manager", "technician", "client")
ROLE_LABELS = {
    "admin": "Admin",
    "manager": "Manager",
    "technician": "Technician",
    "client": "Client user",
}

# argon2-cffi's defaults (t=3, m=64 MiB, p=4) unless the environment lowers the cost, which
# only the test suite does: a sign-in in every test would otherwise dominate its run time.
_hasher = PasswordHasher(
    time_cost=int(os.environ.get("ARGON2_TIME_COST", 3)),
    memory_cost=int(os.environ.get("ARGON2_MEMORY_KIB", 65536)),
)
# Verified against when the email is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class User(UserMixin, BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=120)
    password_hash = CharField(max_length=200)
    role = CharField(max_length=20, constraints=[choice_check("role", ROLES)])
    # A client user belongs to exactly one client; nobody else has one.
    client = ForeignKeyField(Client, null=True, on_delete="RESTRICT")
    timezone = CharField(max_length=64, null=True)
    session_version = IntegerField(default=1)
    active = BooleanField(default=True)
    last_login_at = DateTimeField(null=True)

    class Meta:
        constraints = [Check("(role = 'client') = (client_id IS NOT NULL)")]
        indexes = ((("organisation", "role", "name"), False),)

    def __str__(self):
        return self.name

    # Flask-Login: the id carries the session version, so bumping it ends every session.
    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self):
        return self.active

    @property
    def role_label(self):
        return ROLE_LABELS[self.role]

    def set_password(self, password):
        self.password_hash = _hasher.hash(password)

    def check_password(self, password):
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @classmethod
    def authenticate(cls, email, password):
        """The active user with this email and password, or None (same cost either way)."""
        user = cls.get_or_none(cls.email == (email or "").strip().lower())
        if user is None:
            with contextlib.suppress(VerificationError):
                _hasher.verify(_DUMMY_HASH, password or "")
            return None
        if not user.check_password(password or "") or not user.active:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.set_password(password)
        user.last_login_at = utcnow()
        user.save()
        return user

    @classmethod
    def load_session(cls, session_id):
        """The user for a Flask-Login id "<id>:<version>", if that session is still valid."""
        user_id, _, version = (session_id or "").partition(":")
        if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 12:
            return None
        user = cls.get_or_none(cls.id == int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user

    def end_sessions(self):
        """Revoke every session of this user (sign-out, password change, deactivation)."""
        with db.atomic():
            type(self).update(session_version=type(self).session_version + 1).where(
                type(self).id == self.id
            ).execute()
        self.session_version += 1

    @property
    def is_manager(self):
        return self.role in ("admin", "manager")


class ManagerLocation(BaseModel):
    """Limits a manager to some locations; a manager without rows sees the whole organisation."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    user = ForeignKeyField(User, backref="managed_locations", on_delete="CASCADE")
    location = ForeignKeyField(Location, on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "location"), True),)


class ProjectMember(BaseModel):
    """A technician's (or manager's) membership of a project: what technicians see."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    project = ForeignKeyField(Project, backref="members", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "project"), True), (("project",), False))
