"""Parts used on a work order: what, how many, at what unit cost, and who added the line.

Plain lines for now; a parts catalogue with stock can come later and point its lines here.
"""

import decimal

from peewee import CharField, Check, DecimalField, ForeignKeyField

from .base import BaseModel, db
from .organisation import Organisation
from .user import User
from .work_order import WorkOrder
from .work_order_records import RecordError, check_open_for_records, log

MAX_QUANTITY = decimal.Decimal("1000000")
MAX_UNIT_COST = decimal.Decimal("10000000")


def check_part(description, quantity, unit_cost):
    """Each refusal names its field: a description, a quantity above zero, a cost not below
    zero, both within sane bounds."""
    if not description:
        raise RecordError("Say which part.", "description")
    if quantity is None:
        raise RecordError("Enter the quantity.", "quantity")
    if not quantity.is_finite():
        raise RecordError("Enter a number.", "quantity")
    if quantity <= 0:
        raise RecordError("The quantity must be more than zero.", "quantity")
    if quantity >= MAX_QUANTITY:
        raise RecordError("That quantity is too large.", "quantity")
    if quantity != quantity.quantize(decimal.Decimal("0.001")):
        raise RecordError("Use at most three decimals.", "quantity")
    if unit_cost is None:
        raise RecordError("Enter the unit cost (0 if free).", "unit_cost")
    if not unit_cost.is_finite():
        raise RecordError("Enter a number.", "unit_cost")
    if unit_cost < 0:
        raise RecordError("The unit cost cannot be negative.", "unit_cost")
    if unit_cost >= MAX_UNIT_COST:
        raise RecordError("That unit cost is too large.", "unit_cost")
    if unit_cost != unit_cost.quantize(decimal.Decimal("0.01")):
        raise RecordError("Use at most two decimals.", "unit_cost")


def _decimal(value):
    return None if value is None else decimal.Decimal(str(value))


class PartUsed(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(WorkOrder, backref="parts", on_delete="CASCADE", index=False)
    description = CharField(max_length=200)
    quantity = DecimalField(max_digits=10, decimal_places=3, constraints=[Check("quantity > 0")])
    unit_cost = DecimalField(max_digits=10, decimal_places=2, constraints=[Check("unit_cost >= 0")])
    added_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

    class Meta:
        table_name = "part_used"
        indexes = ((("work_order", "created_at"), False),)

    @property
    def line_cost(self):
        return (decimal.Decimal(self.quantity) * decimal.Decimal(self.unit_cost)).quantize(
            decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP
        )

    @property
    def quantity_text(self):
        """3, 2.5, 0.125: no trailing zeros."""
        text = f"{decimal.Decimal(self.quantity):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    @classmethod
    def add(cls, actor, order, description, quantity, unit_cost):
        quantity, unit_cost = _decimal(quantity), _decimal(unit_cost)
        check_part(description, quantity, unit_cost)
        with db.atomic():
            check_open_for_records(order)
            part = cls.create(
                organisation=order.organisation_id,
                work_order=order.id,
                description=description[:200],
                quantity=quantity,
                unit_cost=unit_cost,
                added_by=actor.id,
            )
            log(
                order,
                actor,
                "part",
                f"Added {part.quantity_text} × {part.description} at {unit_cost:.2f}",
                "part_add",
                part,
                {
                    "description": (None, description),
                    "quantity": (None, quantity),
                    "unit_cost": (None, unit_cost),
                },
            )
        return part

    def remove(self, actor, order):
        with db.atomic():
            check_open_for_records(order)
            log(
                order,
                actor,
                "part",
                f"Removed {self.quantity_text} × {self.description}",
                "part_delete",
                self,
                {"description": (self.description, None), "quantity": (self.quantity, None)},
            )
            self.delete_instance()
