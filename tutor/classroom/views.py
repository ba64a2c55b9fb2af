from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tutor.classroom.access import require_teacher
from tutor.errors import ApplicationError, Forbidden, Invalid
from tutor.limits.services import throttle_hit

from . import selectors, services
from .forms import ClassroomForm, JoinForm, SignupForm
from .limits import signup_limit
from .security import client_key

PENDING_TEACHER = (
    "Your account is ready. Before you can create classes or upload problem sets, an admin must "
    "approve it as a teacher account. Ask your school's admin; this page will show your classes once "
    "that's done."
)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    mode = settings.TUTOR_TEACHER_SIGNUP
    form = SignupForm(request.POST or None, teacher_signup=mode)
    if request.method == "POST":
        # Every try counts, good or bad: it also bounds how fast anyone can ask "is this username
        # taken?", the one thing sign-up can't help telling.
        throttle_hit(signup_limit(), key=client_key(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            try:
                user = services.user_create(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    role=form.cleaned_data["role"],
                    first_name=form.cleaned_data["first_name"],
                    teacher_signup=mode,
                )
            except Invalid as exc:
                form.add_error(None, exc.message)
                return render(request, "registration/signup.html", {"form": form})
            code = form.cleaned_data["join_code"]
            joined = None
            if code and user.is_student:
                try:
                    joined = services.classroom_join(student=user, code=code, client=client_key(request))
                except ApplicationError as exc:
                    messages.warning(request, f"Your account is ready, but: {exc.message}")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if joined:
            messages.success(request, f"Welcome! You joined {joined.name}.")
        elif user.is_pending_teacher:
            messages.info(request, PENDING_TEACHER)
        else:
            messages.success(request, "Welcome! Your account is ready.")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    classes = selectors.classroom_list_for(user=user).select_related("teacher")
    assignments = (
        selectors.assignment_list_for(user=user)
        .select_related("problem_set", "classroom")
        .order_by("due_at", "id")
    )
    if user.is_student:
        assignments = list(assignments)
        progress = selectors.problem_set_progress_for(
            student=user, problem_set_ids={a.problem_set_id for a in assignments}
        )
        for assignment in assignments:
            assignment.progress = progress[assignment.problem_set_id]
            assignment.late_now = selectors.assignment_is_late(assignment=assignment)
    context = {
        "classes": classes,
        "assignments": assignments,
        "class_form": ClassroomForm(),
        "problem_sets": selectors.problem_set_list_for(user=user) if user.is_teacher else [],
        "join_form": JoinForm(),
        "pending_teacher": PENDING_TEACHER if user.is_pending_teacher else "",
    }
    return render(request, "classroom/home.html", context)


@login_required
@require_POST
def classroom_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_teacher:
        raise Forbidden("Only teachers can create classes.")
    form = ClassroomForm(request.POST)
    if form.is_valid():
        classroom = services.classroom_create(teacher=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Class created. Students join with code {classroom.join_code}.")
        return redirect("classroom_detail", pk=classroom.pk)
    messages.error(request, "Give the class a name.")
    return redirect("home")


@login_required
@require_POST
def classroom_join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            classroom = services.classroom_join(
                student=request.user, code=form.cleaned_data["code"], client=client_key(request)
            )
        except Invalid as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"You joined {classroom.name}.")
            return redirect("classroom_detail", pk=classroom.pk)
    return redirect("home")


@login_required
def classroom_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # 404, not 403, for classes that aren't yours: don't confirm that a class exists.
    classroom = get_object_or_404(selectors.classroom_list_for(user=request.user), pk=pk)
    assignments = classroom.assignments.select_related("problem_set")
    students = classroom.students.order_by("username") if request.user.is_teacher else None
    return render(
        request,
        "classroom/classroom_detail.html",
        {"classroom": classroom, "assignments": assignments, "students": students},
    )


def _taught_classroom(request: HttpRequest, pk: int):
    # 404 for classes that aren't yours, as on the class page.
    require_teacher(request.user)
    return get_object_or_404(selectors.classroom_list_for(user=request.user), pk=pk)


@login_required
@require_POST
def classroom_rotate_code(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _taught_classroom(request, pk)
    code = services.classroom_rotate_join_code(teacher=request.user, classroom=classroom)
    messages.success(
        request, f"New class code: {code}. The old code no longer works; students already in the class stay."
    )
    return redirect("classroom_detail", pk=classroom.pk)


@login_required
@require_POST
def classroom_remove_student(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    classroom = _taught_classroom(request, pk)
    student = services.classroom_remove_student(
        teacher=request.user, classroom=classroom, student_id=student_id
    )
    messages.success(
        request,
        f"{student.display_name} is no longer in {classroom.name}. They could join again with the class "
        "code: give the class a new code if they shouldn't.",
    )
    return redirect("classroom_detail", pk=classroom.pk)
