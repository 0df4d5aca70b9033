"""codex's findings and problems as Language Server Protocol values: diagnostics with ranges in the client's units
(UTF-16 by default), a fix and an override comment as workspace edits."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import PositionCodec

from codex.model import Stage, statement
from codex.problems import Problem
from reviewer.finding import Finding
from reviewer.overrides import override_comment

SOURCE = "codex"
_SEVERITY = {Stage.block: types.DiagnosticSeverity.Error, Stage.warn: types.DiagnosticSeverity.Warning}


def text_lines(text: str) -> list[str]:
    """The lines as the engines number them (split at ``\\n`` only: a form feed is not a line end)."""
    return text.split("\n")


def finding_diagnostic(finding: Finding, lines: list[str], codec: PositionCodec) -> types.Diagnostic:
    """A finding as the editor shows it: ``code`` the rule id, severity from the stage in force (a finding let
    through by an override is information), the statement and remedy as the message, the RFC as ``codeDescription``
    when it has a web address."""
    remedy = finding.use if finding.engine == "codex" else statement(finding.need, finding.use)
    message = f"{finding.message}. {remedy}"
    severity = _SEVERITY.get(finding.stage, types.DiagnosticSeverity.Information)
    if finding.overridden:
        message += f" (let through by an override: {finding.override_reason})"
        severity = types.DiagnosticSeverity.Information
    url = finding.rfc.web_url
    return types.Diagnostic(
        range=finding_range(finding, lines, codec),
        message=message,
        severity=severity,
        code=finding.rule_id,
        source=SOURCE,
        code_description=types.CodeDescription(href=url) if url else None,
    )


def problem_diagnostic(problem: Problem, lines: list[str], codec: PositionCodec) -> types.Diagnostic:
    """A problem of the run (an engine that failed, a stale ruleset, a file left unchecked) on the first line."""
    severity = types.DiagnosticSeverity.Warning if problem.kind in ("skipped", "stale-ruleset") else types.DiagnosticSeverity.Error
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=_line_end(lines, 0, codec)),
        message=str(problem),
        severity=severity,
        code=problem.kind,
        source=SOURCE,
    )


def finding_range(finding: Finding, lines: list[str], codec: PositionCodec) -> types.Range:
    """From the finding's column to its end column (characters; to the end of its last line when the engine gives
    none), in the client's units."""
    start = _position(lines, finding.line - 1, finding.column - 1, codec)
    if finding.end_column is None:
        return types.Range(start=start, end=_line_end(lines, finding.end_line - 1, codec))
    return types.Range(start=start, end=_position(lines, finding.end_line - 1, finding.end_column - 1, codec))


def fix_edit(uri: str, version: int | None, finding: Finding, fix: str, lines: list[str], codec: PositionCodec) -> types.WorkspaceEdit:
    """Lines ``line``..``end_line`` of the finding replaced by ``fix`` (their line ending kept), for this version only."""
    edit = types.TextEdit(
        range=types.Range(start=types.Position(line=finding.line - 1, character=0), end=_line_end(lines, finding.end_line - 1, codec)), new_text=fix
    )
    return _document_edit(uri, version, edit)


def override_edit(uri: str, version: int | None, finding: Finding, lines: list[str]) -> types.WorkspaceEdit | None:
    """A ``codex: allow ID -- <why it is safe here>`` line above the finding, indented as its line, in the file's comment
    syntax (None: the language has no comments)."""
    comment = override_comment(finding.path, finding.rule_id)
    if comment is None:
        return None
    line = lines[finding.line - 1] if finding.line <= len(lines) else ""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    newline = "\r\n" if line.endswith("\r") else "\n"
    at = types.Position(line=finding.line - 1, character=0)
    return _document_edit(uri, version, types.TextEdit(range=types.Range(start=at, end=at), new_text=f"{indent}{comment}{newline}"))


def contains(outer: types.Range, position: types.Position) -> bool:
    return (outer.start.line, outer.start.character) <= (position.line, position.character) <= (outer.end.line, outer.end.character)


def overlaps(one: types.Range, other: types.Range) -> bool:
    return (one.start.line, one.start.character) <= (other.end.line, other.end.character) and (other.start.line, other.start.character) <= (
        one.end.line,
        one.end.character,
    )


def _document_edit(uri: str, version: int | None, edit: types.TextEdit) -> types.WorkspaceEdit:
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=[edit])])


def _position(lines: list[str], line: int, character: int, codec: PositionCodec) -> types.Position:
    return codec.position_to_client_units(lines, types.Position(line=line, character=character))


def _line_end(lines: list[str], line: int, codec: PositionCodec) -> types.Position:
    text = lines[line] if 0 <= line < len(lines) else ""
    return _position(lines, line, len(text.removesuffix("\r")), codec)
