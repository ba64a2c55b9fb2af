"""Figures for a teacher's class dashboard. Everything is scoped to one class the teacher owns."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from tutor.classroom.models import Assignment, Classroom, User
from tutor.problems.models import Problem, ProblemSet
from tutor.tutoring.models import Attempt, AuditOutcome, AuditRun, Flag, Message

# Gaps longer than this between a student's actions on a problem don't count as time on task.
IDLE_GAP = timedelta(minutes=10)


@dataclass
class ProblemFigures:
    problem: Problem
    students_tried: int = 0
    students_correct: int = 0
    attempts: int = 0
    hints: int = 0
    solutions: int = 0
    feedback: int = 0
    minutes_on_task: float = 0.0
    # (the checker's reading of the answer, how many attempts, the checker's usual reason, as typed)
    wrong_answers: list[tuple[str, int, str, list[str]]] = field(default_factory=list)
    class_size: int = 0

    @property
    def success_rate(self) -> float:
        return self.students_correct / self.class_size if self.class_size else 0.0

    @property
    def success_percent(self) -> int:
        return round(self.success_rate * 100)


WRONG_ANSWERS_SHOWN = 3


def normalised_answer(reading: str) -> str:
    """The checker's reading of a wrong answer, as one key for 'the same mistake': a plain decimal
    loses trailing zeros (3.0 and 3 are one mistake); anything else is kept as the checker wrote it."""
    text = reading.strip()
    if len(text) <= 40:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number.is_finite():
            normal = number.normalize()
            return format(normal, "f") if abs(normal.adjusted()) < 16 else str(normal)
    return text


def classroom_for_teacher(*, teacher: User, pk: int) -> QuerySet[Classroom]:
    return Classroom.objects.filter(pk=pk, teacher=teacher)


def class_assignments(classroom: Classroom) -> QuerySet[Assignment]:
    return classroom.assignments.select_related("problem_set").order_by("problem_set__title", "id")


def class_problems(classroom: Classroom, assignment: Assignment | None = None) -> list[Problem]:
    """The class's problems (stems, not their parts), one assignment's only when given."""
    problems = Problem.objects.filter(problem_set__assignments__classroom=classroom, parent__isnull=True)
    if assignment is not None:
        problems = problems.filter(problem_set__assignments=assignment)
    return list(problems.select_related("problem_set").order_by("problem_set__title", "position", "id"))


def students_by_name(classroom: Classroom) -> list[User]:
    return sorted(classroom.students.all(), key=lambda s: (s.display_name.casefold(), s.username))


def completed_replies(**filters: object) -> QuerySet[Message]:
    """Tutor replies the student actually got: a failed, stopped or cut-off reply isn't a hint given."""
    return Message.objects.filter(role=Message.Role.TUTOR, status=Message.Status.COMPLETE, **filters)


def _stems(problems: list[Problem]) -> dict[int, int]:
    """Problem id -> the id it counts for on the dashboard: a part counts for its stem."""
    stems = {p.pk: p.pk for p in problems}
    for part_id, parent_id in Problem.objects.filter(parent__in=problems).values_list("pk", "parent_id"):
        stems[part_id] = parent_id
    return stems


class CellState(StrEnum):
    SOLVED = "solved"
    ATTEMPTED = "attempted"
    NOT_STARTED = "not_started"


@dataclass
class GridCell:
    problem: Problem
    state: CellState
    attempts: int = 0

    @property
    def label(self) -> str:
        if self.state == CellState.SOLVED:
            return "Solved"
        if self.state == CellState.ATTEMPTED:
            return f"Tried {self.attempts}×, not solved"
        return "Not started"


@dataclass
class GridRow:
    student: User
    cells: list[GridCell]

    @property
    def solved(self) -> int:
        return sum(1 for cell in self.cells if cell.state == CellState.SOLVED)


def progress_grid(classroom: Classroom, problems: list[Problem]) -> list[GridRow]:
    """Student x problem: solved, tried, or not started. A multi-part problem is solved when every
    part is (or the stem itself was answered right)."""
    stems = _stems(problems)
    parts_needed: Counter = Counter(stem for pid, stem in stems.items() if pid != stem)
    students = students_by_name(classroom)
    attempts: Counter = Counter()
    solved: dict[tuple[int, int], set[int]] = defaultdict(set)
    rows = Attempt.objects.filter(problem__in=list(stems), student__in=students).values_list(
        "student_id", "problem_id", "correct"
    )
    for student_id, problem_id, correct in rows:
        stem = stems[problem_id]
        attempts[(student_id, stem)] += 1
        if correct:
            solved[(student_id, stem)].add(problem_id)
    grid = []
    for student in students:
        cells = []
        for problem in problems:
            done = solved[(student.pk, problem.pk)]
            if problem.pk in done or (parts_needed[problem.pk] and len(done) >= parts_needed[problem.pk]):
                state = CellState.SOLVED
            elif attempts[(student.pk, problem.pk)]:
                state = CellState.ATTEMPTED
            else:
                state = CellState.NOT_STARTED
            cells.append(GridCell(problem=problem, state=state, attempts=attempts[(student.pk, problem.pk)]))
        grid.append(GridRow(student=student, cells=cells))
    return grid


def _minutes(times: list) -> float:
    times = sorted(times)
    total = timedelta()
    for earlier, later in zip(times, times[1:], strict=False):
        gap = later - earlier
        if gap <= IDLE_GAP:
            total += gap
    return total.total_seconds() / 60


def dashboard(classroom: Classroom, problems: list[Problem]) -> list[ProblemFigures]:
    students = list(classroom.students.values_list("pk", flat=True))
    figures = {p.pk: ProblemFigures(problem=p, class_size=len(students)) for p in problems}
    tried: dict[int, set[int]] = defaultdict(set)
    correct: dict[int, set[int]] = defaultdict(set)
    wrong: dict[int, Counter] = defaultdict(Counter)
    reasons: dict[tuple[int, str], Counter] = defaultdict(Counter)
    samples: dict[tuple[int, str], list[str]] = defaultdict(list)
    activity: dict[tuple[int, int], list] = defaultdict(list)
    attempts = Attempt.objects.filter(problem__in=figures, student__in=students).values(
        "problem_id", "student_id", "correct", "reason", "answer", "interpreted_as", "created_at"
    )
    from tutor.problems.variants import named_mistakes

    named = named_mistakes(problems)
    for row in attempts:
        item = figures[row["problem_id"]]
        item.attempts += 1
        tried[row["problem_id"]].add(row["student_id"])
        activity[(row["problem_id"], row["student_id"])].append(row["created_at"])
        if row["correct"]:
            correct[row["problem_id"]].add(row["student_id"])
        else:
            reading = normalised_answer(row["interpreted_as"] or row["answer"])
            # A randomised problem's named mistake is one wrong answer across variants (variants.py).
            reading = named.get((row["problem_id"], row["reason"]), reading)
            wrong[row["problem_id"]][reading] += 1
            reasons[(row["problem_id"], reading)][row["reason"] or "Not right"] += 1
            typed = samples[(row["problem_id"], reading)]
            if len(typed) < 3 and row["answer"] not in typed:
                typed.append(row["answer"])
    replies = completed_replies(session__problem__in=figures, session__student__in=students).values_list(
        "session__problem_id", "mode"
    )
    for problem_id, mode in replies:
        item = figures[problem_id]
        if mode == Message.Mode.HINT:
            item.hints += 1
        elif mode == Message.Mode.SOLUTION:
            item.solutions += 1
        elif mode == Message.Mode.FEEDBACK:
            item.feedback += 1
    # Time on task counts every question the student asked, answered or not.
    asks = Message.objects.filter(
        role=Message.Role.STUDENT, session__problem__in=figures, session__student__in=students
    ).values_list("session__problem_id", "session__student_id", "created_at")
    for problem_id, student_id, created_at in asks:
        activity[(problem_id, student_id)].append(created_at)
    for pk, item in figures.items():
        item.students_tried = len(tried[pk])
        item.students_correct = len(correct[pk])
        item.wrong_answers = [
            (reading, count, reasons[(pk, reading)].most_common(1)[0][0], samples[(pk, reading)])
            for reading, count in wrong[pk].most_common(WRONG_ANSWERS_SHOWN)
        ]
    for (pk, _), times in activity.items():
        figures[pk].minutes_on_task += _minutes(times)
    return [figures[p.pk] for p in problems]


def student_rows(classroom: Classroom, student: User) -> list[dict]:
    rows = []
    for problem in class_problems(classroom):
        attempts = list(problem.attempts.filter(student=student).order_by("created_at"))
        hints = completed_replies(
            mode=Message.Mode.HINT, session__problem=problem, session__student=student
        ).count()
        rows.append(
            {
                "problem": problem,
                "attempts": len(attempts),
                "correct": any(a.correct for a in attempts),
                "last_answer": attempts[-1].answer if attempts else "",
                "last_reason": attempts[-1].reason if attempts else "",
                "hints": hints,
            }
        )
    return rows


@dataclass
class GradeRow:
    student: User
    scores: list[float]  # per problem: 1 solved, 0 not; a part-by-part problem the share of parts solved
    solved: int
    attempts: int
    hints: int
    late: int  # problems solved only after the due date (every right answer to them marked late)

    @property
    def score(self) -> float:
        return round(sum(self.scores), 2)


def problem_labels(problems: list[Problem]) -> list[str]:
    """Column names a teacher reads: '3. Speed of a train', with the set's title when there are several."""
    several_sets = len({p.problem_set_id for p in problems}) > 1
    numbers: Counter = Counter()
    labels = []
    for problem in problems:
        numbers[problem.problem_set_id] += 1
        label = f"{numbers[problem.problem_set_id]}. {problem.title or problem.key}"
        labels.append(f"{problem.problem_set.title}: {label}" if several_sets else label)
    return labels


def grades(
    classroom: Classroom, assignment: Assignment | None = None
) -> tuple[list[Problem], list[GradeRow]]:
    """Per student, by name: a score per problem, attempts, hints the tutor gave, problems solved late."""
    problems = class_problems(classroom, assignment)
    stems = _stems(problems)
    parts_of: Counter = Counter(stem for pid, stem in stems.items() if pid != stem)
    students = students_by_name(classroom)
    attempts: Counter = Counter()
    solved: dict[tuple[int, int], set[int]] = defaultdict(set)
    on_time: dict[tuple[int, int], set[int]] = defaultdict(set)
    rows = Attempt.objects.filter(problem__in=list(stems), student__in=students).values_list(
        "student_id", "problem_id", "correct", "late"
    )
    for student_id, problem_id, correct, late in rows:
        attempts[student_id] += 1
        if correct:
            solved[(student_id, stems[problem_id])].add(problem_id)
            if not late:
                on_time[(student_id, stems[problem_id])].add(problem_id)
    hints = Counter(
        completed_replies(
            mode=Message.Mode.HINT, session__problem__in=list(stems), session__student__in=students
        ).values_list("session__student_id", flat=True)
    )

    def share(done: set[int], problem: Problem) -> float:
        if problem.pk in done:
            return 1.0
        if parts_of[problem.pk]:
            return round(min(len(done), parts_of[problem.pk]) / parts_of[problem.pk], 2)
        return 0.0

    result = []
    for student in students:
        scores = [share(solved[(student.pk, p.pk)], p) for p in problems]
        late = sum(
            1
            for p, score in zip(problems, scores, strict=True)
            if score == 1 and share(on_time[(student.pk, p.pk)], p) < 1
        )
        result.append(
            GradeRow(
                student=student,
                scores=scores,
                solved=sum(1 for score in scores if score == 1),
                attempts=attempts[student.pk],
                hints=hints[student.pk],
                late=late,
            )
        )
    return problems, result


def flags_for_teacher(*, teacher: User) -> QuerySet[Flag]:
    return Flag.objects.filter(problem__problem_set__owner=teacher).select_related(
        "problem__problem_set", "session__student", "message"
    )


REVIEW_PAGE_SIZE = 50


@dataclass
class ReviewQueue:
    page: Page
    open_by_kind: list[tuple[str, str, int]]  # (kind, label, open flags)
    reporters: list[tuple[int, str, int]]  # (student id, name, open reports), busiest first
    kind: str
    student: int | None
    classes: list[Classroom]
    classroom: Classroom | None

    @property
    def query(self) -> str:
        """The filters as a query string prefix for the pager's links ('kind=x&' or '')."""
        parts = [f"kind={self.kind}"] if self.kind else []
        if self.student is not None:
            parts.append(f"student={self.student}")
        if self.classroom is not None:
            parts.append(f"classroom={self.classroom.pk}")
        return "".join(f"{part}&" for part in parts)


def flags_for_class(flags: QuerySet[Flag], classroom: Classroom) -> QuerySet[Flag]:
    """A class's flags: its students' sessions on its assigned sets, and the audit's flags (no
    session) on the sets assigned to it."""
    assigned = Q(problem__problem_set__assignments__classroom=classroom)
    return flags.filter(
        assigned & (Q(session__isnull=True) | Q(session__student__enrollments__classroom=classroom))
    )


def review_queue(
    *, teacher: User, kind: str = "", student: str = "", classroom: str = "", page: str = "1"
) -> ReviewQueue:
    """The teacher's flags, arranged so that a flood of reports can't bury the rest.

    Open flags first; among them the checker's and the audit's (unverified answers, disputed or
    unreadable keys, caught leaks) before students' reports; newest first within each. Reports are
    counted per student so one student's many reports show up as one line to filter on.
    """
    flags = flags_for_teacher(teacher=teacher)
    classes = list(Classroom.objects.filter(teacher=teacher).order_by("name", "id"))
    chosen = next((c for c in classes if str(c.pk) == classroom), None)
    if chosen is not None:
        flags = flags_for_class(flags, chosen)
    labels = dict(Flag.Kind.choices)
    open_counts = dict(
        flags.filter(resolved_at__isnull=True).values_list("kind").annotate(n=Count("id")).order_by()
    )
    reporters = [
        (
            row["session__student"],
            row["session__student__first_name"] or row["session__student__username"],
            row["n"],
        )
        for row in flags.filter(
            kind=Flag.Kind.STUDENT_REPORT, resolved_at__isnull=True, session__isnull=False
        )
        .values("session__student", "session__student__username", "session__student__first_name")
        .annotate(n=Count("id"))
        .order_by("-n", "session__student__username")[:20]
    ]
    if kind in labels:
        flags = flags.filter(kind=kind)
    else:
        kind = ""
    student_id = int(student) if student.isdigit() else None
    if student_id is not None:
        flags = flags.filter(session__student_id=student_id)
    flags = flags.annotate(
        is_reviewed=Case(
            When(resolved_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        is_report=Case(
            When(kind=Flag.Kind.STUDENT_REPORT, then=Value(1)), default=Value(0), output_field=IntegerField()
        ),
    ).order_by("is_reviewed", "is_report", "-created_at", "-id")
    return ReviewQueue(
        page=Paginator(flags, REVIEW_PAGE_SIZE).get_page(page),
        open_by_kind=[(k, label, open_counts[k]) for k, label in Flag.Kind.choices if open_counts.get(k)],
        reporters=reporters,
        kind=kind,
        student=student_id,
        classes=classes,
        classroom=chosen,
    )


@dataclass
class AuditReport:
    audit: AuditRun | None
    # (problem, outcome or None while it is still to be checked), in the set's order
    rows: list[tuple[Problem, AuditOutcome | None]]
    counts: dict[str, int]

    @property
    def summary(self) -> str:
        """'12 of 12 agree', then what else there is to look at."""
        if self.audit is None:
            return ""
        total = len(self.rows)
        agree = self.counts.get(AuditOutcome.Outcome.AGREES, 0)
        disagree = self.counts.get(AuditOutcome.Outcome.DISAGREES, 0)
        unreadable = self.counts.get(AuditOutcome.Outcome.UNREADABLE, 0)
        inconclusive = self.counts.get(AuditOutcome.Outcome.INCONCLUSIVE, 0)
        parts = [f"{agree} of {total} agree"]
        if disagree:
            parts.append(f"{disagree} {'disagrees' if disagree == 1 else 'disagree'}")
        if unreadable:
            parts.append(f"{unreadable} unreadable key{'s' if unreadable != 1 else ''}")
        if inconclusive:
            parts.append(f"{inconclusive} inconclusive")
        return ", ".join(parts)


def audit_report(*, teacher: User, problem_set: ProblemSet) -> AuditReport:
    """The set's latest answer-key audit, problem by problem."""
    audit = (
        AuditRun.objects.filter(problem_set=problem_set, problem_set__owner=teacher)
        .order_by("-created_at", "-id")
        .first()
    )
    problems = list(problem_set.problems.order_by("position", "id"))
    if audit is None:
        return AuditReport(audit=None, rows=[(p, None) for p in problems], counts={})
    outcomes = {o.problem_id: o for o in audit.outcomes.all()}
    counts = Counter(o.outcome for o in outcomes.values())
    return AuditReport(audit=audit, rows=[(p, outcomes.get(p.pk)) for p in problems], counts=dict(counts))
