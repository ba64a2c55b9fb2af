"""`{% choice_form_for problem as choice %}`: the options a choice problem's answer form shows."""

from __future__ import annotations

from django import template

from tutor.problems.choices import ChoiceForm, choice_form
from tutor.problems.models import Problem

register = template.Library()


@register.simple_tag
def choice_form_for(problem: Problem) -> ChoiceForm | None:
    return choice_form(problem=problem)
