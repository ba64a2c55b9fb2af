from __future__ import annotations

from django.db import IntegrityError, transaction

from tutor.errors import Conflict, Forbidden, Invalid, NotFound
from tutor.limits.services import throttle_hit

from .limits import join_failures_per_client, join_failures_per_user, refuse_if_spent
from .models import JOIN_CODE_ALPHABET, Classroom, Enrollment, User, new_join_code

TEACHER_SIGNUP_CLOSED = (
    "Teacher accounts on this site are set up by an admin. Sign up as a student, or ask the admin."
)


def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    email: str = "",
    teacher_signup: str = "open",
) -> User:
    """A new account. `teacher_signup` is the site's TUTOR_TEACHER_SIGNUP: with "approval", a
    teacher's account is made but acts as a teacher only once an admin approves it."""
    if role not in (User.Role.STUDENT, User.Role.TEACHER):
        raise Invalid("Choose whether you are a student or a teacher.")
    if role == User.Role.TEACHER and teacher_signup == "closed":
        raise Invalid(TEACHER_SIGNUP_CLOSED)
    return User.objects.create_user(
        username=username,
        password=password,
        role=role,
        first_name=first_name,
        email=email,
        teacher_approved=role != User.Role.TEACHER or teacher_signup == "open",
    )


def _own(*, teacher: User, classroom: Classroom) -> None:
    if not teacher.is_teacher or classroom.teacher_id != teacher.pk:
        raise Forbidden("Only the class's teacher can do that.")


def classroom_create(*, teacher: User, name: str) -> Classroom:
    if not teacher.is_teacher:
        raise Invalid("Only teachers can create classes.")
    name = name.strip()
    if not name:
        raise Invalid("Give the class a name.")
    # A collision among 31^7 codes is rare, but retrying costs nothing.
    for _ in range(5):
        try:
            with transaction.atomic():
                return Classroom.objects.create(teacher=teacher, name=name, join_code=new_join_code())
        except IntegrityError:
            continue
    raise Conflict("Couldn't make a new class code just now. Please try again.")


def classroom_rotate_join_code(*, teacher: User, classroom: Classroom) -> str:
    """Give the class a new code; the old one stops working at once. Students already in stay."""
    _own(teacher=teacher, classroom=classroom)
    for _ in range(5):
        code = new_join_code()
        try:
            with transaction.atomic():
                updated = Classroom.objects.filter(pk=classroom.pk).update(join_code=code)
        except IntegrityError:
            continue
        if not updated:
            raise NotFound("That class no longer exists.")
        classroom.join_code = code
        return code
    raise Conflict("Couldn't make a new class code just now. Please try again.")


def classroom_remove_student(*, teacher: User, classroom: Classroom, student_id: int) -> User:
    """Take a student out of a class: they lose its assignments. Their past work is kept."""
    _own(teacher=teacher, classroom=classroom)
    enrollment = (
        Enrollment.objects.filter(classroom=classroom, student_id=student_id)
        .select_related("student")
        .first()
    )
    if enrollment is None:
        raise NotFound("That student isn't in this class.")
    enrollment.delete()
    return enrollment.student


def normalize_join_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def classroom_join(*, student: User, code: str, client: str | None = None) -> Classroom:
    """Join a class by its code. Wrong codes are counted per student and per `client` (a throttle
    key for the address the request came from); past either limit, every try is refused."""
    if not student.is_student:
        raise Invalid("Only students join classes with a code.")
    counters = [(join_failures_per_user(), f"user:{student.pk}")]
    if client:
        counters.append((join_failures_per_client(), client))
    for limit, key in counters:
        refuse_if_spent(limit, key=key)
    normalized = normalize_join_code(code)
    if not normalized or any(ch not in JOIN_CODE_ALPHABET for ch in normalized):
        raise Invalid("That doesn't look like a class code. Codes are 7 letters and digits, like K7PM3QX.")
    classroom = Classroom.objects.filter(join_code=normalized).first()
    if classroom is None:
        for limit, key in counters:
            throttle_hit(limit, key=key)
        raise Invalid("No class has that code. Check it with your teacher.")
    Enrollment.objects.get_or_create(classroom=classroom, student=student)
    return classroom
