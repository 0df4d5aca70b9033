"""The codex language server (pygls): diagnostics on open, change (debounced) and save; a rule's fix and an override
comment as code actions; the rule's page on hover; the ruleset reloaded when rfcs/ or the configuration changes.
Every workspace folder is served with its own configuration and ruleset: a document is checked by the folder that
holds it (the innermost one).

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
    folder: Folder | None = None
    findings: list[tuple[Finding, types.Diagnostic]] = field(default_factory=list)
    problems: list[types.Diagnostic] = field(default_factory=list)  # on the first line


@dataclass
class Folder:
    """A workspace folder with the configuration and ruleset ``codex check`` would use there."""

    root: Path
    config: CodexConfig = field(default_factory=CodexConfig)
    loaded: LoadedRuleset | None = None
    static: Ruleset | None = None  # the loaded rules less the judgment (LLM) rules, which an editor never runs
    catalog: Catalog | None = None
    unusable: list[Problem] = field(default_factory=list)  # why there is no ruleset at all

    def watched(self, path: Path) -> bool:
        """Whether ``path`` is one of the files this folder's ruleset is made from (rfcs/, rules/, a configuration)."""
        return path in {self.root / name for name in CONFIG_FILES} or any(
            path.is_relative_to(self.root / folder) for folder in (self.config.rfcs, self.config.rules)
        )


class CodexLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("codex", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.folders: list[Folder] = []  # until the client says (initialized)
        self.checked: dict[str, Checked] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.watch_tasks: set[asyncio.Task[None]] = set()  # file-watch registrations, held so they are not collected mid-flight
        self.told: set[tuple[str, str]] = set()  # (document, why it is not checked) already logged
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codex-check")  # loads and checks, in order
        self.watching: list[types.FileSystemWatcher] | None = None  # what the client was asked to watch
        self.registrations = 0
        self.rewatching = asyncio.Lock()

    def load(self, folder: Folder) -> None:
        """(Re)read the folder's configuration and ruleset as ``codex check`` chooses them (stale when rfcs/ do not
        compile); what went wrong is shown."""
        try:
            folder.config = load_config(folder.root)
            folder.loaded = load_active(folder.root, folder.config, stale_ok=True)
            folder.catalog = load_catalog(folder.root, folder.config, folder.loaded)
            rules = folder.loaded.ruleset.rules
            folder.static = folder.loaded.ruleset.model_copy(update={"rules": tuple(r for r in rules if not isinstance(r.matcher, LlmMatcher))})
            folder.unusable = []
        except Exception as exc:  # a ruleset that cannot be loaded is said, and documents say why they are not checked
            problems = exc.problems if isinstance(exc, ProblemError) else [Problem(message=f"{type(exc).__name__}: {exc}", kind="internal")]
            folder.loaded, folder.static, folder.catalog, folder.unusable = None, None, None, problems
            self.tell(types.MessageType.Error, "codex: no usable ruleset, nothing is checked: " + "; ".join(map(str, problems)))
            return
        if folder.loaded.problems:
            self.tell(types.MessageType.Warning, "codex: " + "; ".join(map(str, folder.loaded.problems)))
        judgment = len(folder.loaded.ruleset.rules) - len(folder.static.rules)
        self.window_log_message(
            types.LogMessageParams(
                type=types.MessageType.Info,
                message=(
                    f"codex: {len(folder.static.rules)} rules ({folder.loaded.origin}) for {folder.root}; "
                    f"{judgment} judgment rule(s) are left to `codex check` (no LLM while typing)"
                ),
            )
        )

    def folder_of(self, path: Path) -> Folder | None:
        """The innermost workspace folder holding ``path``."""
        holding = [f for f in self.folders if path.is_relative_to(f.root)]
        return max(holding, key=lambda f: len(f.root.parts), default=None)

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
        """Check one snapshot of a document (on the worker thread) with the ruleset of the folder holding it."""
        from reviewer.buffer_check import check_buffer
        from reviewer.check import CheckOptions
        from reviewer.formatters.base import shown

        folder, path = self.place(uri)
        lines = text_lines(text)
        codec = self.workspace.position_codec
        checked = Checked(version, lines, folder)
        if folder.loaded is None or folder.static is None:
            checked.problems = [
                problem_diagnostic(Problem(message=f"no usable ruleset, nothing was checked: {p}", kind=p.kind), lines, codec) for p in folder.unusable
            ]
            return checked
        covered = {language for rule in folder.static.rules for language in rule.languages}
        if language_of(path) not in covered:
            raise Unchecked(f"{path}: no active rule covers {language_of(path) or 'this kind of file'}; not checked")
        options = CheckOptions.configured(folder.config, folder.root, use_llm=False, ruleset_origin=folder.loaded.origin)
        report = check_buffer(folder.static, folder.root, path, text, options)
        checked.findings = [(f, finding_diagnostic(f, lines, codec)) for f in shown(report)]
        checked.problems = [problem_diagnostic(p, lines, codec) for p in [*folder.loaded.problems[:1], *report.errors]]
        return checked

    def place(self, uri: str) -> tuple[Folder, str]:
        """The folder holding the document and its path there; :class:`Unchecked` when it has none."""
        from reviewer.buffer_check import repository_path

        if uri_scheme(uri) != "file":
            raise Unchecked(f"{uri}: not a file on disk; codex checks the workspace's files")
        path = to_fs_path(uri) or ""
        folder = self.folder_of(Path(path).resolve())
        if folder is None:
            roots = ", ".join(str(f.root) for f in self.folders)
            raise Unchecked(f"{path}: in no workspace folder ({roots}); not checked")
        try:
            return folder, repository_path(folder.root, path)
        except ProblemError as exc:
            raise Unchecked("; ".join(map(str, exc.problems))) from None

    def reload_if_relevant(self, changes: list[types.FileEvent]) -> None:
        """Reload the ruleset of each folder whose rfcs/, rules/ or configuration file changed, re-check every open
        document, and watch the folders' rfcs/ and rules/ anew when the configuration moved them."""
        paths = [Path(to_fs_path(c.uri) or "").resolve() for c in changes if uri_scheme(c.uri) == "file"]
        changed = [folder for folder in self.folders if any(folder.watched(path) for path in paths)]
        if not changed:
            return
        self.reload(changed)

    def reload(self, folders: list[Folder]) -> None:
        loads = [self.worker.submit(self.load, folder) for folder in folders]
        for uri in self.workspace.text_documents:
            self.schedule(uri, 0)
        task = asyncio.ensure_future(_watch(self, loads))
        self.watch_tasks.add(task)
        task.add_done_callback(self.watch_tasks.discard)

    def watchers(self) -> list[types.FileSystemWatcher]:
        """rfcs/ and rules/ as each folder's configuration names them, and the configuration files."""
        folders = [pattern for f in self.folders for pattern in (f"**/{f.config.rfcs}/**", f"**/{f.config.rules}/**")]
        patterns = dict.fromkeys([*folders, *(f"**/{name}" for name in CONFIG_FILES)])
        return [types.FileSystemWatcher(glob_pattern=pattern) for pattern in patterns]

    def hover(self, uri: str, position: types.Position) -> types.Hover | None:
        from codex_cli.commands.explain import page_text

        checked = self.checked.get(uri)
        catalog = checked.folder.catalog if checked is not None and checked.folder is not None else None
        if checked is None or catalog is None:
            return None
        for finding, diagnostic in checked.findings:
            rule = catalog.ruleset.rule(finding.rule_id)
            if rule is not None and contains(diagnostic.range, position):
                page = page_text(catalog, rule.id, width=88)
                return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"```text\n{page}```"), range=diagnostic.range)
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
                actions.append(
                    types.CodeAction(
                        title=f"Apply the fix of {finding.rule_id}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=True,
                        edit=fix_edit(uri, checked.version, finding, finding.fix, checked.lines, self.workspace.position_codec),
                    )
                )
            if not finding.overridden and (edit := override_edit(uri, checked.version, finding, checked.lines)) is not None:
                actions.append(
                    types.CodeAction(
                        title=f"Allow {finding.rule_id} here (codex: allow, with a reason)",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=edit,
                    )
                )
        return actions


def build_server() -> CodexLanguageServer:
    server = CodexLanguageServer()

    @server.feature(types.INITIALIZED)
    def initialized(ls: CodexLanguageServer, params: types.InitializedParams) -> None:
        roots = [to_fs_path(f.uri) for f in ls.workspace.folders.values()] or [ls.workspace.root_path]
        ls.folders = [Folder(Path(root).resolve()) for root in roots if root]
        if not ls.folders:  # no workspace: the checkout around here
            ls.folders = [Folder(find_root(None))]
        ls.reload(ls.folders)

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

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(ls: CodexLanguageServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        removed = {Path(to_fs_path(f.uri) or "").resolve() for f in params.event.removed}
        added = [Folder(Path(to_fs_path(f.uri) or "").resolve()) for f in params.event.added]
        ls.folders = [f for f in ls.folders if f.root not in removed] + added
        ls.reload(added)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: CodexLanguageServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params.text_document.uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: CodexLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params.text_document.uri, params.range)

    return server


async def _watch(ls: CodexLanguageServer, loading: list[Future[None]]) -> None:
    """Once the configurations are read, ask the client to report changes to the folders' rfcs/, rules/ and the
    configuration files (when it can), again whenever a configuration moves them."""
    await asyncio.gather(*map(asyncio.wrap_future, loading))
    async with ls.rewatching:
        watchers = ls.watchers()
        if watchers == ls.watching:
            return
        capability = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if not (capability and capability.dynamic_registration):
            if ls.watching is None:
                message = "codex: the client cannot watch files; restart the server after changing rfcs/ or the configuration"
                ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=message))
                ls.watching = []
            return
        try:
            if ls.watching is not None:
                old = types.Unregistration(id=f"codex-watch-{ls.registrations}", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
                await ls.client_unregister_capability_async(types.UnregistrationParams(unregisterations=[old]))
            ls.registrations += 1
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
            registration = types.Registration(id=f"codex-watch-{ls.registrations}", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
            ls.watching = watchers
        except Exception as exc:  # a client that refuses: reloading is off, said plainly
            ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=f"codex: the client did not watch rfcs/: {exc}"))


def serve() -> None:
    build_server().start_io()
