"""The respondent's journey: start, one page at a time, add another, check answers, submit.

Everything works with plain HTML forms (POST, then a 303 redirect, then GET). Which page may be
shown, and where Continue and Back lead, is always `engine.journey`'s answer from the stored
answers; nothing about the route is kept in the session. The draft is found through a signed
cookie holding its resume token (`engine.web.drafts`), so the address bar never carries it.

URLs, for a form at /forms/<slug>:
    /forms/<slug>                       start page (POST .../start begins or continues a draft)
    /forms/<slug>/<page>                a question page; a repeating page lists its items
    /forms/<slug>/<page>/items/new      add an item; .../items/<n> change it; .../items/<n>/remove
    /forms/<slug>/<page>/autosave       (JavaScript) save what is valid as answers change
    /forms/<slug>/<page>/files/<id>/remove   remove an uploaded file (POST)
    /forms/<slug>/tasks                 the task list of a task-list form
    /forms/<slug>/check-answers         check answers; POST .../submit sends them
    /forms/<slug>/confirmation          the reference; .../confirmation/answers a copy to print
    /forms/<slug>/save                  "save and come back later": the link to come back (POST: email it)
    /resume/<token>                     exchanged for the cookie, then redirected at once
    /resume/email/<secret>              an emailed, single-use link: a button (POST) exchanges it
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from engine.definition import RESERVED_PAGE_IDS
from engine.web.items import answer_item, remove_item, show_item, show_remove_item
from engine.web.questions import answer_page, autosave, remove_file, show_page
from engine.web.saves import email_resume_link, resume, resume_from_email, saved_page
from engine.web.starts import begin, start_page
from engine.web.submissions import answers_copy, check_answers, confirmation, submit
from engine.web.tasks import task_list_page


class PageIdConvertor(Convertor[str]):
    """A page id in a URL: snake_case, never one of RESERVED_PAGE_IDS, so "/forms/x/preview" is
    always the preview (and a POST to it a 405), never a page called "preview"."""

    regex = "(?!(?:" + "|".join(sorted(RESERVED_PAGE_IDS)) + ")(?:/|$))[a-z][a-z0-9_]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("page_id", PageIdConvertor())


_PAGE = "/forms/{slug}/{page_id:page_id}"
_ITEM = _PAGE + "/items/{number:int}"

routes = [
    Route("/resume/email/{secret}", resume_from_email, methods=["GET", "POST"], name="email_link"),
    Route("/resume/{token}", resume, name="resume"),
    Route("/forms/{slug}", start_page, name="start_page"),
    Route("/forms/{slug}/start", begin, methods=["POST"], name="begin"),
    Route("/forms/{slug}/tasks", task_list_page, name="task_list"),
    Route("/forms/{slug}/check-answers", check_answers, name="check_answers"),
    Route("/forms/{slug}/submit", submit, methods=["POST"], name="submit"),
    Route("/forms/{slug}/confirmation", confirmation, name="confirmation"),
    Route("/forms/{slug}/confirmation/answers", answers_copy, name="answers_copy"),
    Route("/forms/{slug}/save", saved_page, name="saved"),
    Route("/forms/{slug}/save", email_resume_link, methods=["POST"], name="email_resume_link"),
    Route(_PAGE, show_page, name="page"),
    Route(_PAGE, answer_page, methods=["POST"], name="answer_page"),
    Route(_PAGE + "/autosave", autosave, methods=["POST"], name="autosave"),
    Route(_PAGE + "/files/{file_id}/remove", remove_file, methods=["POST"], name="remove_file"),
    Route(_PAGE + "/items/new", show_item, name="new_item"),
    Route(_PAGE + "/items/new", answer_item, methods=["POST"], name="add_item"),
    Route(_ITEM, show_item, name="item"),
    Route(_ITEM, answer_item, methods=["POST"], name="change_item"),
    Route(_ITEM + "/remove", show_remove_item, name="remove_item"),
    Route(_ITEM + "/remove", remove_item, methods=["POST"], name="removed"),
]
