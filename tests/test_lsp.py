"""``codex lsp`` end to end: a pytest-lsp client drives the real server process over stdio, in a real git repository
with its own RFC (a semgrep rule with a fix, its RFC on the web) on top of the shipped codex (real semgrep, libcst)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from codex_testing import PROJECT_ROOT
from codex_testing.rfcs import rfc, rule

E, W, I = types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning, types.DiagnosticSeverity.Information  # noqa: E741  # as editors letter them
EVAL_RULE = rule("CX0100", matcher="pattern: eval($X)\nfix: ast.literal_eval($X)\n")
CONFIG = 'rfc_base_url = "https://example.invalid/codex/blob/main"\nmax_file_bytes = 4096\n'
# Line 2: semgrep counts UTF-8 bytes ("é" 2, "😀" 4); line 4: libcst counts characters; UTF-16 counts "😀" as 2.
SOURCE = 'import yaml, requests\nx = "é😀"; y = yaml.load(s)\ndef f(u):\n    z = "😀"; requests.get(u)\n    return eval(u)\nassert x\ny = "é😀"; eval(y)\n'


def _range(line: int, start: int, end_line: int, end: int) -> types.Range:
    return types.Range(start=types.Position(line=line, character=start), end=types.Position(line=end_line, character=end))


def _edits(action: types.CodeAction) -> tuple:
    """An action's title and its one document edit as (uri, version, [(range, text)])."""
    (change,) = action.edit.document_changes
    edits = [((e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.new_text) for e in change.edits]
    return action.title, change.text_document.uri, change.text_document.version, edits


def _brief(diagnostics) -> list[tuple]:
    return [(d.code, d.severity, (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)) for d in diagnostics]


class Client(LanguageClient):
    """The test client, recording every publishDiagnostics (pytest-lsp keeps only the last per document) and the
    server's registrations."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self.unregistrations: list[types.Unregistration] = []

    async def published_for(self, uri: str, version: int | None = None, timeout: float = 60) -> types.PublishDiagnosticsParams:
        """The first diagnostics published for ``uri`` (at ``version``), waiting for them."""
        return await _until(lambda: next((p for p in self.published if p.uri == uri and (version is None or p.version == version)), None), timeout)


def _publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.published.append(params)


def _register(client: Client, params: types.RegistrationParams) -> None:
    client.registrations += params.registrations


def _unregister(client: Client, params: types.UnregistrationParams) -> None:
    client.unregistrations += params.unregisterations


def _make_client() -> Client:
    client = Client(converter_factory=default_converter)
    register_lsp_features(
        client,
        {
            **DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _publish,
            types.CLIENT_REGISTER_CAPABILITY: _register,
            types.CLIENT_UNREGISTER_CAPABILITY: _unregister,
        },
    )
    return client


async def _until(found: Callable[[], object], timeout: float = 60):
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := found()) is None:
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)
    return value


def _repository(repo) -> Path:
    repo.commit("codex", {".codex.toml": CONFIG, "rfcs/0100-no-eval.md": rfc(rules=EVAL_RULE), "app/__init__.py": "", "app/notes.txt": "eval(x)\n"})
    return repo.path


@pytest.fixture(scope="module")
def repo(git_repo_factory) -> Path:
    """The repository the module's one server serves (tests open documents of their own there, and change no file)."""
    return _repository(git_repo_factory())


@pytest.fixture
def own_repo(git_repo) -> Path:
    """A repository for one test, whose RFCs it changes."""
    return _repository(git_repo())


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "codex_cli", "lsp"], client_factory=_make_client, server_env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
)


async def _session(client: Client, root: Path, *more: Path):
    folders = [types.WorkspaceFolder(uri=r.as_uri(), name=r.name) for r in (root, *more)] if more else None
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(), workspace_folders=folders)
    )
    yield
    await client.shutdown_session()


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: Client, repo: Path):
    async for _ in _session(lsp_client, repo):
        yield


@pytest_lsp.fixture(config=SERVER)
async def own_client(lsp_client: Client, own_repo: Path):
    async for _ in _session(lsp_client, own_repo):
        yield


# a rule for Python and JSON alike (JSON has no comments: no rule can be written for JSON alone, its examples need them)
SETTINGS_RULE = (
    rule(
        "CX0200",
        config="severity: error\nlanguages: [python, json]\nmatcher: semgrep\n",
        matcher='pattern: |\n  {..., "debug": $V, ...}\n',
        statement="If you need verbose output, use `log_level`.",
    )
    .replace("eval(x)", 'settings = {"debug": 1}')
    .replace("ast.literal_eval(x)", 'settings = {"log_level": "debug"}')
)
DOCS_URL = "https://docs.example.invalid/codex"


@pytest.fixture
def two_repos(git_repo) -> tuple[Path, Path]:
    """Two workspace folders: `own` with its RFCs (CX0100, CX0200) and rfc_base_url, `shipped` with the shipped codex
    alone and a published catalog (docs_url)."""
    own = git_repo("own")
    own.commit(
        "codex",
        {
            ".codex.toml": CONFIG,
            "rfcs/0100-no-eval.md": rfc(rules=EVAL_RULE),
            "rfcs/0200-settings.md": rfc("RFC-0200", rules=SETTINGS_RULE),
            "app/__init__.py": "",
        },
    )
    shipped = git_repo("shipped")
    shipped.commit("codex", {"codex.toml": f'docs_url = "{DOCS_URL}"\n', "app/__init__.py": ""})
    return own.path, shipped.path


@pytest_lsp.fixture(config=SERVER)
async def two_folders_client(lsp_client: Client, two_repos: tuple[Path, Path]):
    async for _ in _session(lsp_client, *two_repos):
        yield


CRASHING = ClientServerConfig(
    server_command=[
        sys.executable,
        "-c",
        (
            "import sys, reviewer.buffer_check as b\n"
            "def check(ruleset, root, path, content, options, real=b.check_buffer):\n"
            "    if path.endswith('crash.py'):\n"
            "        raise RuntimeError('engine exploded')\n"
            "    return real(ruleset, root, path, content, options)\n"
            "b.check_buffer = check\n"
            "from codex_cli.main import main\n"
            "sys.exit(main(['lsp']))\n"
        ),
    ],
    client_factory=_make_client,
    server_env=SERVER.server_env,
)


@pytest_lsp.fixture(config=CRASHING)
async def crashing_client(lsp_client: Client, repo: Path):
    """A server whose checks raise on files named crash.py (a fault put in by the test: no input makes codex raise)."""
    async for _ in _session(lsp_client, repo):
        yield


SHARED = pytest.mark.asyncio(loop_scope="module")


def _open(client: Client, uri: str, text: str, version: int = 1, language: str = "python") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text))
    )


def _replace_all(client: Client, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


@SHARED
async def test_open_publishes_exact_diagnostics_in_utf16(client: Client, repo: Path):
    uri = (repo / "app" / "utf16.py").as_uri()
    _open(client, uri, SOURCE)
    published = await client.published_for(uri, 1)
    assert _brief(published.diagnostics) == [
        ("CX0006", E, (1, 15, 1, 27)),  # 'x = "é😀"; y = ' is 14 characters, 15 UTF-16 units
        ("CX0003", E, (3, 14, 3, 29)),  # '    z = "😀"; ' is 13 characters, 14 UTF-16 units
        ("CX0100", E, (4, 11, 4, 18)),
        ("CX0007", W, (5, 0, 5, 8)),
        ("CX0100", E, (6, 11, 6, 18)),
    ]
    by_code = {d.code: d for d in published.diagnostics}
    assert {d.source for d in published.diagnostics} == {"codex"}
    assert by_code["CX0100"].message == "No eval. If you need to evaluate user input, use `ast.literal_eval`."
    assert by_code["CX0100"].code_description == types.CodeDescription(href="https://example.invalid/codex/blob/main/rfcs/0100-no-eval.md#cx0100-no-eval")
    assert by_code["CX0006"].code_description is None  # the shipped codex has no web address here
    assert [(r.method, r.register_options) for r in client.registrations] == [
        (
            "workspace/didChangeWatchedFiles",
            {
                "watchers": [
                    {"globPattern": "**/rfcs/**"},
                    {"globPattern": "**/rules/**"},
                    {"globPattern": "**/.codex.toml"},
                    {"globPattern": "**/codex.toml"},
                    {"globPattern": "**/pyproject.toml"},
                ]
            },
        )
    ]


@SHARED
async def test_rust_ranges_from_tree_sitter_bytes_are_utf16(client: Client, repo: Path):
    uri = (repo / "src" / "lib.rs").as_uri()
    _open(client, uri, 'fn f(x: Option<u8>) -> u8 {\n    let _s = "é😀"; x.unwrap()\n}\n', language="rust")
    # the rule flags `unwrap()`: '    let _s = "é😀"; x.' before it is 21 characters, 22 UTF-16 units, 25 UTF-8 bytes
    assert _brief((await client.published_for(uri, 1)).diagnostics) == [("CX0001", E, (1, 22, 1, 30))]


@SHARED
async def test_a_change_is_checked_once_quiet_and_only_the_latest_version_is_published(client: Client, repo: Path):
    uri = (repo / "app" / "typed.py").as_uri()
    _open(client, uri, "x = 1\n")
    assert list((await client.published_for(uri, 1)).diagnostics) == []
    for version in range(2, 6):  # typed quickly: only the last text is checked
        _replace_all(client, uri, version, "x = 1\n" + "\n" * version + "eval(x)\n")
    published = await client.published_for(uri, 5)
    assert _brief(published.diagnostics) == [("CX0100", E, (6, 0, 6, 7))]
    await asyncio.sleep(0.5)
    assert [p.version for p in client.published if p.uri == uri] == [1, 5]


@SHARED
async def test_a_check_overtaken_by_a_change_is_not_published_and_close_clears(client: Client, repo: Path):
    uri = (repo / "app" / "overtaken.py").as_uri()
    _open(client, uri, "eval(x)\n")
    await asyncio.sleep(0.1)  # the check of version 1 has started (semgrep alone takes longer than this)
    _replace_all(client, uri, 2, "x = 1\n")
    assert list((await client.published_for(uri, 2)).diagnostics) == []
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await _until(lambda: next((p for p in client.published if p.uri == uri and p.version is None), None))
    assert [(p.version, list(p.diagnostics)) for p in client.published if p.uri == uri] == [(2, []), (None, [])]


@SHARED
async def test_save_checks_at_once(client: Client, repo: Path):
    uri = (repo / "app" / "saved.py").as_uri()
    _open(client, uri, "x = 1\n")
    await client.published_for(uri, 1)
    client.published.clear()
    _replace_all(client, uri, 2, "assert x\n")
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert _brief((await client.published_for(uri, 2)).diagnostics) == [("CX0007", W, (0, 0, 0, 8))]


@SHARED
async def test_a_finding_let_through_by_an_override_is_information(client: Client, repo: Path):
    uri = (repo / "app" / "allowed.py").as_uri()
    _open(client, uri, "x = 1\n# codex" + ": allow CX0007 -- the caller checked it\nassert x\n")  # split: no override of this file
    (allowed,) = (await client.published_for(uri, 1)).diagnostics
    assert (allowed.code, allowed.severity, _brief([allowed])[0][2], allowed.message) == (
        "CX0007",
        I,
        (2, 0, 2, 8),
        (
            "No assert in non-test code. If you need to validate input or state in production code, use an explicit `if` with a "
            "raised exception that names what is wrong (`ValueError`, `TypeError`, a domain error). "
            "(let through by an override: the caller checked it)"
        ),
    )


@SHARED
async def test_code_actions_apply_the_fix_and_insert_an_override(client: Client, repo: Path):
    uri = (repo / "app" / "actions.py").as_uri()
    _open(client, uri, SOURCE)
    diagnostics = (await client.published_for(uri, 1)).diagnostics
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=_range(4, 12, 4, 12), context=types.CodeActionContext(diagnostics=diagnostics)
        )
    )
    assert [_edits(a) for a in actions] == [
        ("Apply the fix of CX0100", uri, 1, [((4, 0, 4, 18), "    return ast.literal_eval(u)")]),
        # the marker split: no override of this file
        ("Allow CX0100 here (codex: allow, with a reason)", uri, 1, [((4, 0, 4, 0), "    # codex" + ": allow CX0100 -- <why it is safe here>\n")]),
    ]
    assert [a.diagnostics[0].code for a in actions] == ["CX0100", "CX0100"]
    after_non_ascii = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=_range(6, 12, 6, 12), context=types.CodeActionContext(diagnostics=diagnostics)
        )
    )
    assert _edits(after_non_ascii[0]) == ("Apply the fix of CX0100", uri, 1, [((6, 0, 6, 18), 'y = "é😀"; ast.literal_eval(y)')])
    on_assert = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=_range(5, 0, 5, 0), context=types.CodeActionContext(diagnostics=diagnostics)
        )
    )
    assert [a.title for a in on_assert] == ["Allow CX0007 here (codex: allow, with a reason)"]  # no fix: none offered


@SHARED
async def test_hover_on_a_diagnostic_shows_the_rule_page(client: Client, repo: Path, run_codex):
    uri = (repo / "app" / "hover.py").as_uri()
    _open(client, uri, SOURCE)
    await client.published_for(uri, 1)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=5, character=3))
    )
    explained = run_codex(["explain", "CX0007", "--root", repo])
    assert hover.range == _range(5, 0, 5, 8)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("```text\nCX0007 No assert in non-test code (RFC-0005)\n")
    assert hover.contents.value.split("\n")[1:4] == explained.out.split("\n")[:3]
    assert "Use instead" in hover.contents.value
    outside = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=2, character=0))
    )
    assert outside is None


@pytest.mark.asyncio
async def test_an_rfc_or_config_change_reloads_the_ruleset_and_rechecks_open_documents(own_client: Client, own_repo: Path):
    uri = (own_repo / "app" / "main.py").as_uri()
    _open(own_client, uri, "eval(x)\nexec(x)\n")
    assert _brief((await own_client.published_for(uri, 1)).diagnostics) == [("CX0100", E, (0, 0, 0, 7))]
    rfc_file = own_repo / "rfcs" / "0100-no-eval.md"
    rfc_file.write_text(rfc(rules=EVAL_RULE + rule("CX0101", matcher="pattern: exec(...)\n").replace("eval(x)", "exec(x)")))
    own_client.published.clear()
    own_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=rfc_file.as_uri(), type=types.FileChangeType.Changed)])
    )
    assert _brief((await own_client.published_for(uri, 1)).diagnostics) == [("CX0100", E, (0, 0, 0, 7)), ("CX0101", E, (1, 0, 1, 7))]
    (own_repo / ".codex.toml").write_text(CONFIG + 'disable = ["CX0100"]\n')
    own_client.published.clear()
    own_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=(own_repo / "app" / "other.py").as_uri(), type=types.FileChangeType.Changed),  # not the codex's: ignored
                types.FileEvent(uri=(own_repo / ".codex.toml").as_uri(), type=types.FileChangeType.Changed),
            ]
        )
    )
    assert _brief((await own_client.published_for(uri, 1)).diagnostics) == [("CX0101", E, (1, 0, 1, 7))]
    (own_repo / ".codex.toml").write_text(CONFIG + "disable = [\n")
    own_client.published.clear()
    own_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=(own_repo / ".codex.toml").as_uri(), type=types.FileChangeType.Changed)])
    )
    (unusable,) = (await own_client.published_for(uri, 1)).diagnostics
    assert (unusable.code, unusable.severity, unusable.range.start.line) == ("config", E, 0)
    assert unusable.message.startswith("codex: no usable ruleset, nothing was checked: .codex.toml: cannot read: ")
    assert [(m.type, m.message.split(":")[:3]) for m in own_client.messages] == [
        (types.MessageType.Error, ["codex", " no usable ruleset, nothing is checked", " .codex.toml"])
    ]


@pytest.mark.asyncio
async def test_an_rfc_that_no_longer_compiles_is_shown_and_the_last_good_rules_kept(own_client: Client, own_repo: Path):
    uri = (own_repo / "app" / "main.py").as_uri()
    _open(own_client, uri, "eval(x)\n")
    await own_client.published_for(uri, 1)
    rfc_file = own_repo / "rfcs" / "0100-no-eval.md"
    rfc_file.write_text(rfc(rules=EVAL_RULE.replace("severity: error", "severity: fatal")))
    own_client.published.clear()
    own_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=rfc_file.as_uri(), type=types.FileChangeType.Changed)])
    )
    published = await own_client.published_for(uri, 1)
    assert [(d.code, d.severity, d.range.start.line) for d in published.diagnostics] == [("stale-ruleset", W, 0)]
    assert [m.type for m in own_client.messages] == [types.MessageType.Warning]
    assert own_client.messages[0].message.startswith("codex: rfcs: does not compile; checked with the last good ruleset")


@SHARED
async def test_a_file_over_the_size_limit_is_said_on_its_first_line(client: Client, repo: Path):
    uri = (repo / "app" / "big.py").as_uri()
    _open(client, uri, "x = 1\n" + "eval(x)\n" * 1000)
    (problem,) = (await client.published_for(uri, 1)).diagnostics
    assert (problem.code, problem.severity, _brief([problem])[0][2], problem.message) == (
        "skipped",
        W,
        (0, 0, 0, 5),
        (
            "app/big.py: 8,006 bytes, over the limit of 4,096: not checked — raise max_file_bytes in .codex.toml to check it, "
            "or leave generated files out of the rules' paths"
        ),
    )


@SHARED
async def test_bad_input_is_answered_and_the_server_goes_on(client: Client, repo: Path, tmp_path: Path):
    outside = (tmp_path / "elsewhere.py").as_uri()
    untitled = "untitled:Untitled-1"
    notes = (repo / "app" / "notes.txt").as_uri()
    good = (repo / "app" / "main.py").as_uri()
    _open(client, outside, "eval(x)\n")
    _open(client, untitled, "eval(x)\n")
    _open(client, notes, "eval(x)\n", language="plaintext")
    _open(client, good, "eval(x)\n")
    assert _brief((await client.published_for(good, 1)).diagnostics) == [("CX0100", E, (0, 0, 0, 7))]
    for uri in (outside, untitled, notes):
        assert list((await client.published_for(uri, 1)).diagnostics) == []
    _replace_all(client, untitled, 2, "exec(x)\n")
    await client.published_for(untitled, 2)  # said once per document, not on every change
    logged = [
        m.message
        for m in client.log_messages
        if m.type == types.MessageType.Warning and ("elsewhere" in m.message or "ntitled" in m.message or "notes" in m.message)
    ]
    assert logged == [
        f"codex: {tmp_path / 'elsewhere.py'}: in no workspace folder ({repo}); not checked",
        f"codex: {untitled}: not a file on disk; codex checks the workspace's files",
        "codex: app/notes.txt: no active rule covers this kind of file; not checked",
    ]
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=untitled), position=types.Position(line=0, character=0))
    )
    assert hover is None


@pytest.mark.asyncio
async def test_an_exception_inside_a_check_is_shown_on_the_document_and_the_server_goes_on(crashing_client: Client, repo: Path):
    crash, fine = (repo / "app" / "crash.py").as_uri(), (repo / "app" / "fine.py").as_uri()
    _open(crashing_client, crash, "eval(x)\n")
    _open(crashing_client, fine, "eval(x)\n")
    (failure,) = (await crashing_client.published_for(crash, 1)).diagnostics
    assert (failure.code, failure.severity, _brief([failure])[0][2], failure.message) == (
        "internal",
        E,
        (0, 0, 0, 7),
        "codex: internal error while checking: RuntimeError: engine exploded",
    )
    assert _brief((await crashing_client.published_for(fine, 1)).diagnostics) == [("CX0100", E, (0, 0, 0, 7))]
    errors = [m.message for m in crashing_client.log_messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and errors[0].startswith("Traceback") and errors[0].endswith("RuntimeError: engine exploded\n")


def _actions(client: Client, uri: str, line: int, character: int, diagnostics):
    return client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=_range(line, character, line, character),
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )


@pytest.mark.asyncio
async def test_each_workspace_folder_is_checked_with_its_own_configuration_and_ruleset(two_folders_client: Client, two_repos, tmp_path: Path):
    own, shipped = two_repos
    client = two_folders_client
    text = 'settings = {"debug": 1}\neval(x)\nassert x\n'
    uris = {name: (root / "app" / "main.py").as_uri() for name, root in (("own", own), ("shipped", shipped))}
    outside = (tmp_path / "elsewhere.py").as_uri()
    for uri in (outside, uris["own"], uris["shipped"]):
        _open(client, uri, text)
    mine = (await client.published_for(uris["own"], 1)).diagnostics
    assert [(d.code, d.severity, d.range.start.line, d.code_description) for d in mine] == [
        ("CX0200", E, 0, types.CodeDescription(href="https://example.invalid/codex/blob/main/rfcs/0200-settings.md#cx0200-no-eval")),
        ("CX0100", E, 1, types.CodeDescription(href="https://example.invalid/codex/blob/main/rfcs/0100-no-eval.md#cx0100-no-eval")),
        ("CX0007", W, 2, None),
    ]  # no docs_url in this folder: a shipped rule has no web address
    theirs = (await client.published_for(uris["shipped"], 1)).diagnostics
    assert [(d.code, d.severity, d.range.start.line, d.code_description) for d in theirs] == [
        ("CX0007", W, 2, types.CodeDescription(href=f"{DOCS_URL}/rules/CX0007.html"))
    ]  # docs_url: the published catalog's page
    assert list((await client.published_for(outside, 1)).diagnostics) == []
    assert [m.message for m in client.log_messages if "elsewhere" in m.message] == [
        f"codex: {tmp_path / 'elsewhere.py'}: in no workspace folder ({own}, {shipped}); not checked"
    ]
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uris["own"]), position=types.Position(line=1, character=1))
    )
    assert hover.contents.value.startswith("```text\nCX0100 No eval (RFC-0100)\n")  # the own folder's catalog
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[], removed=[types.WorkspaceFolder(uri=shipped.as_uri(), name=shipped.name)])
        )
    )
    later = (shipped / "app" / "later.py").as_uri()
    _open(client, later, text)
    assert list((await client.published_for(later, 1)).diagnostics) == []
    assert [m.message for m in client.log_messages if "later.py" in m.message] == [
        f"codex: {shipped / 'app' / 'later.py'}: in no workspace folder ({own}); not checked"
    ]


@pytest.mark.asyncio
async def test_no_override_is_offered_in_a_file_without_comments(two_folders_client: Client, two_repos):
    own, _ = two_repos
    client = two_folders_client
    json_uri, python_uri = (own / "app" / "settings.json").as_uri(), (own / "app" / "settings.py").as_uri()
    _open(client, json_uri, '{\n  "name": "x",\n  "debug": true\n}\n', language="json")
    _open(client, python_uri, 'x = 1\nsettings = {"debug": 1}\n')
    in_json = (await client.published_for(json_uri, 1)).diagnostics
    in_python = (await client.published_for(python_uri, 1)).diagnostics
    assert _brief(in_json) == [("CX0200", E, (0, 0, 3, 1))] and _brief(in_python) == [("CX0200", E, (1, 11, 1, 23))]
    assert list(await _actions(client, json_uri, 2, 3, in_json)) == []  # JSON has no comments: an override cannot be written
    assert [_edits(a) for a in await _actions(client, python_uri, 1, 12, in_python)] == [
        ("Allow CX0200 here (codex: allow, with a reason)", python_uri, 1, [((1, 0, 1, 0), "# codex" + ": allow CX0200 -- <why it is safe here>\n")])
    ]


@pytest.mark.asyncio
async def test_a_configuration_that_moves_rfcs_rewatches_and_the_new_folder_reloads(own_client: Client, own_repo: Path):
    uri = (own_repo / "app" / "main.py").as_uri()
    _open(own_client, uri, "eval(x)\nexec(x)\n")
    assert _brief((await own_client.published_for(uri, 1)).diagnostics) == [("CX0100", E, (0, 0, 0, 7))]
    (own_repo / "docs" / "rfcs").mkdir(parents=True)
    (own_repo / "rfcs" / "0100-no-eval.md").rename(own_repo / "docs" / "rfcs" / "0100-no-eval.md")
    (own_repo / ".codex.toml").write_text(CONFIG + 'rfcs = "docs/rfcs"\n')
    own_client.published.clear()
    own_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=(own_repo / ".codex.toml").as_uri(), type=types.FileChangeType.Changed)])
    )
    assert _brief((await own_client.published_for(uri, 1)).diagnostics) == [("CX0100", E, (0, 0, 0, 7))]
    await _until(lambda: own_client.registrations[1:] or None)
    assert [u.id for u in own_client.unregistrations] == [own_client.registrations[0].id]
    assert [(r.method, r.register_options) for r in own_client.registrations[1:]] == [
        (
            "workspace/didChangeWatchedFiles",
            {
                "watchers": [
                    {"globPattern": "**/docs/rfcs/**"},
                    {"globPattern": "**/rules/**"},
                    {"globPattern": "**/.codex.toml"},
                    {"globPattern": "**/codex.toml"},
                    {"globPattern": "**/pyproject.toml"},
                ]
            },
        )
    ]
    moved = own_repo / "docs" / "rfcs" / "0100-no-eval.md"
    moved.write_text(rfc(rules=EVAL_RULE + rule("CX0101", matcher="pattern: exec(...)\n").replace("eval(x)", "exec(x)")))
    own_client.published.clear()
    own_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=moved.as_uri(), type=types.FileChangeType.Changed)])
    )
    assert _brief((await own_client.published_for(uri, 1)).diagnostics) == [("CX0100", E, (0, 0, 0, 7)), ("CX0101", E, (1, 0, 1, 7))]
