"""Two versions of a small survey, shared by the export and summary tests.

Version 2 rewords `role` and adds an option to it, swaps the `art` activity for `music`, drops
`comment`, and adds `age` and a `feelings` grid, so columns must stay stable across versions.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine import storage
from engine.definition import Form
from engine.loader import load_form_text

YOUTH_V1 = """
title: Youth survey
reference_prefix: YS
pages:
  - id: about
    title: About you
    questions:
      - id: name
        type: name
        label: Your name
        personal: true
      - id: role
        type: radios
        label: Your role
        options:
          - {value: young_person, label: Young person}
          - {value: carer, label: Carer}
      - id: activities
        type: checkboxes
        label: What do you do?
        optional: true
        options:
          - {value: sport, label: Sport}
          - {value: art, label: Art}
          - {value: other, label: Something else, other: true}
  - id: more
    questions:
      - id: comment
        type: text
        optional: true
        label: Anything to add, ((name))?
  - id: trips
    repeat: {item_name: trip, min: 0, max: 5}
    title: Your trips
    questions:
      - id: destination
        type: text
        label: Where did you go?
      - id: cost
        type: money
        label: What did it cost?
"""

YOUTH_V2 = """
title: Youth survey
reference_prefix: YS
pages:
  - id: about
    title: About you
    questions:
      - id: name
        type: name
        label: Your name
        personal: true
      - id: role
        type: radios
        label: Which describes you best?
        options:
          - {value: young_person, label: Young person}
          - {value: carer, label: Carer}
          - {value: staff, label: Staff}
      - id: activities
        type: checkboxes
        label: What do you do?
        optional: true
        options:
          - {value: sport, label: Sport}
          - {value: music, label: Music}
          - {value: other, label: Something else, other: true}
  - id: numbers
    title: Numbers
    questions:
      - id: age
        type: number
        optional: true
        label: How old are you?
      - id: note
        type: text
        optional: true
        label: A note
  - id: feelings_page
    questions:
      - id: feelings
        type: grid
        optional: true
        label: How do you feel
        statements:
          - {value: school, label: At school}
          - {value: home, label: At home}
        options:
          - {value: happy, label: Happy}
          - {value: sad, label: Sad}
  - id: trips
    repeat: {item_name: trip, min: 0, max: 5}
    title: Your trips
    questions:
      - id: destination
        type: text
        label: Where did you go?
      - id: cost
        type: money
        label: What did it cost?
"""


async def recorded(text: str) -> Form:
    """Load a version of the survey and record it with its YAML, as the app does at start-up."""
    form = load_form_text(text, "youth.yaml")
    await storage.record_form_version(form.slug, form.version, {"yaml": text})
    return form


async def submitted(form: Form, *answers: Mapping[str, storage.JSONInput]) -> list[str]:
    """Store submissions of `form`'s version; returns their references in the same order."""
    return await storage.import_submissions(form.slug, form.version, "en", answers, "YS")
