"""LTI 1.3 against a real platform (tests/lti/platform.py, written from the IMS specs, over HTTP):
login initiation → launch, deep linking, grade passback, roster sync, refused tokens."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import services_missing
from tests.factories import make_problem_set
from tests.lti.flows import Person, open_picker, pick, register, text_of
from tests.lti.platform import INSTRUCTOR, LEARNER, LtiPlatform, ResourceLink, new_rsa_key
from tutor.celery import app
from tutor.classroom.models import Assignment, Classroom, Enrollment, User
from tutor.lti.middleware import frame_origins_forget
from tutor.lti.models import LtiUser, ScoreSend

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Celery tasks run where they are queued (here: in the live server's thread, after commit)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def lms(live_server, settings, eager_tasks) -> Iterator[LtiPlatform]:
    settings.TUTOR_LTI = True
    platform = LtiPlatform()
    register(platform, live_server.url)
    platform.add_person("t-100", "Ada Lovelace", INSTRUCTOR)
    platform.add_person("s-200", "Sam Student", LEARNER)
    platform.add_person("s-201", "Ria Rao", LEARNER)
    yield platform
    platform.close()
    frame_origins_forget()


def _user(platform: LtiPlatform, sub: str) -> User:
    return LtiUser.objects.get(issuer=platform.issuer, sub=sub).user


def _course_with_a_set(
    lms: LtiPlatform, live_server, *, problems: int = 3, choice: str = "set"
) -> tuple[Person, object, str]:
    """The teacher opens the tool from the course, has a problem set, and adds it as an activity."""
    teacher = Person(lms, "t-100")
    picker = open_picker(teacher)
    problem_set = make_problem_set(owner=_user(lms, "t-100"), title="Forces", problems=problems)
    target = (
        f"set:{problem_set.pk}"
        if choice == "set"
        else f"problem:{problem_set.problems.order_by('position').first().pk}"
    )
    accepted = pick(teacher, picker, target)
    assert accepted.status_code == 200, f"the platform refused the item: {accepted.text} {lms.errors}"
    link_id = next(iter(lms.links))
    return teacher, problem_set, link_id


def test_an_instructors_first_launch_makes_the_course_their_class(lms, live_server):
    teacher = Person(lms, "t-100")
    open_picker(teacher)
    user = _user(lms, "t-100")
    assert user.is_teacher
    classroom = Classroom.objects.get(lti_context__context_id="course-7")
    assert classroom.teacher == user
    assert classroom.name == "Physics 9B"
    # And the class page is theirs: it shows the class to them.
    page = teacher.http.get(f"{live_server.url}/classes/{classroom.pk}/", timeout=20)
    assert page.status_code == 200 and "Physics 9B" in page.text


def test_deep_linking_returns_a_signed_item_the_platform_accepts(lms, live_server):
    teacher, problem_set, link_id = _course_with_a_set(lms, live_server)
    item = lms.accepted_items[0]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == live_server.url + "/lti/launch/"
    assert item["custom"] == {"phi_problem_set": str(problem_set.pk)}
    assert item["lineItem"]["scoreMaximum"] == 3
    assert lms.links[link_id].title == "Forces"
    assert lms.lineitems[lms.links[link_id].lineitem].score_maximum == 3


def test_a_student_launch_lands_on_the_assignment_and_joins_the_class(lms, live_server):
    _, problem_set, link_id = _course_with_a_set(lms, live_server)
    student = Person(lms, "s-200")
    landed = student.launch(link_id=link_id)
    assert landed.status_code == 200
    assert landed.url == f"{live_server.url}/sets/{problem_set.pk}/"
    assert "Forces" in text_of(landed.text)
    assert 'id="open-new-window"' in landed.text  # the same page, out of the LMS's frame
    user = _user(lms, "s-200")
    assert user.is_student and user.get_full_name() == "Sam Student"
    classroom = Classroom.objects.get(lti_context__context_id="course-7")
    assert Enrollment.objects.filter(classroom=classroom, student=user).exists()
    assert Assignment.objects.filter(classroom=classroom, problem_set=problem_set).exists()
    # The same person launching again is the same account.
    Person(lms, "s-200").launch(link_id=link_id)
    assert User.objects.filter(lti_links__sub="s-200").count() == 1


def test_a_single_problem_activity_opens_that_problem(lms, live_server):
    _, problem_set, link_id = _course_with_a_set(lms, live_server, choice="problem")
    first = problem_set.problems.order_by("position").first()
    assert lms.accepted_items[0]["custom"] == {"phi_problem": str(first.pk)}
    landed = Person(lms, "s-200").launch(link_id=link_id)
    assert landed.url == f"{live_server.url}/problems/{first.pk}/"


def _answer(student: Person, live_server, problem_id: int, answer: str) -> dict:
    student.http.get(f"{live_server.url}/problems/{problem_id}/", timeout=20)
    response = student.post_tool(f"{live_server.url}/problems/{problem_id}/attempts", {"answer": answer})
    assert response.status_code == 200, response.text
    return response.json()


def test_each_graded_attempt_posts_the_score_to_the_activitys_line_item(lms, live_server):
    _, problem_set, link_id = _course_with_a_set(lms, live_server)
    line = lms.lineitems[lms.links[link_id].lineitem]
    student = Person(lms, "s-200")
    student.launch(link_id=link_id)
    q1, q2, _ = problem_set.problems.order_by("position")
    assert _answer(student, live_server, q1.pk, "2")["correct"] is True
    assert [s["scoreGiven"] for s in line.scores] == [1]
    score = line.scores[0]
    assert score["userId"] == "s-200"
    assert score["scoreMaximum"] == 3
    assert score["gradingProgress"] == "FullyGraded"
    assert score["activityProgress"] == "InProgress"
    # A wrong answer is graded too: the score stays 1 of 3.
    assert _answer(student, live_server, q2.pk, "5")["correct"] is False
    assert [s["scoreGiven"] for s in line.scores] == [1, 1]
    row = ScoreSend.objects.get(student=_user(lms, "s-200"))
    assert row.status == ScoreSend.Status.SENT


def test_a_late_answer_is_scored_and_named_late(lms, live_server):
    _, problem_set, link_id = _course_with_a_set(lms, live_server)
    line = lms.lineitems[lms.links[link_id].lineitem]
    student = Person(lms, "s-200")
    student.launch(link_id=link_id)
    Assignment.objects.filter(problem_set=problem_set).update(
        due_at=timezone.now() - timedelta(days=1), late_policy=Assignment.LatePolicy.MARK
    )
    q1 = problem_set.problems.order_by("position").first()
    assert _answer(student, live_server, q1.pk, "2")["late"] is True
    assert line.scores[-1]["scoreGiven"] == 1
    assert "1 solved after the due date" in line.scores[-1]["comment"]


def test_an_lms_that_fails_keeps_the_score_until_a_retry_sends_it(lms, live_server):
    from tutor.lti.grades import scores_due
    from tutor.lti.tasks import retry_scores

    teacher, problem_set, link_id = _course_with_a_set(lms, live_server)
    line = lms.lineitems[lms.links[link_id].lineitem]
    student = Person(lms, "s-200")
    student.launch(link_id=link_id)
    # The LMS's token endpoint is down (503): the score can't be sent.
    lms.fail_tokens = True
    assert _answer(student, live_server, problem_set.problems.order_by("position").first().pk, "2")["correct"]
    row = ScoreSend.objects.get(student=_user(lms, "s-200"))
    assert row.status == ScoreSend.Status.FAILED
    assert row.next_try_at is not None and "503" in row.last_error
    assert line.scores == []
    page = teacher.http.get(f"{live_server.url}/lti/grades/", timeout=20)
    assert "Not sent yet (will retry)" in text_of(page.text)
    assert "Sam Student" in text_of(page.text)
    # Not due before its back-off is over.
    assert scores_due() == []
    # The LMS is back; once the back-off is over, the retry pass sends it.
    lms.fail_tokens = False
    ScoreSend.objects.filter(pk=row.pk).update(next_try_at=timezone.now() - timedelta(seconds=1))
    assert scores_due() == [row.pk]
    retry_scores()
    row.refresh_from_db()
    assert row.status == ScoreSend.Status.SENT
    assert [s["scoreGiven"] for s in line.scores] == [1]
    assert "Sent" in text_of(teacher.http.get(f"{live_server.url}/lti/grades/", timeout=20).text)


def test_roster_sync_enrols_the_courses_learners(lms, live_server):
    teacher = Person(lms, "t-100")
    open_picker(teacher)  # the instructor's launch queues a roster sync (run at once here)
    classroom = Classroom.objects.get(lti_context__context_id="course-7")
    names = sorted(u.get_full_name() for u in classroom.students.all())
    assert names == ["Ria Rao", "Sam Student"]  # read over two pages
    # Ria leaves the course in the LMS; the next sync takes her out of the class.
    lms.people["s-201"].status = "Deleted"
    teacher.post_tool(f"{live_server.url}/lti/courses/{classroom.lti_context.pk}/roster/", {})
    assert sorted(u.get_full_name() for u in classroom.students.all()) == ["Sam Student"]


def _wrong_key(claims, key):
    return claims, new_rsa_key()


def _wrong_audience(claims, key):
    return {**claims, "aud": "some-other-tool", "azp": "some-other-tool"}, key


def _expired(claims, key):
    return {**claims, "iat": claims["iat"] - 3600, "exp": claims["iat"] - 1800}, key


@pytest.mark.parametrize(
    ("tamper", "says", "logged"),
    [
        (_wrong_key, "wasn't signed by your LMS", "InvalidSignatureError"),
        (_wrong_audience, "meant for a different tool", "some-other-tool"),
        (_expired, "had run out of time", "ExpiredSignatureError"),
    ],
    ids=["wrong-signature", "wrong-audience", "expired"],
)
def test_a_bad_id_token_is_refused_with_a_plain_page(lms, live_server, caplog, tamper, says, logged):
    _, _, link_id = _course_with_a_set(lms, live_server)
    lms.tamper = tamper
    student = Person(lms, "s-200")
    with caplog.at_level(logging.WARNING, logger="tutor.lti.views"):
        refused = student.launch(link_id=link_id)
    assert refused.status_code == 403
    assert says in text_of(refused.text)
    assert logged not in refused.text  # the detail is for the log
    assert any(logged in r.getMessage() for r in caplog.records)
    assert student.http.get(f"{live_server.url}/", timeout=20).url.startswith(
        f"{live_server.url}/accounts/login/"
    )


def test_a_replayed_id_token_is_refused(lms, live_server, caplog):
    _, problem_set, link_id = _course_with_a_set(lms, live_server)
    student = Person(lms, "s-200")
    action, fields = student.id_token_form(link_id=link_id)
    first = student.http.post(action, data=fields, timeout=20)
    assert first.url == f"{live_server.url}/sets/{problem_set.pk}/"
    # The same id_token and state again, from the same browser (its state cookie still set).
    again = student.http.post(action, data=fields, timeout=20)
    assert again.status_code == 403
    assert "already used" in text_of(again.text)
    # Or sent by someone else who captured it: no cookie, no entry either.
    thief = Person(lms, "s-999")
    stolen = thief.http.post(action, data=fields, timeout=20)
    assert stolen.status_code == 403


def test_a_launch_for_an_unregistered_deployment_is_refused(lms, live_server):
    _, _, link_id = _course_with_a_set(lms, live_server)
    lms.deployment_id = "deployment-unknown"
    refused = Person(lms, "s-200").launch(link_id=link_id)
    assert refused.status_code == 403
    assert "deployment" in text_of(refused.text)


def test_a_student_cant_open_a_course_before_its_teacher_set_it_up(lms, live_server):
    lms.links["plain"] = ResourceLink(id="plain", title="Tool", url=live_server.url + "/lti/launch/")
    page = Person(lms, "s-200").launch(link_id="plain")
    assert page.status_code == 403
    assert "Your teacher hasn't opened this activity" in text_of(page.text)


def test_our_jwks_publishes_a_rotated_key_and_signs_with_the_new_one(lms, live_server):
    from django.core.management import call_command

    first = Person(lms, "t-100").http.get(f"{live_server.url}/lti/jwks/", timeout=20).json()["keys"]
    call_command("lti_key", "--rotate")
    keys = Person(lms, "t-100").http.get(f"{live_server.url}/lti/jwks/", timeout=20).json()["keys"]
    assert len(keys) == 2 and first[0]["kid"] in [k["kid"] for k in keys]
    assert all("d" not in k and "p" not in k for k in keys)  # public halves only
    new_kid = next(k["kid"] for k in keys if k["kid"] != first[0]["kid"])
    _course_with_a_set(lms, live_server)  # the platform checked the signed item against our JWKS
    assert lms.tool_kids_seen[-1] == new_kid


def test_the_lms_may_frame_every_page_and_nobody_else(lms, live_server):
    page = Person(lms, "x").http.get(f"{live_server.url}/accounts/login/", timeout=20)
    policy = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {lms.url}" in policy
    assert "X-Frame-Options" not in page.headers


def test_an_activity_added_by_hand_gets_a_grade_column_made_for_it(lms, live_server):
    """Without deep linking (the admin typed the custom parameter), the launch carries no line
    item: the first score finds or makes the column for the resource link, then posts to it."""
    _, problem_set, _ = _course_with_a_set(lms, live_server)
    lms.links["by-hand"] = ResourceLink(
        id="by-hand",
        title="Forces homework",
        url=live_server.url + "/lti/launch/",
        custom={"phi_problem_set": str(problem_set.pk)},
    )
    student = Person(lms, "s-200")
    assert student.launch(link_id="by-hand").status_code == 200
    assert _answer(student, live_server, problem_set.problems.order_by("position").first().pk, "2")["correct"]
    made = [line for line in lms.lineitems.values() if line.resource_link_id == "by-hand"]
    assert len(made) == 1
    assert made[0].label == "Forces homework" and made[0].score_maximum == 3
    assert [s["scoreGiven"] for s in made[0].scores] == [1]


def test_a_celery_worker_retries_a_score_the_lms_refused(lms, live_server, settings, tmp_path):
    """The production path: the web process queues the send on Redis; a real worker sends it,
    fails (the LMS's token endpoint answers 503), queues its own retry, and the retry gets through."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        services_missing("PostgreSQL and Redis")
    from tests.worker import celery_worker

    _, problem_set, link_id = _course_with_a_set(lms, live_server)
    line = lms.lineitems[lms.links[link_id].lineitem]
    student = Person(lms, "s-200")
    student.launch(link_id=link_id)
    lms.fail_tokens = True
    worker_env = {"TUTOR_LTI_SCORE_RETRY_SECONDS": "2"}
    with celery_worker(
        ollama_host="http://127.0.0.1:9", log_path=tmp_path / "worker.log", extra_env=worker_env
    ) as (
        _,
        queue,
    ):
        app.conf.task_default_queue = queue
        app.conf.task_always_eager = False
        try:
            assert _answer(student, live_server, problem_set.problems.order_by("position").first().pk, "2")[
                "correct"
            ]
            row = _wait_for_row(student=_user(lms, "s-200"), status=ScoreSend.Status.FAILED)
            assert row.tries == 1 and line.scores == []
            lms.fail_tokens = False
            row = _wait_for_row(student=_user(lms, "s-200"), status=ScoreSend.Status.SENT)
        finally:
            app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    assert [s["scoreGiven"] for s in line.scores] == [1]
    assert "send_score" in (tmp_path / "worker.log").read_text()


def _wait_for_row(*, student: User, status: str) -> ScoreSend:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = ScoreSend.objects.filter(student=student).first()
        if row is not None and row.status == status:
            return row
        time.sleep(0.1)
    raise AssertionError(
        f"the score never became {status}: {ScoreSend.objects.filter(student=student).first()}"
    )


def test_an_observer_and_a_student_adding_an_activity_are_refused(lms, live_server):
    _, _, link_id = _course_with_a_set(lms, live_server)
    lms.add_person("m-300", "Pat Parent", "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor")
    observer = Person(lms, "m-300").launch(link_id=link_id)
    assert observer.status_code == 403
    assert "Your role in this course" in text_of(observer.text)
    assert not LtiUser.objects.filter(sub="m-300").exists()
    student = Person(lms, "s-200")
    picker = student.launch(deep_link=True)
    assert picker.status_code == 403
    assert "Only the course's teacher can add activities" in text_of(picker.text)
    assert student.http.get(f"{live_server.url}/", timeout=20).url.startswith(
        f"{live_server.url}/accounts/login/"
    )


def test_a_score_the_lms_rejects_for_good_waits_for_the_teacher_to_send_it_again(lms, live_server):
    teacher, problem_set, link_id = _course_with_a_set(lms, live_server)
    student = Person(lms, "s-200")
    student.launch(link_id=link_id)
    line_id = lms.links[link_id].lineitem
    line = lms.lineitems.pop(line_id)  # someone deleted the grade column in the LMS: 404
    assert _answer(student, live_server, problem_set.problems.order_by("position").first().pk, "2")["correct"]
    row = ScoreSend.objects.get(student=_user(lms, "s-200"))
    assert row.status == ScoreSend.Status.GAVE_UP and row.next_try_at is None
    page = text_of(teacher.http.get(f"{live_server.url}/lti/grades/", timeout=20).text)
    assert "Not sent: needs a look" in page and "404" in page
    # The column is back (restored in the LMS); the teacher presses "Send again now".
    lms.lineitems[line_id] = line
    teacher.http.get(f"{live_server.url}/lti/grades/", timeout=20)
    resent = teacher.post_tool(f"{live_server.url}/lti/grades/{row.pk}/send/", {})
    assert resent.status_code == 200 and resent.url == f"{live_server.url}/lti/grades/"
    row.refresh_from_db()
    assert row.status == ScoreSend.Status.SENT
    assert [s["scoreGiven"] for s in line.scores] == [1]
    # A student can't press it.
    other = Person(lms, "s-201")
    other.launch(link_id=link_id)
    assert other.post_tool(f"{live_server.url}/lti/grades/{row.pk}/send/", {}).status_code == 403


def test_the_lms_keys_are_fetched_once_for_a_class_and_again_after_it_rotates_them(lms, live_server):
    _, problem_set, link_id = _course_with_a_set(lms, live_server)
    fetched = lms.jwks_fetches
    for sub in ("s-200", "s-201"):
        assert Person(lms, sub).launch(link_id=link_id).url == f"{live_server.url}/sets/{problem_set.pk}/"
    assert lms.jwks_fetches == fetched  # kept from the teacher's launch
    # The LMS rotates its signing key: the next launch carries a kid we haven't seen, and works.
    lms.key, lms.kid = new_rsa_key(), "platform-rotated"
    assert Person(lms, "s-200").launch(link_id=link_id).url == f"{live_server.url}/sets/{problem_set.pk}/"
    assert lms.jwks_fetches == fetched + 1


def test_a_second_instructor_is_told_who_teaches_the_class(lms, live_server):
    _course_with_a_set(lms, live_server)
    lms.add_person("t-101", "Grace Hopper", INSTRUCTOR)
    page = Person(lms, "t-101").launch(deep_link=True)
    assert page.status_code == 403
    assert "taught by Ada Lovelace" in text_of(page.text)
    assert Classroom.objects.get(lti_context__context_id="course-7").teacher == _user(lms, "t-100")
