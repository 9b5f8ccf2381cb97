"""Where a member of staff may go: the staff bar's navigation and the links on the staff home page.

Each place names a route, and whether someone sees its link is decided by the same ROUTE_ROLES
table that guards the route, so a link is never shown to someone the page would turn away::

    places_for(Staff(1, "b@example.org", "board"), "/staff/forms")
    -> [Place("/staff", "Home", ...), Place("/staff/forms", "Responses", ..., current=True)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from engine.accounts import Staff
from engine.definition import Form
from engine.web import author, emails, review, staff, summary

#: Every staff route with who may open it, from the table beside each module's routes.
ROUTE_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        **staff.ROUTE_ROLES,
        **review.ROUTE_ROLES,
        **summary.ROUTE_ROLES,
        **author.ROUTE_ROLES,
        **emails.ROUTE_ROLES,
    }
)


@dataclass(frozen=True)
class Place:
    """A page in the staff navigation: its address, its name, and what it is for."""

    href: str
    label: str
    purpose: str
    current: bool = False


#: The staff sections, in the order the bar shows them. Each href must be a route in ROUTE_ROLES.
PLACES: tuple[Place, ...] = (
    Place(staff.HOME_PATH, "Home", "What you can do, and the forms you work on."),
    Place("/staff/forms", "Responses", "Read responses to each form, see summaries and download exports."),
    Place("/staff/safeguarding", "Safeguarding", "Responses flagged as a safeguarding concern."),
    Place("/staff/author", "Edit forms", "Preview forms, see their versions and upload new ones."),
    Place("/staff/erasure", "Delete a response", "Find a response by its reference and delete it."),
    Place(emails.PATH, "Emails not sent", "Emails the mail server would not take, and sending them again."),
)

#: Links for one form on the home page: (route, link text), shown to those the route lets in.
FORM_LINKS: tuple[tuple[str, str], ...] = (
    ("/staff/forms/{slug}/responses", "Responses"),
    ("/staff/forms/{slug}/summary", "Summary"),
    ("/staff/forms/{slug}/versions", "Versions"),
    ("/staff/forms/{slug}/preview", "Preview"),
)


def may_open(person: Staff, route: str) -> bool:
    """Whether `person` may open `route` (a path as the router spells it, "/staff/forms/{slug}/summary")."""
    return staff.may(person, ROUTE_ROLES[route])


def places_for(person: Staff, route: str = "") -> list[Place]:
    """The places `person` may open; the one `route` belongs to is marked current."""
    section = _section_of(route)
    return [replace(place, current=place.href == section) for place in PLACES if may_open(person, place.href)]


def form_links(person: Staff, form: Form) -> list[tuple[str, str]]:
    """(href, text) of each page about `form` that `person` may open."""
    return [
        (route.replace("{slug}", form.slug), text) for route, text in FORM_LINKS if may_open(person, route)
    ]


def _section_of(route: str) -> str:
    """The place a route belongs to: "/staff/forms/{slug}/map" -> "/staff/author" (an author page)."""
    if route in author.ROUTE_ROLES:
        return "/staff/author"
    if route == staff.HOME_PATH:
        return route
    best = ""
    for place in PLACES:
        if place.href != staff.HOME_PATH and (route == place.href or route.startswith(place.href + "/")):
            best = max(best, place.href, key=len)
    return best
