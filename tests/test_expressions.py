"""The show-if / routing expression language: parsing, author-facing errors, evaluation, checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expressions import (
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    And,
    Compare,
    EvaluationContext,
    Expression,
    ExpressionError,
    Literal,
    MappingScope,
    Name,
    Not,
    Or,
    ValueKind,
    check,
    parse,
    today_in_london,
)

K = ValueKind
TODAY = dt.date(2026, 11, 26)

#: The earlier questions of an imaginary co-production board application, as check() sees them.
SCOPE = MappingScope(
    {
        "role": K.CHOICE,
        "activities": K.CHOICES,
        "email": K.TEXT,
        "postcode": K.TEXT,
        "children": K.NUMBER,
        "amount": K.NUMBER,
        "date_of_birth": K.DATE,
        "meeting_date": K.DATE,
        "lives_in_oxfordshire": K.BOOLEAN,
        "journeys": K.GROUP,
        "address": K.STRUCTURED,
        "satisfaction": K.GRID,
        "evidence": K.FILES,
        "intro": K.NONE,
    },
    {
        "role": frozenset({"carer", "young_person", "professional"}),
        "activities": frozenset({"art", "sport", "music"}),
    },
)


def evaluate(source: str, **answers: Any) -> bool:
    return parse(source).evaluate(EvaluationContext(answers, TODAY))


def error_of(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    return caught.value


# --- Parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("selected(role, 'carer') and not answered(email)", {"role", "email"}),
        ("age(date_of_birth) >= 14", {"date_of_birth"}),
        ("count(journeys) > 0", {"journeys"}),
        ("meeting_date < today()", {"meeting_date"}),
        ("length(ideas) > 0", {"ideas"}),
        ("matches(postcode, '^OX')", {"postcode"}),
        ("count_selected(activities) >= 2", {"activities"}),
        ("amount <= 100", {"amount"}),
        ("lives_in_oxfordshire = true", {"lives_in_oxfordshire"}),
        ("meeting_date >= date('2026-01-31')", {"meeting_date"}),
        ("true", set()),
    ],
)
def test_every_example_in_the_design_parses_and_reports_the_names_it_reads(
    source: str, names: set[str]
) -> None:
    assert parse(source).references == names


def test_and_binds_tighter_than_or() -> None:
    root = parse("a = 1 or b = 2 and c = 3").root
    assert isinstance(root, Or)
    assert isinstance(root.operands[1], And)
    assert [n.left for n in root.operands[1].operands if isinstance(n, Compare)] == [
        Name("b", 9),
        Name("c", 19),
    ]


def test_not_applies_to_the_whole_comparison_after_it() -> None:
    root = parse("not amount > 5").root
    assert isinstance(root, Not)
    assert root.operand == Compare(">", Name("amount", 4), Literal(Decimal(5), 13), 11)


def test_brackets_group_before_and() -> None:
    root = parse("(a = 1 or b = 2) and c = 3").root
    assert isinstance(root, And)
    assert isinstance(root.operands[0], Or)


def test_a_long_chain_of_and_stays_one_flat_node() -> None:
    root = parse(" and ".join(["a"] * 300)).root
    assert isinstance(root, And)
    assert len(root.operands) == 300


def test_literals_become_python_values_once_when_parsed() -> None:
    root = parse("""a = "double" or b = 12.50 or c = -3 or d = date('2026-01-31') or e = false""").root
    assert isinstance(root, Or)
    values = [n.right.value for n in root.operands if isinstance(n, Compare) and isinstance(n.right, Literal)]
    assert values == ["double", Decimal("12.50"), Decimal(-3), dt.date(2026, 1, 31), False]


def test_a_question_may_be_named_like_a_function_when_it_is_not_called() -> None:
    assert parse("date = today()").references == {"date"}


def test_expressions_built_directly_parse_themselves_and_compare_by_source() -> None:
    assert Expression("amount > 1") == parse("amount > 1")
    assert Expression("amount > 1").root == Compare(">", Name("amount", 0), Literal(Decimal(1), 9), 7)


def test_newlines_from_yaml_block_text_are_whitespace() -> None:
    assert parse("answered(email)\n  and amount > 1\n").references == {"email", "amount"}


# --- Syntax errors: what is wrong, where, and how to fix it --------------------------------


@pytest.mark.parametrize(
    ("source", "offset", "code", "message", "fix"),
    [
        ("amount == 1", 7, "bad_operator", "'==' is not an operator here", "use a single '=' to compare"),
        ("a = 1 && b = 2", 6, "bad_operator", "'&&' is not an operator here", "use 'and'"),
        ("a = 1 || b = 2", 6, "bad_operator", "'||' is not an operator here", "use 'or'"),
        ("a <> 1", 2, "bad_operator", "'<>' is not an operator here", "use '!=' for 'is not'"),
        ("a => 1", 2, "bad_operator", "'=>' is not an operator here", "use '>='"),
        ("!answered(a)", 0, "bad_operator", "'!' is not an operator here", None),
        (
            "amount + 1 > 2",
            7,
            "bad_operator",
            "'+' is not an operator here: expressions compare answers but do not calculate",
            "compare with a fixed number, e.g. amount > 100",
        ),
        ("amount - 1 > 2", 7, "bad_operator", None, "compare with a fixed number, e.g. amount > 100"),
        (
            "selcted(role, 'carer')",
            0,
            "unknown_function",
            "unknown function 'selcted'",
            "did you mean selected?",
        ),
        ("shout(role)", 0, "unknown_function", "unknown function 'shout'", None),
        ("role = 'carer", 7, "unclosed_string", "this text in quotes is never closed", None),
        ('role = "carer', 7, "unclosed_string", None, 'add a closing " at the end of the text'),
        ("a = 1 and (b = 2 or c = 3", 10, "unclosed_bracket", "this '(' is never closed", None),
        ("answered(email", 8, "unclosed_bracket", "the '(' of answered( is never closed", None),
        ("a = 1)", 5, "unmatched_bracket", "this ')' has no matching '('", None),
        (
            "selected(role)",
            13,
            "argument_count",
            "selected() is missing its text in quotes",
            "write it as selected(question, 'value')",
        ),
        ("count() > 1", 6, "argument_count", "count() is missing its question id", None),
        ("answered(a, b)", 10, "argument_count", "too many arguments: answered() takes one argument", None),
        ("today(1) > a", 6, "argument_count", "too many arguments: today() takes no arguments", None),
        ("selected(role, carer)", 15, "bad_argument", None, "put it in quotes: 'carer'"),
        ("selected('role', 'carer')", 9, "bad_argument", None, "remove the quotes: role"),
        ("selected(role 'carer')", 14, "bad_argument", None, "write it as selected(question, 'value')"),
        ("answered(a) b", 12, "trailing_text", "unexpected 'b' after a complete condition", None),
        ("role = 'carer' 'x'", 15, "trailing_text", None, None),
        ("", 0, "empty", "the expression is empty", "write a condition, for example answered(email)"),
        ("   ", 0, "empty", "the expression is empty", None),
        ("role = ", 7, "incomplete", "the expression ends too early after '='", None),
        ("answered(a) and", 15, "incomplete", "the expression ends too early after 'and'", None),
        ("and answered(a)", 0, "incomplete", "'and' needs a condition before it", None),
        ("a < b < c", 6, "chained_comparison", "'<' cannot follow a comparison", None),
        ("count(journeys)", 0, "not_a_condition", "count(journeys) gives a number, not a condition", None),
        ("today()", 0, "not_a_condition", "today() gives a date, not a condition", None),
        ("'carer'", 0, "not_a_condition", "'carer' is a value, not a condition", None),
        ("not 12", 4, "not_a_condition", "12 is a value, not a condition", None),
        (
            "Role = 'carer'",
            0,
            "bad_name",
            "'Role' is not a valid name",
            "question ids are lower case: write role",
        ),
        ("a = 1 AND b = 2", 6, "bad_name", "'AND' is not a valid name", "write 'and' in lower case"),
        ("amount > 1,000", 9, "bad_number", "numbers are written without commas", "write 1000, not 1,000"),
        ("amount > 12.", 9, "bad_number", "'12.' is not a complete number", None),
        ("amount > £5", 9, "bad_character", "'£' cannot be used in an expression", None),
        ("role = ‘carer’", 7, "bad_character", "'‘' is a curly quote", None),
        ("role.name = 'x'", 4, "bad_character", "'.' cannot be used here", None),
        ("a = 1; b = 2", 5, "bad_character", "';' cannot be used in an expression", None),
        ("meeting_date > date('2026-02-30')", 20, "bad_date", "'2026-02-30' is not a date", None),
        ("meeting_date > date('31/01/2026')", 20, "bad_date", None, None),
        ("matches(postcode, '(?<=O)X')", 18, "bad_pattern", None, None),
        ("matches(postcode, '(')", 18, "bad_pattern", "the pattern '(' cannot be used: missing ): (", None),
    ],
)
def test_a_syntax_error_says_where_what_and_how_to_fix_it(
    source: str, offset: int, code: str, message: str | None, fix: str | None
) -> None:
    error = error_of(source)
    assert (error.code, error.offset) == (code, offset)
    if message is not None:
        assert error.message == message
    if fix is not None:
        assert error.fix == fix
    assert error.fix


def test_a_pattern_longer_than_the_limit_is_refused_when_parsed() -> None:
    error = error_of(f"matches(postcode, '{'a' * 501}')")
    assert (error.code, error.offset) == ("bad_pattern", 18)
    assert error.message == "the pattern is too long (501 characters; the limit is 500)"


def test_an_overlong_expression_is_refused_before_it_is_tokenized() -> None:
    error = error_of("a = 1 or " * 300 + "a = 1")
    assert (error.code, error.offset) == ("too_long", MAX_SOURCE_LENGTH)
    assert error.message == "the expression is too long (2705 characters; the limit is 2000)"


@pytest.mark.parametrize(
    "source",
    [
        "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
        "not " * (MAX_DEPTH + 1) + "a",
        "(" * 900,
    ],
)
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(source: str) -> None:
    error = error_of(source)
    assert error.code == "too_deep"
    assert error.offset == (MAX_DEPTH * 4 if source.startswith("not") else MAX_DEPTH)


def test_nesting_up_to_the_limit_is_allowed() -> None:
    source = "(" * MAX_DEPTH + "a = 1" + ")" * MAX_DEPTH
    assert evaluate(source, a=1) is True


# --- Evaluation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        # TEXT and CHOICE: str
        ("email = 'a@example.org'", {"email": "a@example.org"}, True),
        ("role != 'carer'", {"role": "young_person"}, True),
        ("role = 'carer'", {"role": "Carer"}, False),
        # NUMBER: int and Decimal compare as numbers
        ("children >= 2", {"children": 2}, True),
        ("amount <= 100", {"amount": Decimal("100.00")}, True),
        ("amount = 12.5", {"amount": Decimal("12.50")}, True),
        ("amount > children", {"amount": Decimal("2.01"), "children": 2}, True),
        ("amount < -1", {"amount": Decimal("-1.5")}, True),
        # DATE
        ("meeting_date < today()", {"meeting_date": dt.date(2026, 11, 25)}, True),
        ("meeting_date < today()", {"meeting_date": TODAY}, False),
        ("meeting_date = date('2026-11-26')", {"meeting_date": TODAY}, True),
        # BOOLEAN: yes_no and consent
        ("lives_in_oxfordshire = true", {"lives_in_oxfordshire": True}, True),
        ("lives_in_oxfordshire = false", {"lives_in_oxfordshire": True}, False),
        ("lives_in_oxfordshire", {"lives_in_oxfordshire": True}, True),
        ("not lives_in_oxfordshire", {"lives_in_oxfordshire": False}, True),
        # CHOICE and CHOICES through selected() and count_selected()
        ("selected(role, 'carer')", {"role": "carer"}, True),
        ("selected(activities, 'art')", {"activities": ("sport", "art")}, True),
        ("selected(activities, 'music')", {"activities": ("sport", "art")}, False),
        ("count_selected(activities) >= 2", {"activities": ("sport", "art")}, True),
        ("count_selected(role) = 1", {"role": "carer"}, True),
        # TEXT through length() and matches()
        ("length(email) > 3", {"email": "a@bc"}, True),
        ("matches(postcode, '^OX')", {"postcode": "OX1 1AA"}, True),
        ("matches(postcode, '^OX')", {"postcode": "SN7 7AA"}, False),
        (r"matches(postcode, '\d\s')", {"postcode": "OX1 1AA"}, True),
        # GRID, STRUCTURED, FILES: answered() only
        ("answered(satisfaction)", {"satisfaction": {"food": "good"}}, True),
        ("answered(address)", {"address": {"line1": "1 High St", "town": "Oxford"}}, True),
        ("answered(evidence)", {"evidence": ("f1",)}, True),
        ("answered(evidence)", {"evidence": ()}, False),
        # GROUP through count()
        ("count(journeys) = 2", {"journeys": ({"from": "a"}, {"from": "b"})}, True),
        # Unanswered: comparisons are false, even `!=`; counts are zero
        ("role = 'carer'", {}, False),
        ("role != 'carer'", {}, False),
        ("amount < 5", {}, False),
        ("not amount < 5", {}, True),
        ("answered(email)", {}, False),
        ("answered(email)", {"email": ""}, False),
        ("selected(activities, 'art')", {}, False),
        ("count_selected(activities) = 0", {}, True),
        ("count(journeys) = 0", {}, True),
        ("length(email) = 0", {}, True),
        ("matches(postcode, '.*')", {}, False),
        ("age(date_of_birth) < 200", {}, False),
        ("lives_in_oxfordshire", {}, False),
        # Wrong types never compare
        ("amount = 1", {"amount": "1"}, False),
        ("amount != 1", {"amount": "1"}, False),
        ("lives_in_oxfordshire = 1", {"lives_in_oxfordshire": True}, False),
        ("children = 1", {"children": True}, False),
        ("role < 'z'", {"role": "carer"}, False),
        ("amount > 1", {"amount": Decimal("NaN")}, False),
        ("amount = 1", {"amount": Decimal("sNaN")}, False),
        ("meeting_date < today()", {"meeting_date": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, False),
        ("selected(role, 'carer')", {"role": ["carer"]}, True),
        ("activities = 'art'", {"activities": ("art",)}, False),
        ("length(amount) > 0", {"amount": 5}, False),
    ],
)
def test_evaluation_follows_the_answer_values_of_each_kind(
    source: str, answers: Mapping[str, Any], expected: bool
) -> None:
    assert evaluate(source, **answers) is expected


@pytest.mark.parametrize(
    ("born", "age"),
    [
        (dt.date(2012, 11, 26), 14),
        (dt.date(2012, 11, 27), 13),
        (dt.date(2012, 12, 1), 13),
        (dt.date(2026, 11, 26), 0),
    ],
)
def test_age_is_whole_years_up_to_today(born: dt.date, age: int) -> None:
    assert evaluate(f"age(date_of_birth) = {age}", date_of_birth=born)


def test_someone_born_on_29_february_turns_a_year_older_on_1_march() -> None:
    expression = parse("age(date_of_birth) >= 18")
    born = {"date_of_birth": dt.date(2008, 2, 29)}
    assert not expression.evaluate(EvaluationContext(born, dt.date(2026, 2, 28)))
    assert expression.evaluate(EvaluationContext(born, dt.date(2026, 3, 1)))


def test_or_and_not_combine_conditions() -> None:
    source = "selected(role, 'carer') and not answered(email) or amount > 100"
    assert evaluate(source, role="carer")
    assert not evaluate(source, role="carer", email="a@b.org")
    assert evaluate(source, role="carer", email="a@b.org", amount=101)


def test_a_catastrophic_backtracking_pattern_on_a_long_answer_completes() -> None:
    answer = "a" * 9_999 + "b"
    assert not evaluate("matches(postcode, '(a+)+$')", postcode=answer)
    assert evaluate("matches(postcode, '^(a|aa)+')", postcode=answer)


def test_matches_looks_only_at_the_start_of_a_very_long_answer() -> None:
    assert not evaluate("matches(email, 'needle')", email="x" * 10_000 + "needle")
    assert evaluate("matches(email, 'needle')", email="x" * 9_000 + "needle")


def test_today_in_london_is_the_date_on_the_council_clock() -> None:
    before = dt.datetime.now(ZoneInfo("Europe/London")).date()
    today = today_in_london()
    after = dt.datetime.now(ZoneInfo("Europe/London")).date()
    assert today in (before, after)


# --- Load-time checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "offset", "code", "message", "fix"),
    [
        (
            "rol = 'carer'",
            0,
            "unknown_name",
            "there is no earlier question or repeating page called 'rol'",
            "did you mean role?",
        ),
        (
            "zzz = 1",
            0,
            "unknown_name",
            None,
            "check the spelling; an expression can only use questions asked before it",
        ),
        ("today < meeting_date", 0, "unknown_name", None, "did you mean today()?"),
        (
            "selected(email, 'x')",
            9,
            "no_options",
            "selected() needs a question with options, but 'email' is a text answer",
            "use it on a radios, checkboxes, dropdown, scale or ranking question",
        ),
        ("count_selected(amount) > 1", 15, "no_options", None, None),
        (
            "selected(journeys, 'x')",
            9,
            "no_options",
            None,
            "use count(journeys) to compare the number of items",
        ),
        (
            "selected(role, 'carr')",
            15,
            "unknown_option",
            "'carr' is not an option of 'role'",
            "did you mean 'carer'? The options are carer, professional, young_person",
        ),
        (
            "selected(activities, 'dance')",
            21,
            "unknown_option",
            None,
            "the options are art, music, sport",
        ),
        ("role = 'carr'", 7, "unknown_option", "'carr' is not an option of 'role'", None),
        ("'carr' = role", 0, "unknown_option", None, None),
        (
            "amount = '100'",
            9,
            "type_mismatch",
            "'amount' is a number but '100' is text in quotes",
            "remove the quotes: 100",
        ),
        (
            "meeting_date > 5",
            15,
            "type_mismatch",
            "'meeting_date' is a date but 5 is a number",
            "compare it with a date, e.g. date('2026-01-31') or today(); use age() for years",
        ),
        ("meeting_date = '2026-01-31'", 15, "type_mismatch", None, "write date('2026-01-31')"),
        (
            "email = 3",
            8,
            "type_mismatch",
            "'email' is a text answer but 3 is a number",
            "put the value in quotes: '3', or use length(email) to compare its length",
        ),
        ("5 < meeting_date", 0, "type_mismatch", None, None),
        (
            "amount = meeting_date",
            9,
            "type_mismatch",
            "'amount' is a number but 'meeting_date' is a date",
            None,
        ),
        (
            "lives_in_oxfordshire = 'yes'",
            23,
            "type_mismatch",
            None,
            "compare a yes or no answer with true or false, without quotes",
        ),
        ("age(date_of_birth) > today()", 21, "type_mismatch", None, None),
        (
            "activities = 'art'",
            0,
            "not_comparable",
            "'activities' is a list of choices, which cannot be compared with '='",
            "use selected(activities, 'value') or count_selected(activities)",
        ),
        ("journeys > 1", 0, "not_comparable", None, "use count(journeys) to compare the number of items"),
        ("address = 'x'", 0, "not_comparable", None, "use answered(address)"),
        (
            "role < 'carer'",
            5,
            "bad_ordering",
            "'<' compares numbers and dates, but 'role' is a single choice",
            "use '=' or '!=' to compare these",
        ),
        ("lives_in_oxfordshire > false", 21, "bad_ordering", None, None),
        (
            "count(role) > 1",
            6,
            "wrong_kind",
            "count() needs a repeating page, but 'role' is a single choice",
            None,
        ),
        ("age(email) > 1", 4, "wrong_kind", "age() needs a date, but 'email' is a text answer", None),
        (
            "length(amount) > 1",
            7,
            "wrong_kind",
            "length() needs a text answer, but 'amount' is a number",
            None,
        ),
        ("matches(amount, '1')", 8, "wrong_kind", None, None),
        ("answered(intro)", 9, "wrong_kind", "'intro' is a content block with no answer", None),
        (
            "role and answered(email)",
            0,
            "not_a_condition",
            "'role' is a single choice, so it cannot stand alone as a condition",
            "compare it with a value, or use answered(role)",
        ),
    ],
)
def test_check_reports_each_problem_at_the_offending_token(
    source: str, offset: int, code: str, message: str | None, fix: str | None
) -> None:
    errors = check(parse(source), SCOPE)
    assert [(e.code, e.offset) for e in errors] == [(code, offset)]
    if message is not None:
        assert errors[0].message == message
    if fix is not None:
        assert errors[0].fix == fix


@pytest.mark.parametrize(
    "source",
    [
        "selected(role, 'carer') and not answered(email)",
        "age(date_of_birth) >= 14 or meeting_date < today()",
        "count(journeys) > 0 and count_selected(activities) >= 2",
        "matches(postcode, '^OX') and length(email) > 0",
        "amount <= 100 and children > amount",
        "lives_in_oxfordshire = true and lives_in_oxfordshire",
        "role = 'professional' or 'carer' = role",
        "answered(address) and answered(evidence) and answered(satisfaction)",
        "meeting_date >= date('2026-01-31')",
        "(amount > 1) = true",
    ],
)
def test_check_accepts_well_formed_expressions(source: str) -> None:
    assert check(parse(source), SCOPE) == []


def test_check_collects_every_problem_not_only_the_first() -> None:
    errors = check(parse("rol = 'x' or amount = 'y' or selected(email, 'z')"), SCOPE)
    assert [(e.code, e.offset) for e in errors] == [
        ("unknown_name", 0),
        ("type_mismatch", 22),
        ("no_options", 38),
    ]


class PlainScope:
    """A scope offering only the two required methods, as a caller might write it."""

    def kind_of(self, name: str) -> ValueKind | None:
        return ValueKind.NUMBER if name == "amount" else None

    def option_values(self, name: str) -> frozenset[str] | None:
        return None


def test_check_works_with_a_scope_that_cannot_list_its_names() -> None:
    [error] = check(parse("amont > 1 and amount > 1"), PlainScope())
    assert error.fix == "check the spelling; an expression can only use questions asked before it"


# --- Hostile and random input ----------------------------------------------------------------

_TOKENS = [
    "a", "role", "amount", "and", "or", "not", "true", "false", "(", ")", ",", "=", "==", "!=", "<", "<=",
    ">", ">=", "'x'", '"y"', "'", "12", "12.5", "-", "-3", "selected(", "answered(", "count(", "today()",
    "age(", "date(", "'2026-01-31'", "matches(", "'(a+)+$'", "length(", "count_selected(", "&&", "£", ".",
]  # fmt: skip


def parse_or_error(source: str) -> Expression | ExpressionError:
    try:
        return parse(source)
    except ExpressionError as error:
        return error


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_either_parses_or_raises_an_expression_error(source: str) -> None:
    outcome = parse_or_error(source)
    if isinstance(outcome, ExpressionError):
        assert outcome.fix
        assert 0 <= outcome.offset <= len(source)
    else:
        assert outcome.source == source


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=30), st.sampled_from([" ", ""]))
def test_random_token_soup_parses_and_checks_or_raises_an_expression_error(
    tokens: list[str], joiner: str
) -> None:
    source = joiner.join(tokens)
    outcome = parse_or_error(source)
    if isinstance(outcome, ExpressionError):
        assert 0 <= outcome.offset <= len(source)
    else:
        assert all(0 <= error.offset < len(source) for error in check(outcome, SCOPE))


_ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals()
    | st.text(max_size=20)
    | st.binary(max_size=5)
    | st.dates()
    | st.datetimes()
    | st.just(object()),
    lambda inner: (
        st.lists(inner, max_size=3).map(tuple)
        | st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)

_VALID = [
    parse("selected(role, 'carer') and not answered(email)"),
    parse("age(date_of_birth) >= 14 or meeting_date < today()"),
    parse("count(journeys) > 0 and count_selected(activities) >= 2"),
    parse("matches(postcode, '^OX') and length(email) > 0"),
    parse("amount <= 100.5 and children > amount or not lives_in_oxfordshire"),
    parse("lives_in_oxfordshire = true and role != email and meeting_date = date('2026-01-31')"),
    parse("selected(activities, 'art') or answered(address) or answered(journeys)"),
]
_NAMES = sorted(set().union(*(expression.references for expression in _VALID)))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(_NAMES), _ANY_VALUE), st.dates())
def test_evaluating_valid_expressions_never_raises_whatever_the_answers_hold(
    answers: dict[str, Any], today: dt.date
) -> None:
    for expression in _VALID:
        assert expression.evaluate(EvaluationContext(answers, today)) in (True, False)


def test_names_listed_by_a_scope_drive_suggestions() -> None:
    names: Iterable[str] = SCOPE.names()
    assert "role" in names
    [error] = check(parse("activites = 'x'"), SCOPE)
    assert error.fix == "did you mean activities?"
