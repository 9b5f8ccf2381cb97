"""The show-if / routing expression language: parsed once, evaluated safely, never eval().

`parse("selected(role, 'carer') and age(date_of_birth) >= 14")` tokenizes the source and builds a
tree of frozen nodes by recursive descent; `Expression.evaluate` walks that tree against a draft's
answers; `check` compares the tree with what the form says about each name. Nothing here looks
anything up by a name taken from the source except in the fixed `FUNCTIONS` registry and the
answers mapping, so an author (or an attacker who can edit a form) cannot reach Python objects.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import re2

#: Longest expression source accepted; longer conditions belong on a section or page show_if.
MAX_SOURCE_LENGTH = 2000
#: Deepest nesting of brackets and `not`, so a hostile source cannot exhaust the Python stack.
MAX_DEPTH = 40
#: Longest matches() pattern accepted.
MAX_PATTERN_LENGTH = 500
#: matches() looks only at this many characters of an answer, bounding the work per evaluation.
MAX_MATCH_INPUT = 10_000

LONDON = ZoneInfo("Europe/London")


def today_in_london() -> dt.date:
    """Today's date for the council (Europe/London), which is what today() and age() mean."""
    return dt.datetime.now(LONDON).date()


class ValueKind(enum.Enum):
    """What kind of value a question's answer is, for type-checking expressions at load time."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    CHOICES = "choices"
    GRID = "grid"
    STRUCTURED = "structured"
    FILES = "files"
    GROUP = "group"
    NONE = "none"


#: How each kind is named to a form author ("'email' is a text answer").
KIND_WORDS: Mapping[ValueKind, str] = {
    ValueKind.TEXT: "a text answer",
    ValueKind.NUMBER: "a number",
    ValueKind.DATE: "a date",
    ValueKind.BOOLEAN: "a yes or no answer",
    ValueKind.CHOICE: "a single choice",
    ValueKind.CHOICES: "a list of choices",
    ValueKind.GRID: "a grid",
    ValueKind.STRUCTURED: "an answer in several parts",
    ValueKind.FILES: "a file upload",
    ValueKind.GROUP: "a repeating page",
    ValueKind.NONE: "a content block with no answer",
}


class ExpressionError(Exception):
    """A problem in an expression: `offset` is the 0-based character position in the source.

    `message` says what is wrong and `fix` how to put it right, both for a council form author;
    `code` names the rule, for tests and for tools that group problems.
    """

    def __init__(
        self, message: str, offset: int = 0, fix: str | None = None, *, code: str = "syntax"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.fix = fix
        self.code = code

    def __repr__(self) -> str:
        return f"ExpressionError({self.message!r}, {self.offset}, {self.fix!r}, code={self.code!r})"


class Scope(Protocol):
    """What the static checker may ask about the names an expression uses."""

    def kind_of(self, name: str) -> ValueKind | None:
        """The value kind of question/repeating page `name`, or None if no such name is in scope."""

    def option_values(self, name: str) -> frozenset[str] | None:
        """The option values of a choice question, or None if it has no options."""


@runtime_checkable
class NamingScope(Scope, Protocol):
    """A scope that can also list its names, so check() can suggest the one an author meant."""

    def names(self) -> Iterable[str]:
        """Every name in scope."""


@dataclass(frozen=True)
class MappingScope:
    """A ready-made Scope from plain mappings: MappingScope({"role": ValueKind.CHOICE}, {"role": ...})."""

    kinds: Mapping[str, ValueKind]
    options: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def kind_of(self, name: str) -> ValueKind | None:
        return self.kinds.get(name)

    def option_values(self, name: str) -> frozenset[str] | None:
        return self.options.get(name)

    def names(self) -> Iterable[str]:
        return self.kinds.keys()


@dataclass(frozen=True)
class EvaluationContext:
    answers: Mapping[str, Any]
    today: dt.date


# --- The tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """'text', 12, 12.50 (as Decimal), true/false, or date('2026-01-31') (folded at parse time)."""

    value: str | Decimal | bool | dt.date
    offset: int


@dataclass(frozen=True)
class Name:
    """A question id (or a repeating page id inside count())."""

    name: str
    offset: int


@dataclass(frozen=True)
class Pattern:
    """The pattern argument of matches(), compiled by re2 once, when parsed."""

    source: str
    offset: int
    regex: Any = field(compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    offset: int


@dataclass(frozen=True)
class Compare:
    operator: str
    left: Node
    right: Node
    offset: int


@dataclass(frozen=True)
class Not:
    operand: Node
    offset: int


@dataclass(frozen=True)
class And:
    """n-ary rather than nested, so a long chain of `and` never makes a deep tree."""

    operands: tuple[Node, ...]
    offset: int


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]
    offset: int


Node = Literal | Name | Pattern | Call | Compare | Not | And | Or


# --- Functions -------------------------------------------------------------------------------


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: The value of a name nobody answered; any comparison with it is false.
MISSING = _Missing()


class Param(enum.Enum):
    NAME = "question id"
    STRING = "text in quotes"
    PATTERN = "pattern in quotes"


class Result(enum.Enum):
    CONDITION = "a condition"
    NUMBER = "a number"
    DATE = "a date"


@dataclass(frozen=True)
class Function:
    """One function of the language: its parameters, what it gives, and how it is evaluated.

    `accepts` is the kinds its question argument may have (None: any answerable kind);
    `needs_options` says the question must also have options to choose from.
    """

    params: tuple[Param, ...]
    result: Result
    usage: str
    evaluate: Callable[[tuple[Node, ...], EvaluationContext], object]
    accepts: frozenset[ValueKind] | None = None
    needs_options: bool = False


def _answer(node: Node, context: EvaluationContext) -> object:
    if isinstance(node, Name):
        return context.answers.get(node.name, MISSING)
    return MISSING


def _answered(args: tuple[Node, ...], context: EvaluationContext) -> bool:
    value = _answer(args[0], context)
    if value is MISSING or value is None:
        return False
    if isinstance(value, str | tuple | list | Mapping):
        return len(value) > 0
    return True


def _selected(args: tuple[Node, ...], context: EvaluationContext) -> bool:
    value = _answer(args[0], context)
    wanted = args[1].value if isinstance(args[1], Literal) else MISSING
    if isinstance(value, str):
        return value == wanted
    if isinstance(value, tuple | list):
        return any(isinstance(item, str) and item == wanted for item in value)
    return False


def _count_selected(args: tuple[Node, ...], context: EvaluationContext) -> object:
    # Nothing chosen counts as none chosen, so `count_selected(q) = 0` is true of a skipped question.
    value = _answer(args[0], context)
    if value is MISSING or value is None:
        return 0
    if isinstance(value, str):
        return 1
    if isinstance(value, tuple | list):
        return len(value)
    return MISSING


def _length(args: tuple[Node, ...], context: EvaluationContext) -> object:
    value = _answer(args[0], context)
    if value is MISSING or value is None:
        return 0
    return len(value) if isinstance(value, str) else MISSING


def _matches(args: tuple[Node, ...], context: EvaluationContext) -> bool:
    value = _answer(args[0], context)
    pattern = args[1]
    if not isinstance(value, str) or not isinstance(pattern, Pattern):
        return False
    return pattern.regex.search(value[:MAX_MATCH_INPUT]) is not None


def _count(args: tuple[Node, ...], context: EvaluationContext) -> object:
    value = _answer(args[0], context)
    if value is MISSING or value is None:
        return 0
    return len(value) if isinstance(value, tuple | list) else MISSING


def _today(args: tuple[Node, ...], context: EvaluationContext) -> object:
    return context.today


def _age(args: tuple[Node, ...], context: EvaluationContext) -> object:
    """Whole years from the date to today: someone born 2012-03-01 is 13 on 2026-02-28, 14 on 03-01."""
    born = _answer(args[0], context)
    today = context.today
    if not isinstance(born, dt.date) or isinstance(born, dt.datetime) or not _is_date(today):
        return MISSING
    before_birthday = (today.month, today.day) < (born.month, born.day)
    return today.year - born.year - before_birthday


_TEXTS = frozenset({ValueKind.TEXT})
_WITH_OPTIONS = frozenset({ValueKind.CHOICE, ValueKind.CHOICES})

#: Every function an expression may call; nothing else can be called.
FUNCTIONS: Mapping[str, Function] = MappingProxyType(
    {
        "answered": Function((Param.NAME,), Result.CONDITION, "answered(question)", _answered),
        "selected": Function(
            (Param.NAME, Param.STRING),
            Result.CONDITION,
            "selected(question, 'value')",
            _selected,
            _WITH_OPTIONS,
            needs_options=True,
        ),
        "count_selected": Function(
            (Param.NAME,),
            Result.NUMBER,
            "count_selected(question)",
            _count_selected,
            _WITH_OPTIONS,
            needs_options=True,
        ),
        "length": Function((Param.NAME,), Result.NUMBER, "length(question)", _length, _TEXTS),
        "matches": Function(
            (Param.NAME, Param.PATTERN), Result.CONDITION, "matches(question, 'pattern')", _matches, _TEXTS
        ),
        "count": Function(
            (Param.NAME,), Result.NUMBER, "count(repeating_page)", _count, frozenset({ValueKind.GROUP})
        ),
        "today": Function((), Result.DATE, "today()", _today),
        "age": Function(
            (Param.NAME,), Result.NUMBER, "age(date_question)", _age, frozenset({ValueKind.DATE})
        ),
        # The parser folds date('...') into a Literal, so this entry only gives its shape to the parser.
        "date": Function((Param.STRING,), Result.DATE, "date('2026-01-31')", lambda args, context: MISSING),
    }
)

KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
ORDERINGS = frozenset({"<", "<=", ">", ">="})


# --- Tokenizer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "string", "number", "op", "(", ")", ",", "-", "end"
    text: str
    offset: int
    value: str = ""


#: Operators authors bring from spreadsheets and programming languages, with what to write instead.
_FOREIGN_OPERATORS: Mapping[str, tuple[str, str]] = {
    "==": ("'==' is not an operator here", "use a single '=' to compare"),
    "&&": ("'&&' is not an operator here", "use 'and'"),
    "||": ("'||' is not an operator here", "use 'or'"),
    "<>": ("'<>' is not an operator here", "use '!=' for 'is not'"),
    "=<": ("'=<' is not an operator here", "use '<='"),
    "=>": ("'=>' is not an operator here", "use '>='"),
    "&": ("'&' is not an operator here", "use 'and'"),
    "|": ("'|' is not an operator here", "use 'or'"),
    "!": ("'!' is not an operator here", "use 'not' before a condition, or '!=' to compare"),
}
_ARITHMETIC = frozenset("+*/%")
_CURLY_QUOTES = frozenset("‘’“”")


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens: "age(dob) >= 14" -> name, (, name, ), op, number, end."""
    tokens: list[Token] = []
    position = 0
    length = len(source)
    while position < length:
        char = source[position]
        if char.isspace():
            position += 1
        elif char in "'\"":
            end = source.find(char, position + 1)
            if end < 0:
                raise ExpressionError(
                    "this text in quotes is never closed",
                    position,
                    f"add a closing {char} at the end of the text",
                    code="unclosed_string",
                )
            text = source[position : end + 1]
            tokens.append(Token("string", text, position, source[position + 1 : end]))
            position = end + 1
        elif char.isdigit() and char.isascii():
            position = _number(source, position, tokens)
        elif char.isalpha() or char == "_":
            position = _word(source, position, tokens)
        else:
            position = _symbol(source, position, tokens)
    tokens.append(Token("end", "", length))
    return tokens


def _number(source: str, start: int, tokens: list[Token]) -> int:
    end = _digits_end(source, start)
    if end < len(source) and source[end] == ".":
        if end + 1 < len(source) and source[end + 1].isascii() and source[end + 1].isdigit():
            end = _digits_end(source, end + 1)
        else:
            raise ExpressionError(
                f"'{source[start : end + 1]}' is not a complete number",
                start,
                f"write {source[start:end]} or put digits after the point, like {source[start:end]}.50",
                code="bad_number",
            )
    if source[end : end + 1] == "," and source[end + 1 : end + 4].isdigit():
        raise ExpressionError(
            "numbers are written without commas",
            start,
            "write 1000, not 1,000",
            code="bad_number",
        )
    if end < len(source) and (source[end].isalpha() or source[end] == "_"):
        raise ExpressionError(
            f"'{_word_at(source, start)}' is not a number or a question id",
            start,
            "question ids start with a letter; numbers contain only digits and one '.'",
            code="bad_number",
        )
    text = source[start:end]
    tokens.append(Token("number", text, start, text))
    return end


def _digits_end(source: str, position: int) -> int:
    while position < len(source) and source[position].isascii() and source[position].isdigit():
        position += 1
    return position


def _word_at(source: str, start: int) -> str:
    end = start
    while end < len(source) and (source[end].isalnum() or source[end] == "_"):
        end += 1
    return source[start:end]


def _word(source: str, start: int, tokens: list[Token]) -> int:
    word = _word_at(source, start)
    if not _is_identifier(word):
        lower = word.lower()
        if lower in KEYWORDS:
            fix = f"write '{lower}' in lower case"
        elif _is_identifier(lower):
            fix = f"question ids are lower case: write {lower}"
        else:
            fix = "question ids use lower-case letters a-z, digits and '_', and start with a letter"
        raise ExpressionError(f"'{word}' is not a valid name", start, fix, code="bad_name")
    tokens.append(Token("name", word, start, word))
    return start + len(word)


def _is_identifier(word: str) -> bool:
    return (
        word.isascii()
        and word[:1].isalpha()
        and word[:1].islower()
        and all(c.islower() or c.isdigit() or c == "_" for c in word)
    )


def _symbol(source: str, start: int, tokens: list[Token]) -> int:
    pair = source[start : start + 2]
    char = source[start]
    if pair in _FOREIGN_OPERATORS:
        message, fix = _FOREIGN_OPERATORS[pair]
        raise ExpressionError(message, start, fix, code="bad_operator")
    if pair in COMPARISONS:
        tokens.append(Token("op", pair, start, pair))
        return start + 2
    if char in COMPARISONS:
        tokens.append(Token("op", char, start, char))
        return start + 1
    if char in "(),-":
        tokens.append(Token(char, char, start))
        return start + 1
    if char in _FOREIGN_OPERATORS:
        message, fix = _FOREIGN_OPERATORS[char]
        raise ExpressionError(message, start, fix, code="bad_operator")
    if char in _ARITHMETIC:
        raise ExpressionError(
            f"'{char}' is not an operator here: expressions compare answers but do not calculate",
            start,
            "compare with a fixed number, e.g. amount > 100",
            code="bad_operator",
        )
    if char in _CURLY_QUOTES:
        raise ExpressionError(
            f"'{char}' is a curly quote",
            start,
            "use straight quotes ' or \" around text",
            code="bad_character",
        )
    if char == "£":
        raise ExpressionError(
            "'£' cannot be used in an expression",
            start,
            "write amounts as plain numbers: 100 or 12.50",
            code="bad_character",
        )
    if char == ".":
        raise ExpressionError(
            "'.' cannot be used here",
            start,
            "refer to a question by its id alone, e.g. role",
            code="bad_character",
        )
    raise ExpressionError(
        f"'{char}' cannot be used in an expression",
        start,
        "use question ids, quoted text, numbers, comparisons (= != < <= > >=), and, or, not and brackets",
        code="bad_character",
    )


# --- Parser ----------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the grammar below, with `or` binding loosest:

    condition  := conjunct ("or" conjunct)*
    conjunct   := negation ("and" negation)*
    negation   := "not" negation | comparison
    comparison := operand (COMPARISON operand)?
    operand    := literal | name | call | "(" condition ")"
    """

    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.token.kind == "name" and self.token.text == word

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise ExpressionError(
                "the expression is empty", 0, "write a condition, for example answered(email)", code="empty"
            )
        node = self.condition()
        if self.token.kind != "end":
            raise self.trailing()
        return node

    def trailing(self) -> ExpressionError:
        token = self.token
        if token.kind == ")":
            return ExpressionError(
                "this ')' has no matching '('",
                token.offset,
                "remove it, or add '(' where the group starts",
                code="unmatched_bracket",
            )
        if token.kind == "-":
            return ExpressionError(
                "'-' is not an operator here: expressions compare answers but do not calculate",
                token.offset,
                "compare with a fixed number, e.g. amount > 100",
                code="bad_operator",
            )
        if token.kind == "op":
            return ExpressionError(
                f"'{token.text}' cannot follow a comparison",
                token.offset,
                "compare two values at a time and join comparisons with 'and', e.g. a < b and b < c",
                code="chained_comparison",
            )
        return ExpressionError(
            f"unexpected {_describe(token)} after a complete condition",
            token.offset,
            "join conditions with 'and' or 'or', or compare values with '='",
            code="trailing_text",
        )

    def enter(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested too deeply (more than {MAX_DEPTH} levels of brackets or 'not')",
                offset,
                "split it into simpler conditions, for example a show_if on the page and one on the question",
                code="too_deep",
            )

    def condition(self) -> Node:
        start = self.token.offset
        operands = [self.conjunct()]
        while self.at_keyword("or"):
            self.advance()
            operands.append(self.conjunct())
        return operands[0] if len(operands) == 1 else Or(tuple(operands), start)

    def conjunct(self) -> Node:
        start = self.token.offset
        operands = [self.negation()]
        while self.at_keyword("and"):
            self.advance()
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else And(tuple(operands), start)

    def negation(self) -> Node:
        if self.at_keyword("not"):
            token = self.advance()
            self.enter(token.offset)
            operand = self.negation()
            self.depth -= 1
            self.require_condition(operand)
            return Not(operand, token.offset)
        node = self.comparison()
        if not isinstance(node, Compare):
            self.require_condition(node)
        return node

    def comparison(self) -> Node:
        left = self.operand()
        if self.token.kind != "op":
            return left
        operator = self.advance()
        right = self.operand()
        return Compare(operator.text, left, right, operator.offset)

    def require_condition(self, node: Node) -> None:
        """Reject values that can never be true or false, e.g. `count(journeys)` alone."""
        if isinstance(node, Literal) and not isinstance(node.value, bool):
            raise ExpressionError(
                f"{_show(node.value)} is a value, not a condition",
                node.offset,
                f"compare it with a question, for example amount = {_show(node.value)}",
                code="not_a_condition",
            )
        if isinstance(node, Call) and FUNCTIONS[node.function].result is not Result.CONDITION:
            shown = _show_call(node)
            example = (
                f"{shown} > 0" if FUNCTIONS[node.function].result is Result.NUMBER else f"{shown} < today()"
            )
            raise ExpressionError(
                f"{shown} gives {FUNCTIONS[node.function].result.value}, not a condition",
                node.offset,
                f"compare it, for example {example}",
                code="not_a_condition",
            )

    def operand(self) -> Node:
        token = self.token
        if token.kind == "(":
            self.advance()
            self.enter(token.offset)
            node = self.condition()
            self.depth -= 1
            if self.token.kind == "end":
                raise ExpressionError(
                    "this '(' is never closed",
                    token.offset,
                    "add ')' where the group ends",
                    code="unclosed_bracket",
                )
            if self.token.kind != ")":
                raise self.trailing()
            self.advance()
            return node
        if token.kind == "string":
            self.advance()
            return Literal(token.value, token.offset)
        if token.kind == "number":
            self.advance()
            return Literal(Decimal(token.value), token.offset)
        if token.kind == "-" and self.tokens[self.index + 1].kind == "number":
            self.advance()
            number = self.advance()
            return Literal(-Decimal(number.value), token.offset)
        if token.kind == "name":
            return self.word()
        raise self.missing_operand()

    def missing_operand(self) -> ExpressionError:
        token = self.token
        previous = self.tokens[self.index - 1] if self.index else None
        after = f" after '{previous.text}'" if previous else ""
        if token.kind == "end":
            return ExpressionError(
                f"the expression ends too early{after}",
                token.offset,
                "finish the condition, for example role = 'carer'",
                code="incomplete",
            )
        if token.kind == "-":
            return ExpressionError(
                "'-' is not an operator here: expressions compare answers but do not calculate",
                token.offset,
                "write a negative number with the '-' right before it, e.g. -5",
                code="bad_operator",
            )
        return ExpressionError(
            f"expected a question id, a value or '(' but found {_describe(token)}{after}",
            token.offset,
            "check for a missing value or a doubled operator",
            code="unexpected",
        )

    def word(self) -> Node:
        token = self.advance()
        if token.text in ("true", "false"):
            return Literal(token.text == "true", token.offset)
        if token.text in KEYWORDS:
            raise ExpressionError(
                f"'{token.text}' needs a condition before it",
                token.offset,
                f"write a condition on each side of '{token.text}', e.g. a = 1 {token.text} b = 2",
                code="incomplete",
            )
        if self.token.kind != "(":
            return Name(token.text, token.offset)
        if token.text not in FUNCTIONS:
            close = difflib.get_close_matches(token.text, list(FUNCTIONS), n=1)
            fix = (
                f"did you mean {close[0]}?" if close else "the functions are " + ", ".join(sorted(FUNCTIONS))
            )
            raise ExpressionError(
                f"unknown function '{token.text}'", token.offset, fix, code="unknown_function"
            )
        return self.call(token)

    def call(self, name: Token) -> Node:
        function = FUNCTIONS[name.text]
        opening = self.advance()
        args: list[Node] = []
        for position, param in enumerate(function.params):
            if self.token.kind == ")" or self.token.kind == "end":
                break
            if position:
                if self.token.kind != ",":
                    raise ExpressionError(
                        f"expected ',' or ')' in {function.usage} but found {_describe(self.token)}",
                        self.token.offset,
                        f"write it as {function.usage}",
                        code="bad_argument",
                    )
                self.advance()
            args.append(self.argument(function, param))
        if self.token.kind == "end":
            raise ExpressionError(
                f"the '(' of {name.text}( is never closed",
                opening.offset,
                f"add ')': {function.usage}",
                code="unclosed_bracket",
            )
        if self.token.kind != ")" and len(args) == len(function.params):
            raise ExpressionError(
                f"too many arguments: {name.text}() takes {_count_words(len(function.params))}",
                self.token.offset,
                f"write it as {function.usage}",
                code="argument_count",
            )
        if len(args) < len(function.params):
            missing = function.params[len(args)]
            raise ExpressionError(
                f"{name.text}() is missing its {missing.value}",
                self.token.offset,
                f"write it as {function.usage}",
                code="argument_count",
            )
        self.advance()
        if name.text == "date":
            return Literal(_date_literal(args[0]), name.offset)
        return Call(name.text, tuple(args), name.offset)

    def argument(self, function: Function, param: Param) -> Node:
        token = self.token
        if param is Param.NAME:
            if (
                token.kind == "name"
                and token.text not in KEYWORDS
                and self.tokens[self.index + 1].kind != "("
            ):
                self.advance()
                return Name(token.text, token.offset)
            fix = f"write it as {function.usage}"
            if token.kind == "string" and _is_identifier(token.value):
                fix = f"remove the quotes: {token.value}"
            raise ExpressionError(
                f"{function.usage.split('(')[0]}() needs a question id here, not {_describe(token)}",
                token.offset,
                fix,
                code="bad_argument",
            )
        if token.kind != "string":
            fix = f"write it as {function.usage}"
            if token.kind in ("name", "number"):
                fix = f"put it in quotes: '{token.text}'"
            raise ExpressionError(
                f"{function.usage.split('(')[0]}() needs {param.value} here, not {_describe(token)}",
                token.offset,
                fix,
                code="bad_argument",
            )
        self.advance()
        if param is Param.PATTERN:
            return _pattern(token)
        return Literal(token.value, token.offset)


def _date_literal(node: Node) -> dt.date:
    text = node.value if isinstance(node, Literal) and isinstance(node.value, str) else ""
    offset = node.offset
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ExpressionError(
            f"'{text}' is not a date",
            offset,
            "write a real date as YYYY-MM-DD, for example date('2026-01-31')",
            code="bad_date",
        ) from None


_RE2_OPTIONS = re2.Options()
# A bad author pattern is reported to the author; re2 need not also print it to the server's stderr.
_RE2_OPTIONS.log_errors = False


def _pattern(token: Token) -> Pattern:
    if len(token.value) > MAX_PATTERN_LENGTH:
        raise ExpressionError(
            f"the pattern is too long ({len(token.value)} characters; the limit is {MAX_PATTERN_LENGTH})",
            token.offset,
            "shorten the pattern",
            code="bad_pattern",
        )
    try:
        regex = re2.compile(token.value, _RE2_OPTIONS)
    except re2.error as error:
        reason = (
            error.args[0].decode("utf-8", "replace")
            if error.args and isinstance(error.args[0], bytes)
            else ""
        )
        raise ExpressionError(
            f"the pattern {token.text} cannot be used" + (f": {reason}" if reason else ""),
            token.offset,
            "fix the pattern; look-behind, look-ahead and back-references are not supported",
            code="bad_pattern",
        ) from None
    return Pattern(token.value, token.offset, regex)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "string":
        return f"the text {token.text}"
    if token.kind == "number":
        return f"the number {token.text}"
    return f"'{token.text}'"


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, dt.date):
        return f"date('{value.isoformat()}')"
    return str(value)


def _show_call(node: Call) -> str:
    return f"{node.function}({', '.join(_show_argument(arg) for arg in node.args)})"


def _show_argument(node: Node) -> str:
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Pattern):
        return f"'{node.source}'"
    return _show(node.value) if isinstance(node, Literal) else "..."


def _count_words(number: int) -> str:
    return {0: "no arguments", 1: "one argument", 2: "two arguments"}[number]


# --- Expression ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed expression; `Expression("a = 1")` parses like parse("a = 1")."""

    source: str
    root: Node = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", _parse_root(self.source))

    @cached_property
    def references(self) -> frozenset[str]:
        """Names of the questions and repeating pages this expression reads."""
        return frozenset(node.name for node in _walk(self.root) if isinstance(node, Name))

    def evaluate(self, context: EvaluationContext) -> bool:
        """Whether the condition holds for these answers; never raises, whatever the answers hold."""
        return _truth(self.root, context)


def parse(source: str) -> Expression:
    """Parse `source`, raising ExpressionError with the offset of the first syntax problem."""
    return Expression(source)


def _parse_root(source: str) -> Node:
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text", 0, "put the condition in quotes", code="not_text")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"the expression is too long ({len(source)} characters; the limit is {MAX_SOURCE_LENGTH})",
            MAX_SOURCE_LENGTH,
            "split it: a section or page show_if can carry part of the condition",
            code="too_long",
        )
    return _Parser(source).parse()


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Call):
        for arg in node.args:
            yield from _walk(arg)
    elif isinstance(node, Compare):
        yield from _walk(node.left)
        yield from _walk(node.right)
    elif isinstance(node, Not):
        yield from _walk(node.operand)
    elif isinstance(node, And | Or):
        for operand in node.operands:
            yield from _walk(operand)


# --- Evaluation ------------------------------------------------------------------------------


def _truth(node: Node, context: EvaluationContext) -> bool:
    if isinstance(node, And):
        return all(_truth(operand, context) for operand in node.operands)
    if isinstance(node, Or):
        return any(_truth(operand, context) for operand in node.operands)
    if isinstance(node, Not):
        return not _truth(node.operand, context)
    # A bare yes/no question is true only when answered yes; anything else is not a yes.
    return _value(node, context) is True


def _value(node: Node, context: EvaluationContext) -> object:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return context.answers.get(node.name, MISSING)
    if isinstance(node, Call):
        return FUNCTIONS[node.function].evaluate(node.args, context)
    if isinstance(node, Compare):
        return _compare(node.operator, _value(node.left, context), _value(node.right, context))
    if isinstance(node, Pattern):
        return MISSING
    return _truth(node, context)


def _is_date(value: object) -> bool:
    # A datetime is a date subclass but does not compare with one, so it counts as the wrong type.
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _comparable(value: object) -> tuple[str, Any] | None:
    """The family a value compares within and the value to compare, or None if it never compares."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int):
        return ("number", value)
    if isinstance(value, Decimal):
        return None if value.is_nan() else ("number", value)
    if isinstance(value, str):
        return ("text", value)
    if _is_date(value):
        return ("date", value)
    return None


def _compare(operator: str, left: object, right: object) -> bool:
    """`left operator right`, or False when either is unanswered or they are different kinds of thing."""
    a = _comparable(left)
    b = _comparable(right)
    if a is None or b is None or a[0] != b[0]:
        return False
    x, y = a[1], b[1]
    if operator == "=":
        return bool(x == y)
    if operator == "!=":
        return bool(x != y)
    if a[0] not in ("number", "date"):
        return False
    try:
        if operator == "<":
            return bool(x < y)
        if operator == "<=":
            return bool(x <= y)
        if operator == ">":
            return bool(x > y)
        return bool(x >= y)
    except InvalidOperation:
        return False


# --- Static checks ---------------------------------------------------------------------------

_COMPARABLE_FAMILY: Mapping[ValueKind, str] = {
    ValueKind.TEXT: "text",
    ValueKind.CHOICE: "text",
    ValueKind.NUMBER: "number",
    ValueKind.DATE: "date",
    ValueKind.BOOLEAN: "boolean",
}

_HOW_TO_USE: Mapping[ValueKind, str] = {
    ValueKind.CHOICES: "use selected({name}, 'value') or count_selected({name})",
    ValueKind.GROUP: "use count({name}) to compare the number of items",
    ValueKind.GRID: "use answered({name})",
    ValueKind.STRUCTURED: "use answered({name})",
    ValueKind.FILES: "use answered({name})",
    ValueKind.NONE: "refer to a question that takes an answer",
}


def check(expression: Expression, scope: Scope) -> list[ExpressionError]:
    """Every static problem: unknown names, selected() on a question without options, type mismatches."""
    return _Checker(scope).run(expression.root)


class _Checker:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.errors: list[ExpressionError] = []

    def run(self, root: Node) -> list[ExpressionError]:
        self.condition(root)
        return self.errors

    def error(self, message: str, offset: int, fix: str, code: str) -> None:
        self.errors.append(ExpressionError(message, offset, fix, code=code))

    def condition(self, node: Node) -> None:
        if isinstance(node, And | Or):
            for operand in node.operands:
                self.condition(operand)
        elif isinstance(node, Not):
            self.condition(node.operand)
        elif isinstance(node, Name):
            kind = self.kind(node)
            if kind is not None and kind is not ValueKind.BOOLEAN:
                self.error(
                    f"'{node.name}' is {KIND_WORDS[kind]}, so it cannot stand alone as a condition",
                    node.offset,
                    f"compare it with a value, or use answered({node.name})",
                    "not_a_condition",
                )
        else:
            self.value(node)

    def kind(self, node: Name) -> ValueKind | None:
        """The kind of a name, reporting an unknown one (with the likeliest intended name)."""
        kind = self.scope.kind_of(node.name)
        if kind is None:
            self.error(
                f"there is no earlier question or repeating page called '{node.name}'",
                node.offset,
                self.suggest(node.name),
                "unknown_name",
            )
        return kind

    def suggest(self, name: str) -> str:
        if name in FUNCTIONS:
            return f"did you mean {FUNCTIONS[name].usage}?"
        names = list(self.scope.names()) if isinstance(self.scope, NamingScope) else []
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            return f"did you mean {close[0]}?"
        return "check the spelling; an expression can only use questions asked before it"

    def value(self, node: Node) -> ValueKind | None:
        """Check a node used as a value and give its kind (None when unknown or already wrong)."""
        if isinstance(node, Literal):
            return _literal_kind(node.value)
        if isinstance(node, Name):
            return self.kind(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Compare):
            self.compare(node)
            return ValueKind.BOOLEAN
        if isinstance(node, Pattern):
            return ValueKind.TEXT
        self.condition(node)
        return ValueKind.BOOLEAN

    def call(self, node: Call) -> ValueKind | None:
        function = FUNCTIONS[node.function]
        if node.args and isinstance(node.args[0], Name):
            self.argument(node, function, node.args[0])
        return {
            Result.CONDITION: ValueKind.BOOLEAN,
            Result.NUMBER: ValueKind.NUMBER,
            Result.DATE: ValueKind.DATE,
        }[function.result]

    def argument(self, node: Call, function: Function, name: Name) -> None:
        kind = self.kind(name)
        if kind is None:
            return
        if function.accepts is None:
            if kind is ValueKind.NONE:
                self.error(
                    f"'{name.name}' is {KIND_WORDS[kind]}", name.offset, _HOW_TO_USE[kind], "wrong_kind"
                )
            return
        options = self.scope.option_values(name.name)
        if function.needs_options and (kind not in _WITH_OPTIONS or options is None):
            self.error(
                f"{node.function}() needs a question with options, but '{name.name}' is {KIND_WORDS[kind]}",
                name.offset,
                _fix_for_kind(kind, name.name)
                or "use it on a radios, checkboxes, dropdown, scale or ranking question",
                "no_options",
            )
            return
        if kind not in function.accepts:
            wanted = " or ".join(sorted(KIND_WORDS[k] for k in function.accepts))
            self.error(
                f"{node.function}() needs {wanted}, but '{name.name}' is {KIND_WORDS[kind]}",
                name.offset,
                _fix_for_kind(kind, name.name) or f"use {function.usage} with {wanted}",
                "wrong_kind",
            )
            return
        if node.function == "selected" and options is not None:
            self.option(name.name, node.args[1], options)

    def option(self, name: str, value: Node, options: frozenset[str]) -> None:
        if isinstance(value, Literal) and isinstance(value.value, str) and value.value not in options:
            close = difflib.get_close_matches(value.value, list(options), n=1)
            listed = ", ".join(sorted(options))
            fix = (
                f"did you mean '{close[0]}'? The options are {listed}"
                if close
                else f"the options are {listed}"
            )
            self.error(f"'{value.value}' is not an option of '{name}'", value.offset, fix, "unknown_option")

    def compare(self, node: Compare) -> None:
        left_kind = self.value(node.left)
        right_kind = self.value(node.right)
        if left_kind is None or right_kind is None:
            return
        for side, kind in ((node.left, left_kind), (node.right, right_kind)):
            if kind not in _COMPARABLE_FAMILY:
                name = side.name if isinstance(side, Name) else "it"
                self.error(
                    f"'{name}' is {KIND_WORDS[kind]}, which cannot be compared with '{node.operator}'",
                    side.offset,
                    _HOW_TO_USE[kind].format(name=name),
                    "not_comparable",
                )
                return
        left_family, right_family = _COMPARABLE_FAMILY[left_kind], _COMPARABLE_FAMILY[right_kind]
        if left_family != right_family:
            self.mismatch(node, left_kind, right_kind)
            return
        if node.operator in ORDERINGS and left_family not in ("number", "date"):
            self.error(
                f"'{node.operator}' compares numbers and dates, but {_describe_node(node.left)} "
                f"is {KIND_WORDS[left_kind]}",
                node.offset,
                "use '=' or '!=' to compare these",
                "bad_ordering",
            )
            return
        for name_side, literal_side in ((node.left, node.right), (node.right, node.left)):
            if isinstance(name_side, Name) and self.scope.kind_of(name_side.name) is ValueKind.CHOICE:
                options = self.scope.option_values(name_side.name)
                if options is not None:
                    self.option(name_side.name, literal_side, options)

    def mismatch(self, node: Compare, left_kind: ValueKind, right_kind: ValueKind) -> None:
        """Report comparing different kinds of thing, with the likeliest fix for an author."""
        culprit = node.right if isinstance(node.left, Name) or not isinstance(node.right, Name) else node.left
        other = node.left if culprit is node.right else node.right
        culprit_kind = right_kind if culprit is node.right else left_kind
        other_kind = left_kind if culprit is node.right else right_kind
        message = (
            f"{_describe_node(other)} is {_kind_words(other, other_kind)} "
            f"but {_describe_node(culprit)} is {_kind_words(culprit, culprit_kind)}"
        )
        self.error(message, culprit.offset, _mismatch_fix(other, other_kind, culprit), "type_mismatch")


def _literal_kind(value: object) -> ValueKind:
    if isinstance(value, bool):
        return ValueKind.BOOLEAN
    if isinstance(value, str):
        return ValueKind.TEXT
    if isinstance(value, Decimal):
        return ValueKind.NUMBER
    return ValueKind.DATE


def _kind_words(node: Node, kind: ValueKind) -> str:
    if isinstance(node, Literal) and isinstance(node.value, str):
        return "text in quotes"
    return KIND_WORDS[kind]


def _fix_for_kind(kind: ValueKind, name: str) -> str | None:
    how = _HOW_TO_USE.get(kind)
    return how.format(name=name) if how else None


def _describe_node(node: Node) -> str:
    if isinstance(node, Name):
        return f"'{node.name}'"
    if isinstance(node, Literal):
        return _show(node.value)
    if isinstance(node, Call):
        return _show_call(node)
    return "the condition"


def _mismatch_fix(other: Node, other_kind: ValueKind, culprit: Node) -> str:
    value = culprit.value if isinstance(culprit, Literal) else None
    if other_kind is ValueKind.NUMBER and isinstance(value, str):
        return f"remove the quotes: {value}" if _is_number(value) else "compare it with a number, e.g. 100"
    if other_kind is ValueKind.DATE and isinstance(value, str):
        if _looks_like_date(value):
            return f"write date('{value}')"
        return "compare it with a date, e.g. date('2026-01-31') or today()"
    if other_kind is ValueKind.DATE:
        return "compare it with a date, e.g. date('2026-01-31') or today(); use age() for years"
    if other_kind is ValueKind.BOOLEAN:
        return "compare a yes or no answer with true or false, without quotes"
    if other_kind in (ValueKind.TEXT, ValueKind.CHOICE) and isinstance(value, Decimal):
        name = other.name if isinstance(other, Name) else "the question"
        return f"put the value in quotes: '{value}', or use length({name}) to compare its length"
    return "compare answers of the same kind: numbers with numbers, dates with dates, text with text"


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return text.strip() == text and text.replace(".", "", 1).lstrip("-").isdigit()


def _looks_like_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
