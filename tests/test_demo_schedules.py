"""The demo's schedules: each kind exists, with a believable past of generated orders."""

from models import ForecastOccurrence, Occurrence, Schedule, User, WorkOrder, db, demo_schedules
from models.demo import load_demo


def test_demo_schedules_have_a_past(app, monkeypatch):
    monkeypatch.setattr(
        User, "set_password", lambda user, password: setattr(user, "password_hash", "x")
    )
    with app.app_context(), db.connection_context():
        org = load_demo(asset_total=120)
        users = {u.role: u for u in User.select().where(User.organisation == org.id)}
        made = demo_schedules.load(org, users, [])
    titles = {s.title for s in made}
    assert {"Monthly filter change", "Quarterly fire alarm inspection"} <= titles
    assert "500-hour generator service" in titles
    completed = (
        WorkOrder.select()
        .join(Occurrence, on=(Occurrence.work_order == WorkOrder.id))
        .where(WorkOrder.status == "completed")
        .count()
    )
    assert completed > 10
    assert Schedule.select().where(Schedule.next_due_at.is_null(False)).count() >= 3
    for schedule in made:  # the forecast starts at the next due time, after the history
        schedule = Schedule.get_by_id(schedule.id)
        first = (
            ForecastOccurrence.select(ForecastOccurrence.due_at)
            .where(ForecastOccurrence.schedule == schedule.id)
            .order_by(ForecastOccurrence.due_at)
            .scalar()
        )
        assert first == (None if schedule.trigger == "meter" else schedule.next_due_at)
