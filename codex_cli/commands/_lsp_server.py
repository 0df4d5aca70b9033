"""The codex language server (pygls): diagnostics on open, change (debounced) and save; a rule's fix and an override
comment as code actions; the rule's page on hover; the ruleset reloaded when rfcs/ or the configuration changes.

Checks run one at a time on a worker thread, each on a snapshot of the document; a result is published only while
its version is still the document's, so an older check never overwrites a newer one."""

from __future__ import annotations

import asyncio
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path, uri_scheme

from codex import __version__
from codex.catalog import Catalog, load_catalog
from codex.config import CONFIG_FILES, CodexConfig, load_config
from codex.languages import language_of
from codex.model import LlmMatcher, Ruleset
from codex.problems import Problem, ProblemError
from codex.ruleset_source import LoadedRuleset, load_active
from codex_cli.commands._common import find_root
from codex_cli.commands._lsp_convert import (
    contains,
    finding_diagnostic,
    fix_edit,
    overlaps,
    override_edit,
    problem_diagnostic,
    text_lines,
)
from reviewer.finding import Finding

CHANGE_DELAY = 0.3  # seconds of quiet after a change before it is checked; open and save are checked at once


class Unchecked(Exception):
    """A document codex does not check (not a file, outside the workspace, no rule for its language): logged."""


@dataclass
class Checked:
    """The diagnostics published for one version of a document, with the findings behind them."""

    version: int | None
    lines: list[str]
    findings: list[tuple[Finding, types.Diagnostic]] = field(default_factory=list)
    problems: list[types.Diagnostic] = field(default_factory=list)  # on the first line


class CodexLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("codex", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.root = Path.cwd()  # until the client says (initialized)
        self.config = CodexConfig()
        self.loaded: LoadedRuleset | None = None
        self.static: Ruleset | None = None  # the loaded rules less the judgment (LLM) rules, which an editor never runs
        self.catalog: Catalog | None = None
        self.unusable: list[Problem] = []  # why there is no ruleset at all
        self.checked: dict[str, Checked] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.watching: asyncio.Task[None] | None = None  # the file-watch registration, held so it is not collected mid-flight
        self.told: set[tuple[str, str]] = set()  # (document, why it is not checked) already logged
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codex-check")  # loads and checks, in order

    def load(self) -> None:
        """(Re)read the configuration and the ruleset as ``codex check`` chooses it (stale when rfcs/ do not compile);
        what went wrong is shown."""
        try:
            self.config = load_config(self.root)
            self.loaded = load_active(self.root, self.config, stale_ok=True)
            self.catalog = load_catalog(self.root, self.config, self.loaded)
            rules = self.loaded.ruleset.rules
            self.static = self.loaded.ruleset.model_copy(update={"rules": tuple(r for r in rules if not isinstance(r.matcher, LlmMatcher))})
            self.unusable = []
        except Exception as exc:  # a ruleset that cannot be loaded is said, and documents say why they are not checked
            problems = exc.problems if isinstance(exc, ProblemError) else [Problem(message=f"{type(exc).__name__}: {exc}", kind="internal")]
            self.loaded, self.static, self.catalog, self.unusable = None, None, None, problems
            self.tell(types.MessageType.Error, "codex: no usable ruleset, nothing is checked: " + "; ".join(map(str, problems)))
            return
        if self.loaded.problems:
            self.tell(types.MessageType.Warning, "codex: " + "; ".join(map(str, self.loaded.problems)))
        judgment = len(self.loaded.ruleset.rules) - len(self.static.rules)
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=(
            f"codex: {len(self.static.rules)} rules ({self.loaded.origin}) for {self.root}; "
            f"{judgment} judgment rule(s) are left to `codex check` (no LLM while typing)")))

    def tell(self, kind: types.MessageType, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def schedule(self, uri: str, delay: float) -> None:
        """Check the document after ``delay`` seconds, replacing a check of it that has not started."""
        if (waiting := self.pending.pop(uri, None)) is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check_after(uri, delay))

    async def _check_after(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self.pending.pop(uri, None)
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return
        version, text = document.version, document.source
        try:
            checked = await asyncio.get_running_loop().run_in_executor(self.worker, self.diagnose, uri, version, text)
        except Unchecked as why:
            if (uri, str(why)) not in self.told:  # once per document, not on every keystroke
                self.told.add((uri, str(why)))
                self.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=f"codex: {why}"))
            checked = Checked(version, text_lines(text))
        except Exception as exc:  # a check that failed is said on the document, and the server goes on
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message="".join(traceback.format_exception(exc))))
            lines = text_lines(text)
            failure = Problem(message=f"internal error while checking: {type(exc).__name__}: {exc}", kind="internal")
            checked = Checked(version, lines, problems=[problem_diagnostic(failure, lines, self.workspace.position_codec)])
        self._publish(uri, checked)

    def _publish(self, uri: str, checked: Checked) -> None:
        """Publish unless the document has moved on (or closed) since this version was read."""
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != checked.version:
            return
        self.checked[uri] = checked
        diagnostics = [d for _, d in checked.findings] + checked.problems
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=checked.version))

    def diagnose(self, uri: str, version: int | None, text: str) -> Checked:
        """Check one snapshot of a document (on the worker thread)."""
        from reviewer.buffer_check import check_buffer
        from reviewer.check import CheckOptions
        from reviewer.formatters.base import shown

        path = self.repository_path(uri)
        lines = text_lines(text)
        codec = self.workspace.position_codec
        checked = Checked(version, lines)
        if self.loaded is None or self.static is None:
            checked.problems = [problem_diagnostic(Problem(message=f"no usable ruleset, nothing was checked: {p}", kind=p.kind), lines, codec)
                                for p in self.unusable]
            return checked
        covered = {language for rule in self.static.rules for language in rule.languages}
        if language_of(path) not in covered:
            raise Unchecked(f"{path}: no active rule covers {language_of(path) or 'this kind of file'}; not checked")
        options = CheckOptions.configured(self.config, self.root, use_llm=False, ruleset_origin=self.loaded.origin)
        report = check_buffer(self.static, self.root, path, text, options)
        checked.findings = [(f, finding_diagnostic(f, lines, codec)) for f in shown(report)]
        checked.problems = [problem_diagnostic(p, lines, codec) for p in [*self.loaded.problems[:1], *report.errors]]
        return checked

    def repository_path(self, uri: str) -> str:
        """The document's path relative to the workspace root; :class:`Unchecked` when it has none."""
        from reviewer.buffer_check import repository_path

        if uri_scheme(uri) != "file":
            raise Unchecked(f"{uri}: not a file on disk; codex checks the workspace's files")
        try:
            return repository_path(self.root, to_fs_path(uri) or "")
        except ProblemError as exc:
            raise Unchecked("; ".join(map(str, exc.problems))) from None

    def reload_if_relevant(self, changes: list[types.FileEvent]) -> None:
        """Reload the ruleset and re-check every open document when rfcs/, rules/ or a configuration file changed."""
        watched = [self.root / self.config.rfcs, self.root / self.config.rules]
        configs = {self.root / name for name in CONFIG_FILES}
        for change in changes:
            path = Path(to_fs_path(change.uri) or "") if uri_scheme(change.uri) == "file" else None
            if path is not None and (path in configs or any(path.is_relative_to(d) for d in watched)):
                break
        else:
            return
        self.worker.submit(self.load)
        for uri in self.workspace.text_documents:
            self.schedule(uri, 0)

    def watchers(self) -> list[types.FileSystemWatcher]:
        patterns = [f"**/{self.config.rfcs}/**", f"**/{self.config.rules}/**", *(f"**/{name}" for name in CONFIG_FILES)]
        return [types.FileSystemWatcher(glob_pattern=pattern) for pattern in patterns]

    def hover(self, uri: str, position: types.Position) -> types.Hover | None:
        from codex_cli.commands.explain import page_text

        checked, catalog = self.checked.get(uri), self.catalog
        if checked is None or catalog is None:
            return None
        for finding, diagnostic in checked.findings:
            rule = catalog.ruleset.rule(finding.rule_id)
            if rule is not None and contains(diagnostic.range, position):
                page = page_text(catalog, rule.id, width=88)
                return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"```text\n{page}```"),
                                   range=diagnostic.range)
        return None

    def code_actions(self, uri: str, wanted: types.Range) -> list[types.CodeAction]:
        checked = self.checked.get(uri)
        if checked is None:
            return []
        actions = []
        for finding, diagnostic in checked.findings:
            if not overlaps(diagnostic.range, wanted) or finding.engine == "codex":
                continue
            if finding.fix is not None:
                actions.append(types.CodeAction(
                    title=f"Apply the fix of {finding.rule_id}", kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic], is_preferred=True,
                    edit=fix_edit(uri, checked.version, finding, finding.fix, checked.lines, self.workspace.position_codec)))
            if not finding.overridden and (edit := override_edit(uri, checked.version, finding, checked.lines)) is not None:
                actions.append(types.CodeAction(title=f"Allow {finding.rule_id} here (codex: allow, with a reason)",
                                                kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic], edit=edit))
        return actions


def build_server() -> CodexLanguageServer:
    server = CodexLanguageServer()

    @server.feature(types.INITIALIZED)
    def initialized(ls: CodexLanguageServer, params: types.InitializedParams) -> None:
        folders = ls.workspace.folders
        root = ls.workspace.root_path or (to_fs_path(next(iter(folders.values())).uri) if folders else None)
        ls.root = Path(root).resolve() if root is not None else find_root(None)  # no workspace: the checkout around here
        ls.watching = asyncio.ensure_future(_watch(ls, ls.worker.submit(ls.load)))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CodexLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CodexLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, CHANGE_DELAY)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CodexLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CodexLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if (waiting := ls.pending.pop(uri, None)) is not None:
            waiting.cancel()
        ls.checked.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(ls: CodexLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.reload_if_relevant(list(params.changes))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: CodexLanguageServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params.text_document.uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: CodexLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params.text_document.uri, params.range)

    return server


async def _watch(ls: CodexLanguageServer, loading: Future[None]) -> None:
    """Once the configuration is read, ask the client to report changes to rfcs/, rules/ and the configuration files
    (when it can)."""
    await asyncio.wrap_future(loading)
    capability = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
    if not (capability and capability.dynamic_registration):
        message = "codex: the client cannot watch files; restart the server after changing rfcs/ or the configuration"
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=message))
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(watchers=ls.watchers())
    registration = types.Registration(id="codex-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as exc:  # a client that refuses: reloading is off, said plainly
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=f"codex: the client did not watch rfcs/: {exc}"))


def serve() -> None:
    build_server().start_io()
