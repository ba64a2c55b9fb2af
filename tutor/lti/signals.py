"""Grade passback hooks onto saved attempts, so tutor/tutoring/attempts.py needn't know about LMSs."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tutor.tutoring.models import Attempt

from .middleware import frame_origins_forget
from .models import Platform


@receiver([post_save, post_delete], sender=Platform, dispatch_uid="lti_frame_origins_changed")
def _frame_origins_changed(sender: type[Platform], **kwargs: Any) -> None:
    # This process at once; the others within middleware.CACHE_SECONDS.
    frame_origins_forget()


@receiver(post_save, sender=Attempt, dispatch_uid="lti_score_on_attempt")
def _score_on_attempt(sender: type[Attempt], instance: Attempt, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    from .grades import score_mark
    from .tasks import send_score

    # The outbox row is written in the attempt's own transaction: if the attempt is saved, so is
    # the fact that its score must go out. The send waits for the commit.
    for row_id in score_mark(attempt=instance):
        transaction.on_commit(partial(send_score.delay, row_id))
