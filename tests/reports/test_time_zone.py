"""A teacher's time zone: set from the browser on the first visit (never over a chosen one) or in
Settings; teacher pages show times in it and assignment dates are typed in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas
from tutor.classroom.models import User

pytestmark = pytest.mark.django_db


def test_the_browsers_guess_is_saved_once_and_never_replaces_a_choice(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    home = teacher.get(reverse("home")).content.decode()
    assert 'id="time-zone-guess"' in home, "no zone yet: the page asks the browser for it"
    assert teacher.post(reverse("time_zone_guess"), {"time_zone": "Europe/Berlin"}).json()["changed"]
    assert User.objects.get(pk=personas.teacher.pk).time_zone == "Europe/Berlin"
    assert 'id="time-zone-guess"' not in teacher.get(reverse("home")).content.decode()
    # A later guess (a laptop on holiday) doesn't move a zone the teacher has.
    assert not teacher.post(reverse("time_zone_guess"), {"time_zone": "Asia/Tokyo"}).json()["changed"]
    assert User.objects.get(pk=personas.teacher.pk).time_zone == "Europe/Berlin"
    refused = teacher.post(reverse("time_zone_guess"), {"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400


def test_settings_change_the_zone_and_refuse_unknown_ones(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    page = teacher.get(reverse("account_settings")).content.decode()
    assert 'value="America/New_York"' in page
    teacher.post(reverse("account_settings"), {"time_zone": "America/New_York"})
    assert User.objects.get(pk=personas.teacher.pk).time_zone == "America/New_York"
    bad = teacher.post(reverse("account_settings"), {"time_zone": "../../etc/passwd"})
    assert bad.status_code == 400
    assert User.objects.get(pk=personas.teacher.pk).time_zone == "America/New_York"


def test_teacher_pages_show_and_read_times_in_the_teachers_zone(personas: Personas) -> None:
    personas.teacher.time_zone = "America/New_York"  # UTC-5 in December
    personas.teacher.save()
    personas.assignment.due_at = datetime(2026, 12, 10, 22, 30, tzinfo=UTC)
    personas.assignment.save()
    teacher = client_for(personas.teacher)
    page = teacher.get(reverse("classroom_detail", args=[personas.classroom.pk])).content.decode()
    assert "due Thu 10 Dec, 17:30" in page

    form = teacher.get(reverse("assignment_edit", args=[personas.assignment.pk])).content.decode()
    assert "UTC" not in form
    assert "in your time zone, America/New_York" in form
    assert 'value="2026-12-10T17:30"' in form
    teacher.post(
        reverse("assignment_edit", args=[personas.assignment.pk]),
        {
            "classroom": personas.classroom.pk,
            "problem_set": personas.problem_set.pk,
            "due_at": "2026-12-11T09:00",
            "late_policy": personas.assignment.late_policy,
            "tutor_mode": "after_attempts",
            "solutions_after_attempts": 2,
        },
    )
    personas.assignment.refresh_from_db()
    assert personas.assignment.due_at == datetime(2026, 12, 11, 14, 0, tzinfo=UTC), "9:00 in New York"

    # A student with no zone of her own still sees the site's (UTC) time: nothing leaks between requests.
    student_page = client_for(personas.student).get(reverse("classroom_detail", args=[personas.classroom.pk]))
    assert "due Fri 11 Dec, 14:00" in student_page.content.decode()


def test_the_assignment_form_picks_the_only_class(personas: Personas) -> None:
    form = client_for(personas.teacher).get(reverse("assignment_create")).content.decode()
    select = form.split('name="classroom"')[1].split("</select>")[0]
    assert f'<option value="{personas.classroom.pk}" selected>' in select
