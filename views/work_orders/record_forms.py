"""Forms for recording the work on an order. The models make the final checks (durations,
quantities, overlaps) and name the field each refusal belongs to."""

from wtforms import (
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from ..forms import FettleForm, Required, sane_year
from .forms import LOCAL_FORMATS


class TimeEntryForm(FettleForm):
    day = DateField("Date", validators=[Optional(), sane_year])
    duration = StringField(
        "Time spent",
        validators=[Length(max=20)],
        description="Hours and minutes, e.g. 1:30 or 1.5",
        render_kw={"inputmode": "decimal", "placeholder": "1:30", "autocomplete": "off"},
    )
    note = StringField("Note", validators=[Optional(), Length(max=300)])


class PartForm(FettleForm):
    description = StringField("Part", validators=[Required("Say which part."), Length(max=200)])
    quantity = DecimalField(
        "Quantity",
        validators=[InputRequired("Enter the quantity.")],
        places=None,
        render_kw={"inputmode": "decimal"},
    )
    unit_cost = DecimalField(
        "Unit cost",
        validators=[InputRequired("Enter the unit cost (0 if free).")],
        places=None,
        render_kw={"inputmode": "decimal"},
    )


class CommentForm(FettleForm):
    body = TextAreaField(
        "Comment",
        validators=[Required("Write something first."), Length(max=5000)],
        description="Mention someone with @ and their name, e.g. @Tom Becker or @tom",
    )


class CompletionNotesForm(FettleForm):
    completion_notes = TextAreaField(
        "Completion notes",
        validators=[Optional(), Length(max=10000)],
        description="What was found, what was done, what the client should know.",
    )
    version = HiddenField()


class DowntimeForm(FettleForm):
    started_at = DateTimeLocalField(
        "Down from (site time)", validators=[Optional(), sane_year], format=LOCAL_FORMATS
    )
    ended_at = DateTimeLocalField(
        "Back in service (site time)", validators=[Optional(), sane_year], format=LOCAL_FORMATS
    )
    note = StringField("Note", validators=[Optional(), Length(max=300)])


def attach_error(form, error):
    """Put a model's refusal on the field it names (or on the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))
