"""``-k FILTER``: pytest-like selection of items by substring, tag and boolean expression.

A word matches an item when it is a substring of ``spec::case::model`` or equals one
of the case's tags; words combine with ``and``, ``or``, ``not`` and parentheses::

    -k "extract and not gemini"
    -k "(smoke or regression) and openai:"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from harness.errors import ConfigError

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
Matcher = Callable[[str, Collection[str]], bool]


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda text, tags: a(text, tags) or b(text, tags)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda text, tags: a(text, tags) and b(text, tags)


@dataclass(slots=True)
class _Parser:
    tokens: list[str]
    source: str
    pos: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ConfigError(f"-k {self.source!r}: the expression ends too early")
        self.pos += 1
        return token

    def expr(self) -> Matcher:
        left = self.term()
        while self.peek() == "or":
            self.take()
            left = _either(left, self.term())
        return left

    def term(self) -> Matcher:
        left = self.factor()
        while self.peek() == "and":
            self.take()
            left = _both(left, self.factor())
        return left

    def factor(self) -> Matcher:
        token = self.take()
        if token == "not":
            inner = self.factor()
            return lambda text, tags: not inner(text, tags)
        if token == "(":
            inner = self.expr()
            if self.take() != ")":
                raise ConfigError(f"-k {self.source!r}: missing ')'")
            return inner
        if token in (")", "and", "or"):
            raise ConfigError(f"-k {self.source!r}: unexpected {token!r}")
        word = token.lower()
        return lambda text, tags: word in text or word in tags


def compile_filter(expression: str) -> Matcher:
    """Compile a ``-k`` expression into ``match(item_key_lowercase, tags_lowercase)``.

    Raises:
        ConfigError: the expression is malformed.

    Example:
        >>> match = compile_filter("qa and not gemini")
        >>> match("qa::c1::openai:gpt-4o", ())
        True
    """
    tokens = _TOKEN.findall(expression)
    if not tokens:
        raise ConfigError("-k needs an expression, e.g. -k 'extract and not gemini'")
    parser = _Parser(tokens, expression)
    matcher = parser.expr()
    if parser.peek() is not None:
        raise ConfigError(f"-k {expression!r}: unexpected {parser.peek()!r}")
    return matcher
