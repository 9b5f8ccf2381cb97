"""The form map: every page of a form and every way out of it, as a model, an SVG drawing and text.

`build_map(form)` is pure: sections holding pages (with show_if, repeat and exit marks) and the
arrows between pages, each with the condition that sends a respondent along it. The author pages
draw it with `as_svg` beside a nested list made from the same model, so a screen-reader user gets
the same information; `coform map FORM` prints `as_text`:

    Section main
      page where_you_live: Do you live in Oxfordshire?
        if lives_in_oxfordshire = false, go to not_eligible
        otherwise, go to role_page
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Literal

from engine.definition import CHECK_ANSWERS, Form, Page

#: What an arrow is: a route the author wrote, or the way on when no route applies.
EdgeKind = Literal["route", "otherwise", "next"]


@dataclass(frozen=True)
class MapPage:
    id: str
    label: str
    show_if: str | None
    exit: bool
    #: What one item of a repeating ("add another") page is called; None if the page does not repeat.
    repeats: str | None
    questions: tuple[str, ...]


@dataclass(frozen=True)
class MapSection:
    id: str
    title: str | None
    show_if: str | None
    pages: tuple[MapPage, ...]


@dataclass(frozen=True)
class Edge:
    """An arrow from page `source` to page `target` (or CHECK_ANSWERS), taken when `condition` holds."""

    source: str
    target: str
    condition: str | None
    kind: EdgeKind


@dataclass(frozen=True)
class FormMap:
    slug: str
    title: str
    sections: tuple[MapSection, ...]
    edges: tuple[Edge, ...]

    @property
    def pages(self) -> tuple[MapPage, ...]:
        return tuple(page for section in self.sections for page in section.pages)

    def edges_from(self, page_id: str) -> tuple[Edge, ...]:
        return tuple(edge for edge in self.edges if edge.source == page_id)


def build_map(form: Form) -> FormMap:
    """The map of `form`: its sections and pages in order, and the arrows out of every page."""
    sections = tuple(
        MapSection(
            id=section.id,
            title=section.title.default if section.title else None,
            show_if=section.show_if.source if section.show_if else None,
            pages=tuple(_map_page(page) for page in section.pages),
        )
        for section in form.sections
    )
    edges: list[Edge] = []
    for index, page in enumerate(form.pages):
        if page.exit:
            continue
        always = False
        for route in page.routes:
            condition = route.when.source if route.when else None
            edges.append(Edge(page.id, route.goto, condition, "route"))
            always = always or condition is None
        if not always:
            # Without a route that applies, the journey moves on to the next page that is not an
            # exit page (exit pages are reached only by a route), or to check answers after the last.
            following = next((p.id for p in form.pages[index + 1 :] if not p.exit), CHECK_ANSWERS)
            edges.append(Edge(page.id, following, None, "otherwise" if page.routes else "next"))
    return FormMap(form.slug, form.title.default, sections, tuple(edges))


def _map_page(page: Page) -> MapPage:
    questions = tuple(q.label.default for q in page.answerable)
    if page.title is not None:
        label = page.title.default
    elif questions:
        label = questions[0]
    else:
        label = page.id
    return MapPage(
        id=page.id,
        label=label,
        show_if=page.show_if.source if page.show_if else None,
        exit=page.exit,
        repeats=page.repeat.item_name.default if page.repeat else None,
        questions=questions,
    )


def target_name(target: str) -> str:
    """How an arrow's target is written: a page id, or "check answers"."""
    return "check answers" if target == CHECK_ANSWERS else target


def edge_sentence(edge: Edge) -> str:
    """ "if age < 18, go to parent_page"; "otherwise, go to x"; "then go to x"."""
    where = target_name(edge.target)
    if edge.condition is not None:
        return f"if {edge.condition}, go to {where}"
    if edge.kind == "otherwise":
        return f"otherwise, go to {where}"
    return f"then go to {where}"


# --- as text ------------------------------------------------------------------------------------------


def as_text(form_map: FormMap) -> str:
    """The map for a terminal: sections, pages with their marks, and each page's arrows in order."""
    lines = [f"{form_map.title} ({form_map.slug})"]
    for section in form_map.sections:
        heading = f"Section {section.id}" + (f": {section.title}" if section.title else "")
        if section.show_if:
            heading += f" [shown if {section.show_if}]"
        lines.append(heading)
        for page in section.pages:
            marks = _marks(page)
            lines.append(f"  page {page.id}: {page.label}" + (f" [{'; '.join(marks)}]" if marks else ""))
            lines.extend(f"    {edge_sentence(edge)}" for edge in form_map.edges_from(page.id))
    lines.append("Check answers, then send")
    return "\n".join(lines) + "\n"


def _marks(page: MapPage) -> list[str]:
    marks = []
    if page.exit:
        marks.append("exit page: the journey ends here")
    if page.repeats:
        marks.append(f"repeats: add another {page.repeats}")
    if page.show_if:
        marks.append(f"shown if {page.show_if}")
    return marks


# --- as SVG --------------------------------------------------------------------------------------------

_BOX_WIDTH = 340
_BOX_HEIGHT = 56
_ROW = 96
_LEFT = 24
_TOP = 24
_SECTION_GAP = 40
_LANE = 28
_LABEL_CHARS = 40


def as_svg(form_map: FormMap, *, title_id: str = "form-map-title") -> str:
    """The map drawn top to bottom: one box per page in form order, grouped under section headings.

    "Then" arrows go straight down to the next box; routes and "otherwise" arrows curve out to the
    right, one lane each, labelled with their condition. Exit pages have a dashed border.
    """
    rows: dict[str, int] = {}
    parts: list[str] = []
    y = _TOP
    for section in form_map.sections:
        if section.title or len(form_map.sections) > 1:
            heading = section.title or section.id
            if section.show_if:
                heading += f" (shown if {section.show_if})"
            parts.append(_text(_LEFT + 32, y + 16, "form-map__section", _short(heading, 60)))
            y += _SECTION_GAP
        for page in section.pages:
            rows[page.id] = y
            parts.append(_box(page, y))
            y += _ROW
    rows[CHECK_ANSWERS] = y
    parts.append(
        _rect(y, "form-map__end") + _text(_LEFT + 12, y + 34, "form-map__label", "Check answers, then send")
    )
    # Conditions are written right of every curved arrow, so no arrow crosses a label.
    lanes = sum(1 for edge in form_map.edges if not _is_straight(edge, rows))
    labels_x = _LEFT + _BOX_WIDTH + 24 + lanes * _LANE
    lane = 0
    for edge in form_map.edges:
        parts.append(_arrow(edge, rows, lane, labels_x))
        if not _is_straight(edge, rows):
            lane += 1
    width = _LEFT + _BOX_WIDTH + 40 + lanes * _LANE + 320
    height = y + _BOX_HEIGHT + _TOP
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="form-map__svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{title_id}">'
        f'<title id="{title_id}">Map of {escape(form_map.title)}: '
        "the same map is written out as a list</title>"
        '<defs><marker id="form-map-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" {_INK}/></marker></defs>' + "".join(parts) + "</svg>"
    )


def _box(page: MapPage, y: int) -> str:
    kind = "form-map__page form-map__page--exit" if page.exit else "form-map__page"
    marks = []
    if page.repeats:
        marks.append(f"repeats: {page.repeats}")
    if page.show_if:
        marks.append(f"if {page.show_if}")
    if page.exit:
        marks.append("exit page")
    note = _short("; ".join(marks), _LABEL_CHARS + 8) if marks else ""
    return (
        _rect(y, kind)
        + _text(_LEFT + 12, y + 22, "form-map__label", _short(page.label, _LABEL_CHARS))
        + _text(_LEFT + 12, y + 44, "form-map__id", _short(page.id + (f" · {note}" if note else ""), 44))
    )


def _is_straight(edge: Edge, rows: dict[str, int]) -> bool:
    return (
        edge.condition is None
        and edge.kind == "next"
        and rows[edge.target] - rows[edge.source] <= _ROW + _SECTION_GAP
    )


def _arrow(edge: Edge, rows: dict[str, int], lane: int, labels_x: int) -> str:
    top, bottom = rows[edge.source], rows[edge.target]
    # Down the left edge, clear of the section headings written beside it.
    middle = _LEFT + 16
    if _is_straight(edge, rows):
        return (
            f'<path d="M {middle} {top + _BOX_HEIGHT} L {middle} {bottom}" class="form-map__arrow" '
            f'{_LINE_PAINT} marker-end="url(#form-map-arrow)"/>'
        )
    right = _LEFT + _BOX_WIDTH
    out = right + 24 + lane * _LANE
    start, end = top + _BOX_HEIGHT // 2, bottom + _BOX_HEIGHT // 2
    label = edge_sentence(edge).removesuffix(f", go to {target_name(edge.target)}")
    return (
        f'<path d="M {right} {start} C {out} {start}, {out} {end}, {right} {end}" '
        f'class="form-map__arrow form-map__arrow--{edge.kind}" {_LINE_PAINT} '
        'marker-end="url(#form-map-arrow)"/>'
        + _text(labels_x, (start + end) // 2 + lane % 2 * 16, "form-map__condition", _short(label, 48))
    )


#: Colours as presentation attributes, so the drawing needs no stylesheet (and no style attribute,
#: which the content security policy forbids): near-black on white passes WCAG contrast.
_INK = 'fill="#0b0c0c"'
_BOX_PAINT = 'fill="#ffffff" stroke="#0b0c0c" stroke-width="2"'
_LINE_PAINT = 'fill="none" stroke="#0b0c0c" stroke-width="2"'


def _rect(y: int, css_class: str) -> str:
    dashes = ' stroke-dasharray="8 4"' if "exit" in css_class else ""
    return (
        f'<rect x="{_LEFT}" y="{y}" width="{_BOX_WIDTH}" height="{_BOX_HEIGHT}" rx="4" class="{css_class}" '
        f"{_BOX_PAINT}{dashes}/>"
    )


def _text(x: int, y: int, css_class: str, content: str) -> str:
    size = "14" if css_class in ("form-map__id", "form-map__condition") else "16"
    weight = ' font-weight="700"' if css_class == "form-map__section" else ""
    return (
        f'<text x="{x}" y="{y}" class="{css_class}" {_INK} font-size="{size}"{weight} '
        f'font-family="Arial, sans-serif">{escape(content)}</text>'
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
