"""Every piece of user-facing wording the engine produces: error messages by code, and page furniture.

Error wording follows the GOV.UK Design System: it says what to do ("Enter a real date"), never
blames, and is the same in the error summary and beside the field. A form author can override
the wording of any code for one question with `errors:`; that override wins over this table.

Welsh ("cy") covers the furniture and the common errors; anything missing falls back to English,
so a missing translation shows English rather than breaking the page.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from engine.definition import Text

DEFAULT_LANGUAGE = "en"

#: Month names per language, January first; questions.py also accepts them as date input.
MONTH_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": (
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ),
        "cy": (
            "Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin",
            "Gorffennaf", "Awst", "Medi", "Hydref", "Tachwedd", "Rhagfyr",
        ),
    }
)  # fmt: skip

# Keys are an error code, or "<question type>.<code>" where a type needs its own wording.
# A key ending ".one" is used instead when the `count` parameter is 1 ("Select at least 1 option").
_ERRORS_EN: Mapping[str, str] = MappingProxyType(
    {
        "required": "Enter an answer",
        "invalid_characters": "Answer must only include letters, numbers, spaces and punctuation",
        "too_long": "Answer must be {max_length} characters or fewer",
        "too_short": "Answer must be {min_length} characters or more",
        "too_many_words": "Answer must be {max_words} words or fewer",
        "pattern": "Enter your answer in the correct format",
        # email, phone, postcode, name
        "email.required": "Enter an email address",
        "email_invalid": "Enter an email address in the correct format, like name@example.com",
        "phone.required": "Enter a phone number",
        "phone_invalid": "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192",
        "postcode.required": "Enter a postcode",
        "postcode_invalid": "Enter a UK postcode, like OX1 1ND",
        "name.required": "Enter a full name",
        # address
        "address.required": "Enter an address",
        "line1_required": "Enter address line 1, typically the building and street",
        "town_required": "Enter a town or city",
        "postcode_required": "Enter a postcode",
        # numbers and money
        "number.required": "Enter a whole number",
        "decimal.required": "Enter a number",
        "money.required": "Enter an amount of money",
        "not_a_number": "Enter a number, like 12 or 12.5",
        "number.not_a_number": "Enter a whole number, like 12",
        "money.not_a_number": "Enter an amount of money, like £12.50",
        "not_whole_number": "Enter a whole number, like 12",
        "too_many_decimal_places": "Enter an amount of money to the nearest penny, like £12.50",
        "too_small": "Answer must be {min} or more",
        "too_large": "Answer must be {max} or less",
        "out_of_range": "Answer must be between {min} and {max}",
        # dates
        "date.required": "Enter a date",
        "missing_day": "Date must include a day",
        "missing_month": "Date must include a month",
        "missing_year": "Date must include a year",
        "missing_day_month": "Date must include a day and month",
        "missing_day_year": "Date must include a day and year",
        "missing_month_year": "Date must include a month and year",
        "invalid_date": "Enter a real date",
        "year_four_digits": "Year must include 4 numbers",
        "not_in_past": "Date must be in the past",
        "not_in_future": "Date must be in the future",
        "too_early": "Date must be the same as or after {earliest}",
        "too_late": "Date must be the same as or before {latest}",
        # bank details
        "bank_account.required": "Enter the bank account details",
        "account_name_required": "Enter the name on the account",
        "sort_code_required": "Enter a sort code",
        "sort_code_invalid": "Sort code must be 6 digits, like 30 94 30",
        "account_number_required": "Enter an account number",
        "account_number_invalid": "Account number must be between 6 and 8 digits",
        # choices
        "yes_no.required": "Select yes or no",
        "radios.required": "Select an option",
        "dropdown.required": "Select an option",
        "scale.required": "Select an option",
        "checkboxes.required": "Select at least one option",
        "invalid_option": "Select an option from the list",
        "exclusive": "Select “{option}” on its own, or clear it and select other options",
        "too_few_selected": "Select at least {count} options",
        "too_few_selected.one": "Select at least 1 option",
        "too_many_selected": "Select no more than {count} options",
        "too_many_selected.one": "Select only 1 option",
        "other_required": "Enter your answer for “{option}”",
        "grid.required": "Select an answer for each statement",
        "grid_incomplete": "Select an answer for “{statement}”",
        "ranking.required": "Give a position to each item",
        "rank_missing": "Give a position to “{option}”",
        "rank_duplicate": "Give “{option}” a different position from the other items",
        "too_few_ranked": "Give a position to at least {count} items",
        "too_few_ranked.one": "Give a position to at least 1 item",
        "too_many_ranked": "Give a position to no more than {count} items",
        "too_many_ranked.one": "Give a position to only 1 item",
        "consent.required": "Select the box to confirm",
        # files (the web layer raises the file_* codes when it stores an upload)
        "file.required": "Upload a file",
        "file_invalid": "Upload the file again",
        "too_many_files": "Upload no more than {count} files",
        "too_many_files.one": "Upload only 1 file",
        "file_too_large": "The file must be smaller than {max_size}",
        "file_empty": "The selected file is empty",
        "file_type": "The selected file must be a {accept}",
    }
)

_ERRORS_CY: Mapping[str, str] = MappingProxyType(
    {
        "required": "Rhowch ateb",
        "too_long": "Rhaid i'r ateb fod yn {max_length} nod neu lai",
        "too_short": "Rhaid i'r ateb fod yn {min_length} nod neu fwy",
        "too_many_words": "Rhaid i'r ateb fod yn {max_words} gair neu lai",
        "email.required": "Rhowch gyfeiriad e-bost",
        "email_invalid": "Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com",
        "phone.required": "Rhowch rif ffôn",
        "postcode.required": "Rhowch god post",
        "postcode_invalid": "Rhowch god post yn y DU, fel OX1 1ND",
        "postcode_required": "Rhowch god post",
        "town_required": "Rhowch dref neu ddinas",
        "date.required": "Rhowch ddyddiad",
        "missing_day": "Rhaid i'r dyddiad gynnwys diwrnod",
        "missing_month": "Rhaid i'r dyddiad gynnwys mis",
        "missing_year": "Rhaid i'r dyddiad gynnwys blwyddyn",
        "invalid_date": "Rhowch ddyddiad go iawn",
        "year_four_digits": "Rhaid i'r flwyddyn gynnwys 4 rhif",
        "not_in_past": "Rhaid i'r dyddiad fod yn y gorffennol",
        "not_in_future": "Rhaid i'r dyddiad fod yn y dyfodol",
        "yes_no.required": "Dewiswch ie neu na",
        "radios.required": "Dewiswch opsiwn",
        "dropdown.required": "Dewiswch opsiwn",
        "scale.required": "Dewiswch opsiwn",
        "checkboxes.required": "Dewiswch o leiaf un opsiwn",
        "invalid_option": "Dewiswch opsiwn o'r rhestr",
        "consent.required": "Dewiswch y blwch i gadarnhau",
        "file.required": "Uwchlwythwch ffeil",
    }
)

_ERRORS: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": _ERRORS_EN, "cy": _ERRORS_CY})

_FURNITURE_EN: Mapping[str, str] = MappingProxyType(
    {
        "continue": "Continue",
        "back": "Back",
        "start_now": "Start now",
        "skip_to_main_content": "Skip to main content",
        "there_is_a_problem": "There is a problem",
        "error_prefix": "Error:",
        "title_error_prefix": "Error: {title}",
        "day": "Day",
        "month": "Month",
        "year": "Year",
        "date_hint": "For example, 27 3 2007",
        "optional": "(optional)",
        "yes": "Yes",
        "no": "No",
        "or": "or",
        "select_all_that_apply": "Select all that apply",
        "other_please_say": "Please say",
        "prefer_not_to_say": "Prefer not to say",
        "change": "Change",
        "check_your_answers": "Check your answers",
        "submit": "Submit",
        "save_and_come_back_later": "Save and come back later",
        "character_count_limit": "You can enter up to {count} characters",
        "characters_remaining": "You have {count} characters remaining",
        "characters_remaining.one": "You have 1 character remaining",
        "characters_too_many": "You have {count} characters too many",
        "characters_too_many.one": "You have 1 character too many",
        "word_count_limit": "You can enter up to {count} words",
        "words_remaining": "You have {count} words remaining",
        "words_remaining.one": "You have 1 word remaining",
        "words_too_many": "You have {count} words too many",
        "words_too_many.one": "You have 1 word too many",
        "exit_this_page": "Exit this page",
        "add_another": "Add another {item}",
        "remove": "Remove",
        "cancel": "Cancel",
        "address_line1": "Address line 1",
        "address_line2": "Address line 2 (optional)",
        "address_town": "Town or city",
        "address_postcode": "Postcode",
        "account_name": "Name on the account",
        "sort_code": "Sort code",
        "sort_code_hint": "Must be 6 digits long",
        "account_number": "Account number",
        "account_number_hint": "Must be between 6 and 8 digits long",
        "position": "Position",
        "ranking_hint": "Give each item a position, 1 for the most important",
        "files_uploaded": "{count} files uploaded",
        "files_uploaded.one": "1 file uploaded",
        "section_progress": "Section {number} of {total}",
        "not_yet_started": "Not yet started",
        "in_progress": "In progress",
        "completed": "Completed",
        "cannot_start_yet": "Cannot start yet",
        "your_reference_number": "Your reference number",
        "what_happens_next": "What happens next",
        "print_your_answers": "Print a copy of your answers",
        "language": "Language",
        "easy_read": "Easy read",
        "page_not_found": "Page not found",
        # The web pages' own furniture: headers, footers, error pages, previews.
        "service_name": "Council forms",
        "exit_this_page_hint": "Or press Shift 3 times to leave this page quickly",
        "select_option": "Select an option",
        "ranking_position": "Position for {item}",
        "consent_agree": "I understand and agree",
        "file_limits": "Each file must be smaller than {size}.",
        "file_types": "Files must be: {types}.",
        "warning": "Warning",
        "preview": "Preview",
        "preview_notice": "This is a preview of every page. You cannot send answers from here.",
        "preview_page": "Page {number}",
        "preview_exit_page": "This page ends the form.",
        "preview_repeats": "Asked once for each {item}, from {min} to {max} times.",
        "preview_questions": "Shown only to some people, depending on their earlier answers.",
        "help_now_title": "If you need help now",
        "easy_read_off": "Standard version",
        "accessibility": "Accessibility statement",
        "privacy": "Privacy",
        "forms_heading": "Forms you can fill in",
        "forms_none": "There are no forms to fill in at the moment.",
        "who_for": "Who it is for",
        "preview_link": "Preview all pages of {title}",
        "error_400_title": "Sorry, there is a problem with your request",
        "error_400_body": "Go back and try again. If it keeps happening, close your browser and start again.",
        "error_403_title": "Sorry, we could not accept that",
        "error_403_body": (
            "This can happen if the page was open for a long time or in another browser. "
            "Go back, refresh the page and try again."
        ),
        "error_404_title": "Page not found",
        "error_404_body": (
            "If you typed the web address, check it is correct. If you pasted it, check you copied all of it."
        ),
        "error_405_title": "Sorry, that did not work",
        "error_405_body": "This page cannot be used in that way. Go back and use the buttons on the page.",
        "error_413_title": "Sorry, what you sent was too big",
        "error_413_body": "Go back and try again with smaller or fewer files.",
        "error_500_title": "Sorry, there is a problem with the service",
        "error_500_body": "Try again later.",
        "error_home": "Go to the list of forms",
        # The respondent's journey (engine/web/respond.py).
        "start_continue": "Continue where you left off",
        "start_again": "Start again",
        "start_again_hint": "Starting again forgets the answers you have given so far.",
        "contact": "Contact",
        "csrf_notice": (
            "This page was open for too long, or was opened in another browser, so we could not save it. "
            "Check your answers on this page and press the button again."
        ),
        "csrf_notice_start": "This page was open for too long. Press the button again to start.",
        "csrf_notice_submit": (
            "This page was open for too long, so your answers were not sent yet. "
            "Check them and press the button again."
        ),
        "important": "Important",
        "form_closed_title": "This form has closed",
        "form_closed_body": "This form closed on {date}. You can no longer send answers.",
        "form_closed_draft": "Your saved answers cannot be sent now. Contact the team if you need help.",
        "form_not_open_title": "This form is not open yet",
        "form_not_open_body": "You can fill in this form from {date}.",
        "form_changed_title": "This form has changed since you started",
        "form_changed_body": (
            "We changed the questions after you started, so we cannot carry on with your saved answers. "
            "Sorry about that. You can start again."
        ),
        "saved_title": "Your answers have been saved",
        "saved_body": (
            "To come back to this form, use this link. It works for {days} days after your last change."
        ),
        "saved_link_label": "Your link to come back",
        "saved_warning": "Anyone with this link can see your answers. Keep it safe and do not share it.",
        "saved_continue": "Continue filling in the form",
        "resume_expired_title": "This link has expired or is not right",
        "resume_expired_body": (
            "Links to saved answers work for {days} days after the last change, and stop working once the "
            "answers are sent. Check you copied all of the link, or start the form again."
        ),
        "add_another_question": "Do you want to add another {item}?",
        "add_another_required": "Select yes if you want to add another {item}",
        "items_none": "You have not added any yet.",
        "items_max": "You cannot add more than {max}.",
        "too_few_items": "Add at least {count} {item}",
        "remove_item_question": "Are you sure you want to remove {item} {number}?",
        "remove_item_required": "Select yes if you want to remove this {item}",
        "not_answered": "Not answered",
        "send_heading": "Now send your answers",
        "send_declaration": "By sending, you confirm that your answers are correct, as far as you know.",
        "send": "Send",
        "sent_title": "Your answers have been sent",
        "answers_copy_title": "A copy of your answers",
        "answers_copy_intro": "Sent on {date}. Your reference number is {reference}.",
        "print_this_page": "Print this page",
        "task_list_intro": "Fill in each section. You can come back to a section to change it.",
        "check_answers_task": "Check your answers and send",
        "answers_saved": "Your answers on this page have been saved",
    }
)

_FURNITURE_CY: Mapping[str, str] = MappingProxyType(
    {
        "continue": "Parhau",
        "back": "Yn ôl",
        "start_now": "Dechrau nawr",
        "skip_to_main_content": "Neidio i'r prif gynnwys",
        "there_is_a_problem": "Mae problem wedi codi",
        "error_prefix": "Gwall:",
        "title_error_prefix": "Gwall: {title}",
        "day": "Diwrnod",
        "month": "Mis",
        "year": "Blwyddyn",
        "date_hint": "Er enghraifft, 27 3 2007",
        "optional": "(dewisol)",
        "yes": "Ie",
        "no": "Na",
        "or": "neu",
        "select_all_that_apply": "Dewiswch bob un sy'n berthnasol",
        "other_please_say": "Rhowch fanylion",
        "prefer_not_to_say": "Mae'n well gennyf beidio â dweud",
        "change": "Newid",
        "check_your_answers": "Gwirio eich atebion",
        "submit": "Cyflwyno",
        "save_and_come_back_later": "Cadw a dod yn ôl yn nes ymlaen",
        "character_count_limit": "Gallwch ddefnyddio hyd at {count} nod",
        "characters_remaining": "Mae gennych {count} nod yn weddill",
        "characters_too_many": "Mae gennych {count} nod yn ormod",
        "word_count_limit": "Gallwch ddefnyddio hyd at {count} gair",
        "words_remaining": "Mae gennych {count} gair yn weddill",
        "words_too_many": "Mae gennych {count} gair yn ormod",
        "exit_this_page": "Gadael y dudalen hon",
        "add_another": "Ychwanegu {item} arall",
        "remove": "Dileu",
        "cancel": "Canslo",
        "address_line1": "Llinell gyntaf y cyfeiriad",
        "address_line2": "Ail linell y cyfeiriad (dewisol)",
        "address_town": "Tref neu ddinas",
        "address_postcode": "Cod post",
        "account_name": "Yr enw ar y cyfrif",
        "sort_code": "Cod didoli",
        "account_number": "Rhif y cyfrif",
        "position": "Safle",
        "section_progress": "Adran {number} o {total}",
        "not_yet_started": "Heb ddechrau eto",
        "in_progress": "Ar waith",
        "completed": "Wedi'i gwblhau",
        "cannot_start_yet": "Methu dechrau eto",
        "your_reference_number": "Eich cyfeirnod",
        "what_happens_next": "Beth sy'n digwydd nesaf",
        "print_your_answers": "Argraffu copi o'ch atebion",
        "language": "Iaith",
        "page_not_found": "Heb ddod o hyd i'r dudalen",
        # The web pages' furniture below was translated without a Welsh speaker's check: ask one to
        # review it (mutations after 'o', 'am' and numbers especially) before a Welsh form goes live.
        "service_name": "Ffurflenni'r cyngor",
        "exit_this_page_hint": "Neu pwyswch Shift 3 gwaith i adael y dudalen hon yn gyflym",
        "select_option": "Dewiswch opsiwn",
        "ranking_position": "Safle ar gyfer {item}",
        "consent_agree": "Rwy'n deall ac yn cytuno",
        "file_limits": "Rhaid i bob ffeil fod yn llai na {size}.",
        "file_types": "Rhaid i ffeiliau fod yn: {types}.",
        "warning": "Rhybudd",
        "preview": "Rhagolwg",
        "preview_notice": "Dyma ragolwg o bob tudalen. Ni allwch anfon atebion o'r fan hon.",
        "preview_page": "Tudalen {number}",
        "preview_exit_page": "Mae'r dudalen hon yn dod â'r ffurflen i ben.",
        "preview_repeats": "Gofynnir unwaith am bob {item}, o {min} i {max} gwaith.",
        "preview_questions": "Dim ond rhai pobl sy'n gweld hwn, yn dibynnu ar eu hatebion cynharach.",
        "help_now_title": "Os oes angen help arnoch nawr",
        "easy_read_off": "Fersiwn safonol",
        "accessibility": "Datganiad hygyrchedd",
        "privacy": "Preifatrwydd",
        "forms_heading": "Ffurflenni y gallwch eu llenwi",
        "forms_none": "Nid oes ffurflenni i'w llenwi ar hyn o bryd.",
        "who_for": "Ar gyfer pwy y mae",
        "preview_link": "Gweld rhagolwg o bob tudalen yn {title}",
        "error_400_title": "Mae'n ddrwg gennym, mae problem gyda'ch cais",
        "error_400_body": (
            "Ewch yn ôl a rhowch gynnig arall arni. Os yw'n dal i ddigwydd, caewch eich porwr a dechrau eto."
        ),
        "error_403_title": "Mae'n ddrwg gennym, nid oeddem yn gallu derbyn hynny",
        "error_403_body": (
            "Gall hyn ddigwydd os oedd y dudalen ar agor am amser hir neu mewn porwr arall. Ewch yn ôl, "
            "adnewyddwch y dudalen a rhowch gynnig arall arni."
        ),
        "error_404_title": "Heb ddod o hyd i'r dudalen",
        "error_404_body": (
            "Os gwnaethoch deipio'r cyfeiriad gwe, gwiriwch ei fod yn gywir. Os gwnaethoch ei gludo, "
            "gwiriwch eich bod wedi copïo'r cyfeiriad cyfan."
        ),
        "error_405_title": "Mae'n ddrwg gennym, ni weithiodd hynny",
        "error_405_body": (
            "Ni ellir defnyddio'r dudalen hon fel hynny. Ewch yn ôl a defnyddiwch y botymau ar y dudalen."
        ),
        "error_413_title": "Mae'n ddrwg gennym, roedd yr hyn a anfonoch yn rhy fawr",
        "error_413_body": "Ewch yn ôl a rhowch gynnig arall arni gyda ffeiliau llai, neu lai o ffeiliau.",
        "error_500_title": "Mae'n ddrwg gennym, mae problem gyda'r gwasanaeth",
        "error_500_body": "Rhowch gynnig arall arni yn nes ymlaen.",
        "error_home": "Mynd i'r rhestr o ffurflenni",
        "start_continue": "Parhau o'r man lle gwnaethoch adael",
        "start_again": "Dechrau eto",
        "start_again_hint": "Bydd dechrau eto yn anghofio'r atebion rydych wedi'u rhoi hyd yma.",
        "contact": "Cysylltu",
        "csrf_notice": (
            "Roedd y dudalen hon ar agor am ormod o amser, neu cafodd ei hagor mewn porwr arall, felly "
            "nid oeddem yn gallu ei chadw. Gwiriwch eich atebion ar y dudalen hon a phwyswch y botwm eto."
        ),
        "csrf_notice_start": "Roedd y dudalen hon ar agor am ormod o amser. Pwyswch y botwm eto i ddechrau.",
        "csrf_notice_submit": (
            "Roedd y dudalen hon ar agor am ormod o amser, felly nid yw eich atebion wedi'u hanfon eto. "
            "Gwiriwch nhw a phwyswch y botwm eto."
        ),
        "important": "Pwysig",
        "form_closed_title": "Mae'r ffurflen hon wedi cau",
        "form_closed_body": "Caeodd y ffurflen hon ar {date}. Ni allwch anfon atebion mwyach.",
        "form_closed_draft": (
            "Ni ellir anfon eich atebion sydd wedi'u cadw nawr. Cysylltwch â'r tîm os oes angen help arnoch."
        ),
        "form_not_open_title": "Nid yw'r ffurflen hon ar agor eto",
        "form_not_open_body": "Gallwch lenwi'r ffurflen hon o {date} ymlaen.",
        "form_changed_title": "Mae'r ffurflen hon wedi newid ers i chi ddechrau",
        "form_changed_body": (
            "Gwnaethom newid y cwestiynau ar ôl i chi ddechrau, felly ni allwn barhau â'ch atebion sydd "
            "wedi'u cadw. Mae'n ddrwg gennym am hynny. Gallwch ddechrau eto."
        ),
        "saved_title": "Mae eich atebion wedi'u cadw",
        "saved_body": (
            "I ddod yn ôl i'r ffurflen hon, defnyddiwch y ddolen hon. Mae'n gweithio am {days} diwrnod ar "
            "ôl eich newid diwethaf."
        ),
        "saved_link_label": "Eich dolen i ddod yn ôl",
        "saved_warning": (
            "Gall unrhyw un sydd â'r ddolen hon weld eich atebion. Cadwch hi'n ddiogel a pheidiwch â'i "
            "rhannu."
        ),
        "saved_continue": "Parhau i lenwi'r ffurflen",
        "resume_expired_title": "Mae'r ddolen hon wedi dod i ben neu nid yw'n gywir",
        "resume_expired_body": (
            "Mae dolenni i atebion sydd wedi'u cadw yn gweithio am {days} diwrnod ar ôl y newid diwethaf, "
            "ac yn peidio â gweithio unwaith y bydd yr atebion wedi'u hanfon. Gwiriwch eich bod wedi "
            "copïo'r ddolen gyfan, neu dechreuwch y ffurflen eto."
        ),
        "add_another_question": "Ydych chi eisiau ychwanegu {item} arall?",
        "add_another_required": "Dewiswch 'ie' os ydych chi eisiau ychwanegu {item} arall",
        "items_none": "Nid ydych wedi ychwanegu unrhyw rai eto.",
        "items_max": "Ni allwch ychwanegu mwy na {max}.",
        "too_few_items": "Ychwanegwch o leiaf {count} {item}",
        "remove_item_question": "Ydych chi'n siŵr eich bod eisiau dileu {item} {number}?",
        "remove_item_required": "Dewiswch 'ie' os ydych chi eisiau dileu'r {item}",
        "not_answered": "Heb ei ateb",
        "send_heading": "Nawr anfonwch eich atebion",
        "send_declaration": (
            "Drwy anfon, rydych yn cadarnhau bod eich atebion yn gywir, hyd eithaf eich gwybodaeth."
        ),
        "send": "Anfon",
        "sent_title": "Mae eich atebion wedi'u hanfon",
        "answers_copy_title": "Copi o'ch atebion",
        "answers_copy_intro": "Anfonwyd ar {date}. Eich cyfeirnod yw {reference}.",
        "print_this_page": "Argraffu'r dudalen hon",
        "task_list_intro": "Llenwch bob adran. Gallwch ddod yn ôl i adran i'w newid.",
        "check_answers_task": "Gwirio eich atebion ac anfon",
        "answers_saved": "Mae eich atebion ar y dudalen hon wedi'u cadw",
    }
)

_FURNITURE: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": _FURNITURE_EN, "cy": _FURNITURE_CY})

#: Every error code with wording (type-specific keys reduced to their code).
ERROR_CODES: frozenset[str] = frozenset(key.removesuffix(".one").rpartition(".")[2] for key in _ERRORS_EN)


def error_message(
    code: str, question_type: str | None = None, language: str = DEFAULT_LANGUAGE, **params: object
) -> str:
    """The wording for error `code`, e.g. error_message("too_long", max_length=200) ->
    "Answer must be 200 characters or fewer". Raises KeyError for a code with no wording."""
    keys = [f"{question_type}.{code}", code] if question_type else [code]
    template = _lookup(_ERRORS, keys, language, params)
    if template is None:
        raise KeyError(f"no wording for error code {code!r}")
    return template.format_map(_formatted(params, language))


def furniture(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Page furniture, e.g. furniture("add_another", "cy", item="taith") -> "Ychwanegu taith arall"."""
    if not params:
        return _plain_furniture(key, language)
    return _furniture(key, language, params)


@functools.lru_cache(maxsize=1024)
def _plain_furniture(key: str, language: str) -> str:
    # A page asks for a dozen of these (Continue, Back, ...): the same few words every time.
    return _furniture(key, language, {})


def _furniture(key: str, language: str, params: Mapping[str, object]) -> str:
    template = _lookup(_FURNITURE, [key], language, params)
    if template is None:
        raise KeyError(f"no furniture wording for {key!r}")
    return template.format_map(_formatted(params, language))


def format_date(value: dt.date, language: str = DEFAULT_LANGUAGE) -> str:
    """A date as people write it: 2007-03-27 -> "27 March 2007" (Welsh: "27 Mawrth 2007")."""
    months = MONTH_NAMES.get(language, MONTH_NAMES[DEFAULT_LANGUAGE])
    return f"{value.day} {months[value.month - 1]} {value.year}"


def format_money(value: Decimal) -> str:
    """Pounds and pence with thousands separators: Decimal("1200.5") -> "£1,200.50"."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def _lookup(
    table: Mapping[str, Mapping[str, str]], keys: list[str], language: str, params: Mapping[str, object]
) -> str | None:
    # A singular variant applies only to a count of exactly 1; English has no other plural forms
    # and the Welsh table writes the noun in the singular after a number, as Welsh does.
    singular = params.get("count") == 1
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        wording = table.get(lang, {})
        for key in keys:
            if singular and f"{key}.one" in wording:
                return wording[f"{key}.one"]
            if key in wording:
                return wording[key]
    return None


def _formatted(params: Mapping[str, object], language: str) -> dict[str, object]:
    return {name: _format_param(value, language) for name, value in params.items()}


def _format_param(value: object, language: str) -> object:
    if isinstance(value, dt.date):
        return format_date(value, language)
    if isinstance(value, Text):
        return value.get(language)
    return value
