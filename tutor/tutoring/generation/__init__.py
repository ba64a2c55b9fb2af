"""Generation jobs: one tutor reply from the Ollama stream to the checked answer.

- runner.py: the job (claim, heartbeat, Stop, takeover by another job)
- claims.py: the claim on a message, in the database
- streaming.py: one model stream into the event log, coalesced, the final answer held back
- replies.py: which policy a reply follows; reply.py (what every reply shares), solutions.py
  (verified worked solutions, cached ones), hints.py (hints, feedback, questions, leak-gated)
- records.py: verdicts and flags left for teachers
"""

from .runner import generation_run, llm_config_for

__all__ = ["generation_run", "llm_config_for"]
