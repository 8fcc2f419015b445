"""Flask-WTF forms for the hierarchy and sign-in. Errors show at the field."""

import re

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from models import ASSET_STATUSES, CRITICALITIES, DOCUMENT_KINDS, PROJECT_STATUSES, TIMEZONES

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value):
    """Text minus surrounding spaces; a field left out of the post is empty, not None."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


def text_only(form, field):
    """A text field holds text: a file (or anything else) posted in its place is refused."""
    if not isinstance(field.data, str):
        raise StopValidation("Enter text here.")


class FettleForm(FlaskForm):
    """Strips text, and refuses control characters that no person types."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            kind, kwargs = unbound_field.field_class, unbound_field.kwargs
            if kind in (StringField, TextAreaField, EmailField, PasswordField):
                options = dict(options, validators=(text_only, *kwargs.get("validators", ())))
            if kind in (StringField, TextAreaField, EmailField):  # a password is kept as typed
                options = dict(options, filters=(strip, *kwargs.get("filters", ())))
            return unbound_field.bind(form=form, **options)

        def wrap_formdata(self, form, formdata):
            # Only a posted form is read: Flask-WTF would also load a JSON body into the
            # fields, where numbers, lists and objects end in a 500.
            if request.is_json and formdata is not None and not hasattr(formdata, "getlist"):
                formdata = request.form
            return FlaskForm.Meta.wrap_formdata(self, form, formdata)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for fld in self:
            # Hidden fields have nowhere to show a message; their views check them anyway.
            if isinstance(fld, HiddenField):
                continue
            if isinstance(fld.data, str) and _CONTROL.search(fld.data):
                fld.errors = [*fld.errors, "Contains characters that are not allowed."]
                valid = False
        return valid


class Required(InputRequired):
    """Sent with the form (an edit never falls back to the stored value) and not just
    spaces: the fields are stripped, so "   " is no name."""

    def __call__(self, form, field):
        super().__call__(form, field)
        DataRequired(self.message)(form, field)


def sane_year(form, field):
    """Dates of planned work: a year typed as 20266 or 1026 is a slip, not a plan."""
    if field.data is not None and not (2000 <= field.data.year <= 2100):
        raise ValidationError("Enter a date between the years 2000 and 2100.")


def as_choices(pairs):
    """(value, label) pairs as WTForms options (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def labelled(choices, labels=None):
    return [(c, (labels or {}).get(c, c.replace("_", " ").capitalize())) for c in choices]


class LoginForm(FettleForm):
    email = StringField("Email", validators=[Required(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=500)])
    next = HiddenField()


class LocationForm(FettleForm):
    name = StringField("Name", validators=[Required(), Length(max=120)])
    timezone = SelectField(
        "Time zone", choices=as_choices((t, t) for t in TIMEZONES), default="UTC"
    )
    address = TextAreaField("Address", validators=[Optional(), Length(max=2000)])


class ClientForm(FettleForm):
    name = StringField("Name", validators=[Required(), Length(max=160)])
    location_id = SelectField("Location", coerce=int)
    contact_name = StringField("Contact name", validators=[Optional(), Length(max=120)])
    email = EmailField(
        "Email", validators=[Optional(), Length(max=254), Email(check_deliverability=False)]
    )
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=2000)])
    completion_alerts = BooleanField(
        "Tell the client when work is completed",
        description="An email to the contact address, and an alert to the client's users.",
    )

    def validate_completion_alerts(self, field):
        if field.data and not self.email.data:
            raise ValidationError("Enter the client's email address to tell them.")


class ProjectForm(FettleForm):
    code = StringField("Code", validators=[Required(), Length(max=40)])
    name = StringField("Name", validators=[Required(), Length(max=160)])
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
        validators=[Required(), Length(max=40)],
        description="Unique in your organisation, e.g. AHU-0012.",
    )
    name = StringField("Name", validators=[Required(), Length(max=160)])
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


class ReadingForm(FettleForm):
    value = DecimalField("Reading", validators=[InputRequired()], places=None)
    read_at = DateTimeLocalField(
        "Read at (local time)",
        validators=[Optional()],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description="Leave empty for now.",
    )
    note = StringField("Note", validators=[Optional(), Length(max=200)])

    def validate_value(self, field):
        if field.data is not None and not (-1e12 < float(field.data) < 1e12):
            raise ValidationError("That number is too large.")

    def validate_read_at(self, field):
        # A day inside the calendar's ends, so that any time zone's offset stays inside too.
        if field.data is not None and not (1900 <= field.data.year <= 9998):
            raise ValidationError("Enter a date between the years 1900 and 9998.")


class MeterForm(FettleForm):
    name = StringField("Meter name", validators=[Required(), Length(max=80)])
    unit = StringField("Unit", validators=[Required(), Length(max=20)])
    increasing = BooleanField("Only goes up (runtime hours, cycle counts)", default=True)
    lower_limit = DecimalField("Lower limit", validators=[Optional()], places=None)
    upper_limit = DecimalField("Upper limit", validators=[Optional()], places=None)

    def validate_upper_limit(self, field):
        if (
            field.data is not None
            and self.lower_limit.data is not None
            and field.data < self.lower_limit.data
        ):
            raise ValidationError("The upper limit must be above the lower limit.")


class DocumentForm(FettleForm):
    file = FileField("File", validators=[FileRequired("Choose a file to upload.")])
    kind = SelectField("Kind", choices=as_choices(labelled(DOCUMENT_KINDS)), default="photo")
    title = StringField(
        "Title",
        validators=[Optional(), Length(max=200)],
        description="Leave empty to use the file name.",
    )


class ImportForm(FettleForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
