"""The schedule form. Times are the site's local time of day; dates are site-local days."""

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models.recurrence import UNIT_LABELS, WEEKDAY_NAMES
from models.schedule import MISSED_LABELS, MODES, TRIGGER_LABELS
from models.work_order import PRIORITIES

from .forms import FettleForm, Required, as_choices, labelled, sane_year


class ScheduleForm(FettleForm):
    title = StringField("Title", validators=[Required(), Length(max=200)])
    project_id = SelectField("Project", coerce=int)
    asset_tag = StringField(
        "Asset tag",
        validators=[Optional(), Length(max=40)],
        description="One asset; or leave empty and give a category for a group.",
    )
    category = StringField(
        "Or every asset of this category in the project",
        validators=[Optional(), Length(max=80)],
        description="e.g. Extinguisher: assets added later are included.",
    )
    trigger = SelectField("Triggered", choices=as_choices(TRIGGER_LABELS.items()))
    interval = IntegerField(
        "Every",
        validators=[
            InputRequired(),
            NumberRange(min=1, max=1000, message="Between 1 and 1,000."),
        ],
        default=1,
    )
    unit = SelectField("Unit", choices=as_choices(UNIT_LABELS.items()), default="month")
    weekdays = SelectMultipleField(
        "On weekdays (weekly)",
        coerce=str,
        choices=as_choices(enumerate(WEEKDAY_NAMES)),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),  # tick boxes: a multiple select needs Ctrl-click
    )
    month_day = IntegerField(
        "Day of the month (monthly)",
        validators=[Optional(), NumberRange(min=1, max=31, message="Between 1 and 31.")],
        description="31 means the month's last day. Empty: the start date's day.",
    )
    mode = SelectField(
        "Counting",
        choices=as_choices(
            labelled(MODES, {"fixed": "Fixed calendar", "floating": "From the last completion"})
        ),
    )
    time_of_day = TimeField("Due at (site time)", default=None, validators=[Required()])
    start_date = DateField("First day", validators=[Required(), sane_year])
    end_date = DateField("Last day", validators=[Optional(), sane_year])
    meter_id = SelectField("Meter", coerce=int, validate_choice=False, default=0)
    meter_interval = DecimalField(
        "Every (meter units)",
        validators=[Optional(), NumberRange(min=0, max=1e9, message="Up to a billion.")],
        places=None,
    )
    lead_days = IntegerField(
        "Lead time (days)",
        validators=[Optional(), NumberRange(min=0, max=365, message="Between 0 and 365.")],
        default=7,
        description="The work order is created this many days before it is due.",
    )
    missed_policy = SelectField(
        "After downtime", choices=as_choices(MISSED_LABELS.items()), default="latest"
    )
    one_open = BooleanField("At most one open order per asset")
    procedure_id = SelectField("Checklist", coerce=int, default=0)
    priority = SelectField("Priority", choices=as_choices(labelled(PRIORITIES)), default="medium")
    estimated_hours = DecimalField(
        "Estimated hours",
        validators=[Optional(), NumberRange(min=0, max=9999, message="Between 0 and 9,999.")],
        places=None,
    )
    assignee_ids = SelectMultipleField("Assign to", coerce=int, validate_choice=False)
    requires_signature = BooleanField("The client signs on completion")
    description = TextAreaField("Instructions", validators=[Optional(), Length(max=10000)])
