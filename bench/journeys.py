"""Respondents filling in a form over HTTP, as a browser without JavaScript would: GET a page, POST
its form with the CSRF token it carries, follow the redirect, until the confirmation shows a reference.

The journey is learnt once by reading every page's HTML form properly, then replayed by many
respondents who only pick the CSRF token and the form's action out of each page with a regular
expression: the load generator shares two cores with the server and must stay cheap.

    python -m bench.journeys http://127.0.0.1:8000 --respondents 50 --seconds 30   # prints JSON
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from bench.client import Client, Reply

FORM_SLUG = "moving-into-adulthood"
CSRF_FIELD = "csrf_token"
#: References look like MIA-7K3P-2QXD (engine.storage.REFERENCE_ALPHABET).
REFERENCE = re.compile(r"\b[A-Z]{2,5}-[2-9A-HJ-NP-TV-Z]{4}-[2-9A-HJ-NP-TV-Z]{4}\b")
MAX_STEPS = 60

#: A young person who wants to stay involved and answers the equality questions: the longest route
#: through moving-into-adulthood (15 question pages). Keys are HTML field names.
ANSWERS: Mapping[str, str | tuple[str, ...]] = {
    "role": "young_person",
    "young_person_age_group": "age_18_to_21",
    "young_person_what_matters": ("having_a_say", "knowing_what_next", "money"),
    "young_person_what_works": "My personal adviser calls back when she says she will.",
    "young_person_what_does_not_work": "I had to tell my story again to every new worker.",
    "young_person_rating": "ok",
    "young_person_ideas": "One plan that follows me from school to college.",
    "stay_involved": "yes",
    "how_involved": ("hear_results", "online_group"),
    "contact_name": "Sam Taylor",
    "contact_method": "email",
    "contact_email": "sam.taylor@example.org",
    "answer_equality": "yes",
    "gender": "prefer_not_to_say",
    "disability": "not_disabled",
    "ethnic_group": "mixed",
    "care_experienced": "care_experienced",
}


class JourneyError(Exception):
    """The server answered something a respondent could not go on from."""


# --- reading a page's forms properly (learning) ----------------------------------------------------


@dataclass
class HtmlForm:
    method: str
    action: str
    hidden: list[tuple[str, str]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    #: (name, value) of the first submit button, if it has a name.
    button: tuple[str, str] | None = None
    has_submit: bool = False


class FormParser(HTMLParser):
    """Collects every <form> with its hidden fields, the names of its inputs and its first button."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._current: HtmlForm | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._current = HtmlForm(values.get("method", "get").lower(), values.get("action", ""))
            self.forms.append(self._current)
            return
        form = self._current
        if form is None or tag not in ("input", "textarea", "select", "button"):
            return
        kind = values.get("type", "submit" if tag == "button" else "text").lower()
        name = values.get("name", "")
        if kind == "submit":
            # The first button is the page's main action ("Continue"); later ones ("Save and come
            # back later") would take the respondent elsewhere. Unnamed, it adds no field.
            if not form.has_submit and name:
                form.button = (name, values.get("value", ""))
            form.has_submit = True
        elif kind == "hidden" and name:
            form.hidden.append((name, values.get("value", "")))
        elif name and name not in form.inputs:
            form.inputs.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def post_forms(html: str) -> list[HtmlForm]:
    parser = FormParser()
    parser.feed(html)
    return [form for form in parser.forms if form.method == "post" and form.has_submit]


def fill(form: HtmlForm, answers: Mapping[str, str | tuple[str, ...]]) -> list[tuple[str, str]]:
    """The fields to send: the answers for the inputs this form has, and its first button's."""
    fields: list[tuple[str, str]] = []
    for name in form.inputs:
        answer = answers.get(name)
        if answer is None:
            continue
        fields.extend((name, value) for value in ((answer,) if isinstance(answer, str) else answer))
    if form.button is not None:
        fields.append(form.button)
    return fields


@dataclass(frozen=True)
class Step:
    """One POST of the journey: which of the page's post forms, and what it sends besides the token."""

    form_index: int
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Plan:
    start_path: str
    steps: tuple[Step, ...]


def choose_form(forms: Sequence[HtmlForm], answers: Mapping[str, object]) -> int:
    """The form a respondent would send: the one holding answerable questions, else the first."""
    for index, form in enumerate(forms):
        if any(name in answers for name in form.inputs):
            return index
    if not forms:
        raise JourneyError("the page has no form to send")
    return 0


async def learn(
    client: Client, start_path: str, answers: Mapping[str, str | tuple[str, ...]] = ANSWERS
) -> tuple[Plan, str]:
    """Walk the journey once, reading each form in full; return the plan and the reference shown."""
    steps: list[Step] = []
    path = start_path
    for _ in range(MAX_STEPS):
        page = await expect_page(client, path)
        found = REFERENCE.search(page.text)
        if found and not post_forms(page.text):
            return Plan(start_path, tuple(steps)), found.group(0)
        forms = post_forms(page.text)
        index = choose_form(forms, answers)
        step = Step(index, tuple(fill(forms[index], answers)))
        steps.append(step)
        action = urljoin(path, forms[index].action or path)
        body = urlencode([*forms[index].hidden, *step.fields])
        path = await expect_redirect(client, action, body)
    raise JourneyError(f"no reference after {MAX_STEPS} pages")


# --- replaying the plan cheaply (load) ---------------------------------------------------------------

_POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>", re.IGNORECASE)
_ACTION = re.compile(r"\baction=[\"']([^\"']*)[\"']", re.IGNORECASE)
_CSRF = re.compile(rf"name=[\"']{CSRF_FIELD}[\"'][^>]*\bvalue=[\"']([^\"']+)[\"']")


def action_and_token(html: str, form_index: int, path: str) -> tuple[str, str]:
    """The action of the page's `form_index`-th post form and the CSRF token inside it."""
    forms = list(_POST_FORM.finditer(html))
    if form_index >= len(forms):
        raise JourneyError(f"expected a post form number {form_index + 1} on {path}")
    tag = forms[form_index]
    action = _ACTION.search(tag.group(0))
    token = _CSRF.search(html, tag.end())
    if token is None:
        raise JourneyError(f"no CSRF token in the form on {path}")
    return urljoin(path, action.group(1) if action and action.group(1) else path), token.group(1)


@dataclass
class Timings:
    requests: list[float] = field(default_factory=list)
    journeys: int = 0
    errors: list[str] = field(default_factory=list)


class TimedClient(Client):
    """A client that records how long every request took."""

    timings: Timings

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> Reply:
        started = time.perf_counter()
        reply = await super().request(method, path, body, headers)
        self.timings.requests.append(time.perf_counter() - started)
        return reply


async def expect_page(client: Client, path: str) -> Reply:
    reply = await client.get(path)
    if reply.status != 200:
        raise JourneyError(f"GET {path} answered {reply.status}")
    return reply


async def expect_redirect(client: Client, path: str, body: str) -> str:
    reply = await client.post_form(path, body)
    location = reply.header("location")
    if reply.status not in (302, 303) or location is None:
        raise JourneyError(f"POST {path} answered {reply.status}, not a redirect")
    return urlsplit(urljoin(path, location))._replace(scheme="", netloc="").geturl()


async def replay(client: Client, plan: Plan) -> str:
    """One respondent's whole journey along `plan`; returns the reference the confirmation shows."""
    path = plan.start_path
    for step in plan.steps:
        page = await expect_page(client, path)
        action, token = action_and_token(page.text, step.form_index, path)
        path = await expect_redirect(client, action, urlencode([(CSRF_FIELD, token), *step.fields]))
    confirmation = await expect_page(client, path)
    found = REFERENCE.search(confirmation.text)
    if found is None:
        raise JourneyError(f"no reference on {path}")
    return found.group(0)


async def respondent(base_url: str, plan: Plan, deadline: float, timings: Timings) -> None:
    """Complete journeys one after another, each as a new person (new cookies), until the deadline."""
    while time.monotonic() < deadline:
        client = TimedClient.for_url(base_url)
        client.timings = timings
        try:
            await replay(client, plan)
            timings.journeys += 1
        except (JourneyError, OSError, asyncio.IncompleteReadError) as error:
            timings.errors.append(str(error))
        finally:
            await client.close()


async def run_load(base_url: str, start_path: str, respondents: int, seconds: float) -> dict[str, object]:
    learner = Client.for_url(base_url)
    plan, _ = await learn(learner, start_path)
    await learner.close()
    timings = Timings()
    started = time.monotonic()
    await asyncio.gather(
        *(respondent(base_url, plan, started + seconds, timings) for _ in range(respondents))
    )
    elapsed = time.monotonic() - started
    latencies = sorted(timings.requests)
    return {
        "journeys": timings.journeys,
        "requests": len(latencies),
        "seconds": elapsed,
        # Each step is a GET of a page and the POST of its form; then the confirmation page.
        "requests_per_journey": 2 * len(plan.steps) + 1,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": len(timings.errors),
        "first_errors": timings.errors[:5],
    }


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of sorted `values`: ([1, 2, 3, 4], 50) -> 2."""
    if not values:
        return 0.0
    rank = math.ceil(percent / 100 * len(values))
    return values[min(max(rank, 1), len(values)) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description="Complete journeys against a running coform.")
    parser.add_argument("base_url")
    parser.add_argument("--start", default=f"/forms/{FORM_SLUG}")
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    import uvloop

    result = uvloop.run(run_load(args.base_url, args.start, args.respondents, args.seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
