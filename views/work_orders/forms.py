"""Forms of the work order pages. Due times are typed in the site's local time."""

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from models.signoff import SignatureError, read_signature
from models.work_order import PRIORITIES, TYPES

from ..forms import FettleForm, Required, as_choices, labelled, sane_year

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class WorkOrderForm(FettleForm):
    title = StringField("Title", validators=[Required(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=10000)])
    type = SelectField("Type", choices=as_choices(labelled(TYPES)), default="corrective")
    priority = SelectField("Priority", choices=as_choices(labelled(PRIORITIES)), default="medium")
    project_id = SelectField("Project", coerce=int)
    asset_tag = StringField(
        "Asset tag",
        validators=[Optional(), Length(max=40)],
        description="Leave empty for work on the project as a whole.",
    )
    due_at = DateTimeLocalField(
        "Due (local time at the site)",
        validators=[Optional(), sane_year],
        format=LOCAL_FORMATS,
    )
    estimated_hours = DecimalField(
        "Estimated hours",
        validators=[Optional(), NumberRange(min=0, max=9999, message="Between 0 and 9,999.")],
        places=None,
    )
    assignee_ids = SelectMultipleField("Assign to", coerce=int, validate_choice=False)
    confirm_past_due = BooleanField("Keep this past due time")
    asset_down = BooleanField("The asset is down until this work is completed")
    requires_signature = BooleanField("The client signs on completion")
    checklist = SelectField("Checklist", coerce=int, default=0)
    version = HiddenField()


class TransitionForm(FettleForm):
    to = HiddenField()
    seen_status = HiddenField()
    reason = StringField("Reason", validators=[Optional(), Length(max=300)])


class BulkRescheduleForm(FettleForm):
    """Due date shift for many orders: by a number of days, keeping each order's time."""

    days = IntegerField(
        "Move due dates by (days)",
        validators=[Required(), NumberRange(min=-365, max=365, message="Between -365 and 365.")],
    )


class SignatureForm(FettleForm):
    """The client's signature, drawn on the screen (static/signature.js writes it into the
    hidden field as a PNG data URL), and their name as they want it on the record."""

    signature = HiddenField("Signature")
    signer_name = StringField(
        "Name of the person signing", validators=[Required(), Length(max=120)]
    )

    def validate_signature(self, field):
        try:
            self.png = read_signature(field.data)
        except SignatureError as error:
            raise ValidationError(str(error)) from None
