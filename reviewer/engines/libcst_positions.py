"""Where the nodes libcst rules flag are (libcst's ``PositionProvider`` ranges), without generating the code of what
surrounds them.

The provider generates code to count lines and columns: over the whole module, or (``by_statements``) over the
top-level statements holding a finding, which is still a whole class for one call in one of its methods. A ``Call`` or
an ``ExceptHandler`` (what the shipped rules flag) is placed from CPython's ``ast`` instead, parsed anyway for the
screens: the n-th such node in libcst's source order is the n-th in the ast's, and its range is kept only when its own
code, generated alone with the indentation of the statement it is in, is the source text at the place ``ast`` gives,
and ends where ``ast`` says it ends. Then the provider, over the whole module, would generate that same text there and
count the same lines and columns. Anything else goes to ``by_statements``.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Mapping
from typing import cast

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from codex.lint import Sighting
from reviewer.engines.libcst import characters

_LINE_END = re.compile(r"\r\n?|\n")  # as libcst's provider and CPython's tokenizer end lines
_INDENT = " \t\f"


class SourceOrder(cst.BatchableCSTVisitor):
    """The nodes ``ast`` can place, by ast node type, in libcst's source order; calls inside an f-string are left out on
    both sides (CPython 3.11's ast can misplace what is inside one). Batched with the rules' visit."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[str, list[cst.CSTNode]] = {"Call": [], "ExceptHandler": []}
        self.complete = False  # the visit reached the module's end
        self._fstrings = 0

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._fstrings += 1

    def leave_FormattedString(self, original_node: cst.FormattedString) -> None:
        self._fstrings -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if not self._fstrings:
            self.nodes["Call"].append(node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.nodes["ExceptHandler"].append(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.nodes["ExceptHandler"].append(node)  # ast: an ExceptHandler of a TryStar

    def leave_Module(self, original_node: cst.Module) -> None:
        self.complete = True


def positions(
    module: cst.Module, nodes: set[cst.CSTNode], text: str | None, seen: Sighting | None, order: SourceOrder | None
) -> tuple[Mapping[cst.CSTNode, CodeRange], str]:
    """Where ``nodes`` are, and the module's code. ``text``: the source decoded, when it is UTF-8 (``ast`` counts columns
    in its bytes), else None; ``seen`` and ``order``: the file's ast and source order, None when there are none."""
    placed = from_ast(module, nodes, text, seen, order) if text is not None and seen is not None and order is not None and order.complete else {}
    rest = nodes - placed.keys()
    if not rest and text is not None:
        return placed, text
    found, code = by_statements(module, rest)
    return {**placed, **found}, code


def from_ast(module: cst.Module, nodes: set[cst.CSTNode], text: str, seen: Sighting, order: SourceOrder) -> dict[cst.CSTNode, CodeRange]:
    """The ranges of the ``nodes`` that ``ast`` places (see the module's docstring); the others are left out."""
    starts = [0, *(m.end() for m in _LINE_END.finditer(text))]
    statements: list[ast.stmt] | None = None
    placed: dict[cst.CSTNode, CodeRange] = {}
    for kind, in_libcst in order.nodes.items():
        wanted = [(i, node) for i, node in enumerate(in_libcst) if node in nodes]
        if not wanted:
            continue
        in_ast = _in_source_order(seen, kind)
        if len(in_ast) != len(in_libcst):
            continue
        statements = statements if statements is not None else sorted(_statements(seen), key=lambda s: (s.lineno, s.col_offset))
        for i, node in wanted:
            found = _placed(module, node, in_ast[i], text, starts, statements)
            if found is not None:
                placed[node] = found
    return placed


def _in_source_order(seen: Sighting, kind: str) -> list[ast.AST]:
    """The ast's nodes of ``kind`` outside f-strings, in source order (an enclosing node before the nodes it holds)."""
    inside = {id(n) for joined in seen.nodes.get("JoinedStr", ()) for n in ast.walk(joined)}
    found = [n for n in seen.nodes.get(kind, ()) if id(n) not in inside]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))  # type: ignore[attr-defined]


def _statements(seen: Sighting) -> list[ast.stmt]:
    return [n for found in seen.nodes.values() if found and isinstance(found[0], ast.stmt) for n in found if isinstance(n, ast.stmt)]


def _placed(module: cst.Module, node: cst.CSTNode, twin: ast.AST, text: str, starts: list[int], statements: list[ast.stmt]) -> CodeRange | None:
    """``node``'s range when its code, generated alone, is the text where ``twin`` (its ast node) is; else None."""
    start, end = (_offset(text, starts, *at) for at in ((twin.lineno, twin.col_offset), (twin.end_lineno, twin.end_col_offset)))  # type: ignore[attr-defined]
    provider = PositionProvider()
    indent = _indent(text, starts, statements, (twin.lineno, twin.col_offset))  # type: ignore[attr-defined]
    state = PositionProvidingCodegenState(
        default_indent=module.default_indent, default_newline=module.default_newline, provider=provider, indent_tokens=[indent] if indent else []
    )
    node._codegen(state)
    code = "".join(state.tokens)
    alone = cast(CodeRange, provider._computed[node])  # the provider computes ranges eagerly
    lines = [0, *(m.end() for m in _LINE_END.finditer(code))]
    begin = start - (lines[alone.start.line - 1] + alone.start.column)  # where the node's code (its parentheses, say) begins
    if begin < 0 or text[begin : begin + len(code)] != code or begin + lines[alone.end.line - 1] + alone.end.column != end:
        return None
    line = bisect.bisect_right(starts, begin)
    column = begin - starts[line - 1]

    def shifted(at: CodePosition) -> CodePosition:
        return CodePosition(line + at.line - 1, at.column + column if at.line == 1 else at.column)

    return CodeRange(shifted(alone.start), shifted(alone.end))


def _offset(text: str, starts: list[int], line: int, byte_column: int) -> int:
    """The offset in ``text`` of ``ast``'s line and column (UTF-8 bytes)."""
    return starts[line - 1] + characters(text[starts[line - 1] : starts[line - 1] + byte_column], byte_column)


def _indent(text: str, starts: list[int], statements: list[ast.stmt], at: tuple[int, int]) -> str:
    """The indentation of the innermost statement holding ``at``: what libcst's indent tokens add up to there."""
    for statement in reversed(statements[: bisect.bisect_right(statements, at, key=lambda s: (s.lineno, s.col_offset))]):
        if at <= (statement.end_lineno or 0, statement.end_col_offset or 0):
            line = text[starts[statement.lineno - 1] : starts[statement.lineno] if statement.lineno < len(starts) else len(text)]
            return line[: len(line) - len(line.lstrip(_INDENT))]
    return ""


def by_statements(module: cst.Module, nodes: set[cst.CSTNode]) -> tuple[Mapping[cst.CSTNode, CodeRange], str]:
    """Where ``nodes`` are, and the module's code, by libcst's ``PositionProvider`` run on the top-level statements that
    hold the nodes alone, each shifted by the lines before it (over the whole module it costs about as much as the
    scope analysis). A node in no statement (the module itself) is placed by a run over the whole module."""
    from libcst._nodes.internal import CodegenState

    statements = set(module.body)
    holders: dict[cst.CSTNode, cst.CSTNode] = {}  # a node → the top-level statement it is in
    starts: dict[cst.CSTNode, int] = {}  # a top-level statement → how many characters precede it

    class Locating(CodegenState):  # plain code generation that notes the statements and the nodes in them
        current: cst.CSTNode | None = None

        def before_codegen(self, node: cst.CSTNode) -> None:
            if node in statements:
                self.current = node
                starts[node] = len(self.tokens)
            if node in nodes and self.current is not None:
                holders[node] = self.current

    state = Locating(default_indent=module.default_indent, default_newline=module.default_newline)
    module._codegen(state)
    code = "".join(state.tokens)
    if len(holders) < len(nodes):
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider), code
    positions: dict[cst.CSTNode, CodeRange] = {}
    for statement in set(holders.values()):  # a statement starts a line: only the line numbers shift
        before = len(_LINE_END.findall(code, 0, sum(map(len, state.tokens[: starts[statement]]))))  # newlines are whole tokens
        alone = MetadataWrapper(module.with_changes(header=[], body=[statement], footer=[]), unsafe_skip_copy=True).resolve(PositionProvider)
        for node in (n for n, holder in holders.items() if holder is statement):
            start, end = alone[node].start, alone[node].end
            positions[node] = CodeRange(CodePosition(start.line + before, start.column), CodePosition(end.line + before, end.column))
    return positions, code
