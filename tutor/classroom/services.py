from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import JOIN_CODE_ALPHABET, Classroom, Enrollment, User, new_join_code


def user_create(*, username: str, password: str, role: str, first_name: str = "", email: str = "") -> User:
    if role not in (User.Role.STUDENT, User.Role.TEACHER):
        raise ValidationError("Choose whether you are a student or a teacher.")
    return User.objects.create_user(
        username=username, password=password, role=role, first_name=first_name, email=email
    )


def classroom_create(*, teacher: User, name: str) -> Classroom:
    if not teacher.is_teacher:
        raise ValidationError("Only teachers can create classes.")
    name = name.strip()
    if not name:
        raise ValidationError("Give the class a name.")
    # A collision among 31^7 codes is rare, but retrying costs nothing.
    for _ in range(5):
        try:
            with transaction.atomic():
                return Classroom.objects.create(teacher=teacher, name=name, join_code=new_join_code())
        except IntegrityError:
            continue
    raise RuntimeError("Could not find a free join code after 5 tries.")


def normalize_join_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def classroom_join(*, student: User, code: str) -> Classroom:
    if not student.is_student:
        raise ValidationError("Only students join classes with a code.")
    normalized = normalize_join_code(code)
    if not normalized or any(ch not in JOIN_CODE_ALPHABET for ch in normalized):
        raise ValidationError(
            "That doesn't look like a class code. Codes are 7 letters and digits, like K7PM3QX."
        )
    classroom = Classroom.objects.filter(join_code=normalized).first()
    if classroom is None:
        raise ValidationError("No class has that code. Check it with your teacher.")
    Enrollment.objects.get_or_create(classroom=classroom, student=student)
    return classroom
