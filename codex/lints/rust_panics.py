"""CX0001: ``.unwrap()`` and ``.expect(msg)`` on ``Option``/``Result`` in Rust, macro arguments included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from codex.treesitter_lint import TreeSitterRule

if TYPE_CHECKING:
    from tree_sitter import Node

PANICKING = ("unwrap", "expect")
_NAMED = "@name (#any-of? @name {})".format(" ".join(f'"{m}"' for m in PANICKING))  # a node naming a panicking method
STD_TYPES = ("Option", "Result")
_COMMENTS = ("line_comment", "block_comment")
# Arguments that cannot be the ``&str`` message of ``Option::expect``/``Result::expect``: literals of other types,
# struct, tuple and array values, closures (and paths to an enum variant, see _is_constant).
_NOT_A_MESSAGE = {
    "integer_literal",
    "float_literal",
    "char_literal",
    "boolean_literal",
    "struct_expression",
    "tuple_expression",
    "array_expression",
    "closure_expression",
    "unit_expression",
}


class UnwrapOrExpect(TreeSitterRule):
    """A call to ``Option``/``Result``'s ``unwrap()`` or ``expect(msg)``: method calls, calls inside macro arguments
    and attributes (token trees, read token by token), and the paths ``Option::unwrap``, ``Result::expect``.

    ``unwrap`` counts with no argument. ``expect`` counts with exactly one argument that can be a message (not a
    number, a path such as ``Token::Eol``, a constructor call such as ``Token::Ident(x)``, a struct or a closure),
    on a receiver other than ``self``, and not followed by ``?``: those are a project's own ``expect`` (a parser's
    ``self.expect(Token::Eol)?``), since the standard ones take a message and return the bare value.
    Each call is reported on the line of its method name, so every ``.unwrap()`` of a chain is its own finding.
    """

    LANGUAGE = "rust"
    WORDS = PANICKING  # each node visited names its method
    PATTERNS: ClassVar[Mapping[str, str]] = {  # what each visit_ method requires before it looks further, matched in tree-sitter
        "call_expression": f"(call_expression function: (field_expression field: (_) {_NAMED}))",
        "token_tree": f"(token_tree (identifier) {_NAMED})",
        "scoped_identifier": f"(scoped_identifier name: (_) {_NAMED})",
    }

    def visit_call_expression(self, node: Node) -> None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or function.type != "field_expression" or arguments is None:
            return
        name = function.child_by_field_name("field")
        receiver = function.child_by_field_name("value")
        if name is None or self.text(name) not in PANICKING:
            return
        values = [a for a in arguments.named_children if a.type not in _COMMENTS]
        tried = node.parent is not None and node.parent.type == "try_expression"
        if self._panics(self.text(name), receiver is not None and receiver.type == "self", tried, [_message_like(self, v) for v in values]):
            self.report(name, end=node)

    def visit_token_tree(self, node: Node) -> None:
        """``. name (args)`` among a macro's tokens (its own nested groups are token trees of their own)."""
        tokens = [t for t in node.children if t.type not in _COMMENTS]
        for i, dot in enumerate(tokens[:-2]):
            name, group = tokens[i + 1], tokens[i + 2]
            if dot.type != "." or name.type != "identifier" or group.type != "token_tree" or self.text(group)[:1] != "(":
                continue
            if self.text(name) not in PANICKING:
                continue
            receiver_is_self = i > 0 and tokens[i - 1].type == "self"
            tried = i + 3 < len(tokens) and tokens[i + 3].type == "?"
            arguments = [_tokens_message_like(self, part) for part in _split_arguments(group)]
            if self._panics(self.text(name), receiver_is_self, tried, arguments):
                self.report(name, end=group)

    def visit_scoped_identifier(self, node: Node) -> None:
        """``Option::unwrap`` / ``Result::expect``, called (``Result::unwrap(r)``) or passed (``.map(Option::unwrap)``)."""
        path, name = node.child_by_field_name("path"), node.child_by_field_name("name")
        if path is None or name is None or self.text(name) not in PANICKING:
            return
        if self.text(path).rsplit("::", 1)[-1] in STD_TYPES:
            self.report(node)

    @staticmethod
    def _panics(method: str, receiver_is_self: bool, tried: bool, arguments: list[bool]) -> bool:
        """``arguments``: for each argument, whether it can be a message."""
        if method == "unwrap":
            return not arguments
        return arguments == [True] and not receiver_is_self and not tried


def _is_constant(path: str) -> bool:
    """``errors::MISSING`` names a constant (it may hold a message); ``Token::Eol`` an enum variant (it cannot)."""
    last = path.rsplit("::", 1)[-1]
    return last.isupper()


def _message_like(rule: TreeSitterRule, value: Node) -> bool:
    if value.type in _NOT_A_MESSAGE:
        return False
    if value.type == "scoped_identifier":
        return _is_constant(rule.text(value))
    if value.type == "call_expression":  # a constructor (Token::Ident(x), Some(x)) is no message; a method call may be
        function = value.child_by_field_name("function")
        if function is not None and function.type in ("identifier", "scoped_identifier"):
            return not rule.text(function).rsplit("::", 1)[-1][:1].isupper()
    return True


def _split_arguments(group: Node) -> list[list[Node]]:
    """The tokens of a parenthesised token tree, split at its top-level commas."""
    parts: list[list[Node]] = [[]]
    for token in group.children[1:-1]:
        if token.type == ",":
            parts.append([])
        elif token.type not in _COMMENTS:
            parts[-1].append(token)
    return [p for p in parts if p]


def _tokens_message_like(rule: TreeSitterRule, tokens: list[Node]) -> bool:
    """The token-level reading of ``_message_like``: a literal of another type, a path, or a constructor is no message."""
    first = tokens[0]
    if first.type in _NOT_A_MESSAGE:
        return False
    if first.type == "identifier" and len(tokens) > 1:
        after = tokens[1]
        if after.type == "::":
            path = []
            for token in tokens:
                if token.type not in ("identifier", "::"):
                    break
                path.append(rule.text(token))
            return _is_constant("".join(path))
        if after.type == "token_tree" and rule.text(after)[:1] in "({":
            return not rule.text(first)[:1].isupper()
    return True
