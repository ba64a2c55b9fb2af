from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tutor.lti.grades import score_send, scores_due
from tutor.lti.models import ScoreSend


class Command(BaseCommand):
    help = (
        "Send the LMS scores that are due: failed ones whose wait is over, and pending ones whose "
        "task was lost. Run it from cron every few minutes (docs/lti.md); it is safe to run twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        due = scores_due()
        for row_id in due:
            score_send(row_id=row_id)
        counts = {
            status: ScoreSend.objects.filter(status=status).count() for status in ScoreSend.Status.values
        }
        self.stdout.write(
            f"Tried {len(due)} score(s). Now: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
