"""Flask-WTF forms for the hierarchy and sign-in. Errors show at the field."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from models import ASSET_STATUSES, CRITICALITIES, PROJECT_STATUSES, TIMEZONES

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value):
    return value.strip() if isinstance(value, str) else value


class FettleForm(FlaskForm):
    """Strips text, and refuses control characters that no person types."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if unbound_field.field_class in (StringField, TextAreaField, EmailField):
                filters = unbound_field.kwargs.get("filters", ())
                options = dict(options, filters=(strip, *filters))
            return unbound_field.bind(form=form, **options)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for fld in self:
            if isinstance(fld.data, str) and _CONTROL.search(fld.data):
                fld.errors = [*fld.errors, "Contains characters that are not allowed."]
                valid = False
        return valid


def as_choices(pairs):
    """(value, label) pairs as WTForms options (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def labelled(choices, labels=None):
    return [(c, (labels or {}).get(c, c.replace("_", " ").capitalize())) for c in choices]


class LoginForm(FettleForm):
    email = StringField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=500)])
    next = HiddenField()


class LocationForm(FettleForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    timezone = SelectField(
        "Time zone", choices=as_choices((t, t) for t in TIMEZONES), default="UTC"
    )
    address = TextAreaField("Address", validators=[Optional(), Length(max=2000)])


class ClientForm(FettleForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=160)])
    location_id = SelectField("Location", coerce=int)
    contact_name = StringField("Contact name", validators=[Optional(), Length(max=120)])
    email = EmailField(
        "Email", validators=[Optional(), Length(max=254), Email(check_deliverability=False)]
    )
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=2000)])


class ProjectForm(FettleForm):
    code = StringField("Code", validators=[InputRequired(), Length(max=40)])
    name = StringField("Name", validators=[InputRequired(), Length(max=160)])
    client_id = SelectField("Client", coerce=int)
    status = SelectField("Status", choices=as_choices(labelled(PROJECT_STATUSES)), default="active")
    start_date = DateField("Start date", validators=[Optional()])
    end_date = DateField("End date", validators=[Optional()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end date must be on or after the start date.")


class AssetForm(FettleForm):
    tag = StringField(
        "Tag",
        validators=[InputRequired(), Length(max=40)],
        description="Unique in your organisation, e.g. AHU-0012.",
    )
    name = StringField("Name", validators=[InputRequired(), Length(max=160)])
    project_id = SelectField("Project", coerce=int)
    parent_tag = StringField(
        "Part of (parent asset tag)",
        validators=[Optional(), Length(max=40)],
        description="Leave empty for a top-level asset.",
    )
    category = StringField("Category", validators=[Optional(), Length(max=80)])
    make = StringField("Make", validators=[Optional(), Length(max=80)])
    model_name = StringField("Model", validators=[Optional(), Length(max=80)])
    serial = StringField("Serial number", validators=[Optional(), Length(max=80)])
    install_date = DateField("Install date", validators=[Optional()])
    warranty_end = DateField("Warranty ends", validators=[Optional()])
    status = SelectField(
        "Status", choices=as_choices(labelled(ASSET_STATUSES)), default="operational"
    )
    criticality = SelectField(
        "Criticality", choices=as_choices(labelled(CRITICALITIES)), default="medium"
    )
    description = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
