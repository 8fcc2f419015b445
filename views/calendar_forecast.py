"""Schedule occurrences not generated yet, as the calendar draws them: per day, the first
few (dashed, labelled "forecast") and how many there are. The rows and the query are in
models/forecast.py; this only shapes them for the template."""

from dataclasses import dataclass, field

from models.forecast import forecast_by_day

FORECAST_PER_DAY = 3
FORECAST_CAP = 100  # a day's forecast is counted up to this ("+97+ forecast" beyond)


@dataclass
class ForecastDay:
    entries: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self):
        return self.total - len(self.entries)

    @property
    def capped(self):
        return self.total >= FORECAST_CAP


def forecast_days(user, bounds, filters):
    """One ForecastDay per period between `bounds` (naive UTC), for what `user` may see."""
    found = forecast_by_day(user, bounds, filters, shown=FORECAST_PER_DAY, cap=FORECAST_CAP)
    return [ForecastDay(entries, total) for entries, total in found]
