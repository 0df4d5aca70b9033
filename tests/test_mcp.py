"""``codex mcp`` end to end: the MCP SDK's own client starts ``python -m codex_cli mcp`` in a real git repository (its own
rfcs/ on top of the shipped codex) and talks to it over stdio. One server process serves the whole module."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import ClientSession, McpError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import CallToolResult, TextContent, TextResourceContents
from pydantic import AnyUrl

from codex_testing import PROJECT_ROOT
from codex_testing.rfcs import rfc, rule

BASE = "https://git.example/acme/blob/main"
OWN_RFC = rfc(
    "RFC-0100",
    rules=rule("CX0100", matcher="pattern: eval($X)\nfix: ast.literal_eval($X)\n").replace(
        "```python good", "```python fixed\nast.literal_eval(x)\n```\n\n```python good"
    ),
)  # the fixed code the rule's fix gives
DIRTY = "import requests\nvalue = eval(data)\nrequests.get(url)\n"
SHIPPED_RULES = ["CX0001", "CX0002", "CX0003", "CX0004", "CX0005", "CX0006", "CX0007"]
SHIPPED_RFCS = ["RFC-0001", "RFC-0002", "RFC-0003", "RFC-0004", "RFC-0005"]
RFC_0100 = {"id": "RFC-0100", "title": "Example RFC-0100", "link": f"{BASE}/rfcs/0100-no-eval.md#cx0100-no-eval", "resource": "codex://rfc/RFC-0100"}
RFC_0003 = {"id": "RFC-0003", "title": "Outbound calls and errors fail visibly and on time", "link": None, "resource": "codex://rfc/RFC-0003"}
EVAL_STATEMENT = "If you need to evaluate user input, use `ast.literal_eval`."
TIMEOUT_STATEMENT = (
    "If you need an HTTP call to another service with `requests`, use an explicit `timeout=` (seconds, or a `(connect, read)` tuple) on every call."
)


class Agent:
    """A client session on the server, called from synchronous tests through a portal into its event loop."""

    def __init__(self, portal: BlockingPortal, session: ClientSession):
        self.portal = portal
        self.session = session

    def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        return self.portal.call(self.session.call_tool, tool, arguments)

    def ok(self, tool: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The text and structured content of a call that must succeed."""
        result = self.call(tool, arguments)
        assert not result.isError, _text(result)
        assert result.structuredContent is not None
        return _text(result), result.structuredContent

    def error(self, tool: str, arguments: dict[str, Any]) -> str:
        """The message of a call that must be a tool error."""
        result = self.call(tool, arguments)
        assert (result.isError, result.structuredContent) == (True, None)
        return _text(result)


def _text(result: CallToolResult) -> str:
    """The one text block of a result."""
    assert len(result.content) == 1 and isinstance(result.content[0], TextContent), result.content
    return result.content[0].text


@contextmanager
def _serving(params: StdioServerParameters) -> Iterator[Agent]:
    async def session():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            yield client

    with start_blocking_portal() as portal, portal.wrap_async_context_manager(asynccontextmanager(session)()) as client:
        yield Agent(portal, client)


@pytest.fixture(scope="module")
def repo(git_repo_factory):
    repository = git_repo_factory("mcp")
    repository.commit(
        "init",
        {
            "pyproject.toml": f'[tool.codex]\nrfc_base_url = "{BASE}"\n',
            "rfcs/0100-no-eval.md": OWN_RFC,
            "app/dirty.py": DIRTY,
            "app/clean.py": "total = 1 + 2\n",
        },
    )
    return repository


@pytest.fixture(scope="module")
def agent(repo) -> Iterator[Agent]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CODEX_LLM_", "OPENAI_"))}  # no endpoint
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    with _serving(StdioServerParameters(command=sys.executable, args=["-m", "codex_cli", "mcp"], cwd=repo.path, env=env)) as client:
        yield client


def test_the_tools_are_listed_with_input_and_output_schemas(agent: Agent):
    tools = agent.portal.call(agent.session.list_tools).tools
    assert [t.name for t in tools] == ["rules", "explain", "check", "test"]
    assert [sorted(t.inputSchema["properties"]) for t in tools] == [[], ["rule"], ["content", "llm", "path"], ["rfc"]]
    assert [t.inputSchema.get("required", []) for t in tools] == [[], ["rule"], ["path"], ["rfc"]]
    assert [sorted((t.outputSchema or {})["required"]) for t in tools] == [
        ["date", "origin", "problems", "rules"],
        ["id", "page"],
        ["findings", "llm", "origin", "path", "problems", "unreviewed", "unreviewed_because"],
        ["examples", "passed", "problems", "rules", "skipped"],
    ]
    assert [t.annotations.readOnlyHint if t.annotations else None for t in tools] == [True, True, True, True]


def test_rules_lists_the_shipped_and_the_own_rules(agent: Agent):
    text, result = agent.ok("rules", {})
    assert [r["id"] for r in result["rules"]] == [*SHIPPED_RULES, "CX0100"]
    assert (result["origin"], result["problems"]) == ("shipped codex + rfcs/", [])
    assert result["rules"][-1] == {
        "id": "CX0100",
        "title": "No eval",
        "statement": EVAL_STATEMENT,
        "use": "`ast.literal_eval`",
        "severity": "error",
        "stage": "block",
        "stages": ["block everywhere"],
        "languages": ["python"],
        "matcher": "semgrep",
        "rfc": RFC_0100,
    }
    assert result["rules"][2]["rfc"] == RFC_0003  # a shipped RFC has no http(s) link: its resource stands in
    assert text.splitlines()[-3:] == [
        "CX0100 No eval [error; block everywhere; python]",
        f"  {EVAL_STATEMENT}",
        f"  RFC-0100 Example RFC-0100 ({BASE}/rfcs/0100-no-eval.md#cx0100-no-eval)",
    ]


def test_explain_gives_the_rule_page(agent: Agent):
    text, result = agent.ok("explain", {"rule": "cx0100"})
    assert result == {"id": "cx0100", "page": text}
    assert (
        text
        == f"""CX0100 No eval (RFC-0100)
error · block · python · semgrep

What it does
No eval. If you need to evaluate user input, use ast.literal_eval.

Why is this bad?
More prose.

From RFC-0100, Example RFC-0100:

Why it matters.

Example
❱ 1 eval(x)
flagged: line 1 (from rfcs/0100-no-eval.md:30)

Fix
  1 ast.literal_eval(x)

Use instead
  1 ast.literal_eval(x)

Stage and rollout
Stage: block — findings fail the check and block a merge.
Severity: error.
RFC status: accepted.
Languages: python; matcher: semgrep.

RFC
RFC-0100: Example RFC-0100 — {BASE}/rfcs/0100-no-eval.md#cx0100-no-eval
"""
    )


def test_check_reads_content_as_the_file_at_the_path(agent: Agent):
    text, result = agent.ok("check", {"path": "app/clean.py", "content": DIRTY})
    assert result == {
        "path": "app/clean.py",
        "origin": "shipped codex + rfcs/",
        "llm": False,
        "problems": [],
        "findings": [
            {
                "rule_id": "CX0100",
                "line": 2,
                "end_line": 2,
                "column": 9,
                "end_column": 19,
                "message": "No eval",
                "statement": EVAL_STATEMENT,
                "use": "`ast.literal_eval`",
                "severity": "error",
                "stage": "block",
                "overridden": False,
                "rfc": RFC_0100,
                "fix": "value = ast.literal_eval(data)",
                "engine": "semgrep",
            },
            {
                "rule_id": "CX0003",
                "line": 3,
                "end_line": 3,
                "column": 1,
                "end_column": 18,
                "message": "requests.get() without timeout=",
                "statement": TIMEOUT_STATEMENT,
                "use": "an explicit `timeout=` (seconds, or a `(connect, read)` tuple) on every call",
                "severity": "error",
                "stage": "block",
                "overridden": False,
                "rfc": RFC_0003,
                "fix": None,
                "engine": "libcst",
            },
        ],
        "unreviewed": ["CX0002"],
        "unreviewed_because": "llm: false",
    }
    assert (
        text
        == f"""app/clean.py: 2 finding(s), 2 blocking (shipped codex + rfcs/)
app/clean.py:2: CX0100 block: No eval
  {EVAL_STATEMENT}
  RFC-0100 Example RFC-0100 ({BASE}/rfcs/0100-no-eval.md#cx0100-no-eval)
  fix:
    value = ast.literal_eval(data)
app/clean.py:3: CX0003 block: requests.get() without timeout=
  {TIMEOUT_STATEMENT}
  RFC-0003 Outbound calls and errors fail visibly and on time (codex://rfc/RFC-0003)
not reviewed by the LLM pass (llm: false): CX0002"""
    )


def test_with_llm_and_no_model_configured_the_judgment_rules_are_said_to_be_unreviewed(agent: Agent):
    _, result = agent.ok("check", {"path": "app/clean.py", "content": DIRTY, "llm": True})
    assert [f["rule_id"] for f in result["findings"]] == ["CX0100", "CX0003"]
    assert (result["llm"], result["unreviewed"], result["unreviewed_because"]) == (
        True,
        ["CX0002"],
        "no model configured: set CODEX_LLM_MODEL or [tool.codex.llm] model in pyproject.toml",
    )


def test_check_without_content_reads_the_file_on_disk(agent: Agent, repo):
    _, dirty = agent.ok("check", {"path": "app/dirty.py"})
    assert [(f["rule_id"], f["line"]) for f in dirty["findings"]] == [("CX0100", 2), ("CX0003", 3)]
    _, clean = agent.ok("check", {"path": str(repo.path / "app" / "clean.py")})
    assert (clean["path"], clean["findings"], clean["problems"]) == ("app/clean.py", [], [])


def test_a_file_no_rule_covers_is_said_to_be_unchecked(agent: Agent):
    text, result = agent.ok("check", {"path": "docs/notes.txt", "content": DIRTY})
    assert (result["findings"], result["problems"]) == (
        [],
        [{"path": "docs/notes.txt", "line": None, "message": "not checked: no active rule covers this kind of file", "hint": "", "kind": "skipped"}],
    )
    assert text == ("docs/notes.txt: 0 finding(s), 0 blocking (shipped codex + rfcs/)\n! docs/notes.txt: not checked: no active rule covers this kind of file")


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("check", {"path": "../outside.py", "content": "x = 1\n"}, "../outside.py: not a file path inside the repository {root}"),
        ("check", {"path": "app/clean.py", "content": 5}, "bad arguments to check: content: Input should be a valid string"),
        ("check", {"content": "x = 1\n"}, "bad arguments to check: path: Field required"),
        ("check", {"path": "app/clean.py", "colour": "red"}, "bad arguments to check: colour: Extra inputs are not permitted"),
        ("check", {"path": "app/missing.py"}, ("app/missing.py: no such file under {root} — give the file's content, or a path of a file in the repository")),
        ("check", {"path": "app/a\0b.py", "content": "x = 1\n"}, "app/a\\0b.py: a NUL character in a file path"),
        (
            "explain",
            {"rule": "CX9999"},
            (f"codex: no rule or RFC 'CX9999' in the shipped codex + rfcs/ — known: {', '.join(SHIPPED_RULES)}, CX0100, {', '.join(SHIPPED_RFCS)}, RFC-0100"),
        ),
        ("explain", {}, "bad arguments to explain: rule: Field required"),
        ("rules", {"all": True}, "bad arguments to rules: all: Extra inputs are not permitted"),
        ("lint", {}, "no tool 'lint': the tools are rules, explain, check, test"),
        ("test", {"rfc": ["not", "text"]}, "bad arguments to test: rfc: Input should be a valid string"),
    ],
)
def test_bad_arguments_are_tool_errors_and_the_server_goes_on(agent: Agent, repo, tool: str, arguments: dict, message: str):
    assert agent.error(tool, arguments) == message.format(root=repo.path)
    _, result = agent.ok("rules", {})
    assert len(result["rules"]) == len(SHIPPED_RULES) + 1


DRAFT_RULE = """## CX0101: No exec

If you need to run generated code, use a dispatch table.

```yaml codex
severity: warning
languages: [python]
matcher: semgrep
```

```yaml semgrep
pattern: exec(...)
```

```python bad
# ruleid: CX0101
exec(source)
```

```python good
handlers[name]()
```
"""


def test_test_compiles_the_draft_and_runs_its_examples(agent: Agent):
    text, result = agent.ok("test", {"rfc": rfc("RFC-0101", rules=DRAFT_RULE)})
    assert result == {
        "rules": ["CX0101"],
        "skipped": [],
        "problems": [],
        "passed": True,
        "examples": [
            {"rule_id": "CX0101", "where": "<rfc>:27 (bad block)", "verdict": "pass", "expected": [2], "flagged": [2], "mismatches": [], "known_gaps": []},
            {"rule_id": "CX0101", "where": "<rfc>:32 (good block)", "verdict": "pass", "expected": [], "flagged": [], "mismatches": [], "known_gaps": []},
        ],
    }
    assert text == (
        "pass: 1 rule(s) compiled\n"
        "pass CX0101 <rfc>:27 (bad block): expected lines [2], flagged [2]\n"
        "pass CX0101 <rfc>:32 (good block): expected lines [], flagged []"
    )


def test_test_reports_failing_examples_and_compile_problems_with_lines(agent: Agent):
    wrong_mark = DRAFT_RULE.replace("# ruleid: CX0101\nexec(source)", "# ruleid: CX0101\nx = 1\nexec(source)")
    no_statement = rule("CX0102", statement="Never evaluate input.")
    text, result = agent.ok("test", {"rfc": rfc("RFC-0101", rules=wrong_mark + "\n" + no_statement)})
    assert result["rules"] == ["CX0101"]
    assert result["problems"] == [
        {
            "path": "<rfc>",
            "line": 37,
            "message": "rule CX0102 has no 'If you need X, use Y' statement",
            "hint": "add a paragraph 'If you need <what>, use <remedy>.' under the heading",
            "kind": "input",
        }
    ]
    assert (result["passed"], [e["verdict"] for e in result["examples"]]) == (False, ["fail", "pass"])
    assert result["examples"][0]["mismatches"] == ["line 2 (ruleid) was not flagged", "line 3 was flagged"]
    assert text.splitlines()[:3] == [
        "FAIL: 1 rule(s) compiled",
        "fail CX0101 <rfc>:27 (bad block): expected lines [2], flagged [3]",
        "  line 2 (ruleid) was not flagged",
    ]


def test_test_reports_a_shipped_rule_id_reused_and_a_pattern_semgrep_rejects_at_their_lines(agent: Agent):
    draft = rfc("RFC-0101", rules=DRAFT_RULE.replace("CX0101", "CX0003") + rule("CX0102", matcher="pattern: exec(\n"))
    _, result = agent.ok("test", {"rfc": draft})
    assert (result["passed"], [(p["line"], p["message"][:88]) for p in result["problems"]]) == (
        False,
        [
            (13, "rule id CX0003 is a shipped rule (Outbound requests calls have a timeout)"),
            (48, "semgrep rejects rule CX0102: Rule parse error in rule CX0102: Invalid pattern for Python"),
        ],
    )
    assert [(e["rule_id"], e["verdict"]) for e in result["examples"]] == [("CX0003", "pass"), ("CX0003", "pass"), ("CX0102", "fail"), ("CX0102", "pass")]


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        ("Just some notes about eval.", ("<rfc>:1: no YAML front matter — start the file with '---', the id/title/status/authors/created keys, and '---'")),
        (rfc("RFC-0101", rules=""), "<rfc>:8: no rule sections — add a heading such as '## CX0001: Title' with the rule under it"),
        ("", "<rfc>:1: no YAML front matter — start the file with '---', the id/title/status/authors/created keys, and '---'"),
    ],
)
def test_text_with_no_rule_is_a_tool_error(agent: Agent, draft: str, message: str):
    assert agent.error("test", {"rfc": draft}) == (
        f"{message}\n<rfc>: no rule compiled from this text, so nothing was tested — give an RFC's markdown: front matter, then '## ID: Title' rule sections"
    )


def test_each_rfc_is_a_markdown_resource(agent: Agent, repo):
    resources = agent.portal.call(agent.session.list_resources).resources
    assert [(str(r.uri), r.name, r.mimeType) for r in resources] == [
        *((f"codex://rfc/{rfc_id}", rfc_id, "text/markdown") for rfc_id in SHIPPED_RFCS),
        ("codex://rfc/RFC-0100", "RFC-0100", "text/markdown"),
    ]
    assert resources[-1].title == "Example RFC-0100"

    def read(uri: str) -> list[tuple[str | None, str]]:
        contents = agent.portal.call(agent.session.read_resource, AnyUrl(uri)).contents
        return [(c.mimeType, c.text) for c in contents if isinstance(c, TextResourceContents)]

    assert read("codex://rfc/RFC-0100") == [("text/markdown", OWN_RFC)]
    assert read("codex://rfc/RFC-0003") == [("text/markdown", (PROJECT_ROOT / "rfcs" / "0003-resilient-python-calls.md").read_text())]
    with pytest.raises(McpError) as caught:
        agent.portal.call(agent.session.read_resource, AnyUrl("codex://rfc/RFC-0999"))
    assert caught.value.error.message == "codex: no RFC resource codex://rfc/RFC-0999 — RFC resources are codex://rfc/RFC-NNNN, as listed"


def test_rfcs_that_do_not_compile_are_reported_and_the_shipped_codex_still_checks(agent: Agent, repo):
    broken = repo.path / "rfcs" / "0100-no-eval.md"
    broken.write_text(OWN_RFC.replace("severity: error", "severity: fatal"), encoding="utf-8")
    try:
        _, rules = agent.ok("rules", {})
        text, checked = agent.ok("check", {"path": "app/dirty.py"})
    finally:
        broken.write_text(OWN_RFC, encoding="utf-8")
    assert [r["id"] for r in rules["rules"]] == SHIPPED_RULES
    stale = [
        ("rfcs", None, "does not compile; checked with the last good ruleset, the shipped codex alone", "stale-ruleset"),
        ("rfcs/0100-no-eval.md", 20, "rule block: severity: Input should be 'error', 'warning' or 'info'", "input"),
    ]
    assert [(p["path"], p["line"], p["message"], p["kind"]) for p in rules["problems"]] == stale
    assert [(p["path"], p["line"], p["message"], p["kind"]) for p in checked["problems"]] == stale
    assert [(f["rule_id"], f["line"]) for f in checked["findings"]] == [("CX0003", 3)]
    assert text.splitlines()[-2:] == [
        ("! rfcs: does not compile; checked with the last good ruleset, the shipped codex alone — fix the problems below and run `codex compile`"),
        ("! rfcs/0100-no-eval.md:20: rule block: severity: Input should be 'error', 'warning' or 'info' — see the RFC format in the README"),
    ]


def test_no_usable_ruleset_is_reported_in_the_results(agent: Agent, repo):
    config = repo.path / "pyproject.toml"
    rfc_file = repo.path / "rfcs" / "0100-no-eval.md"
    config.write_text("[tool.codex]\nshipped = false\n", encoding="utf-8")
    rfc_file.write_text("no front matter\n", encoding="utf-8")
    try:
        _, rules = agent.ok("rules", {})
        text, checked = agent.ok("check", {"path": "app/dirty.py"})
        resources = agent.portal.call(agent.session.list_resources).resources
        explained = agent.error("explain", {"rule": "CX0100"})
    finally:
        config.write_text(f'[tool.codex]\nrfc_base_url = "{BASE}"\n', encoding="utf-8")
        rfc_file.write_text(OWN_RFC, encoding="utf-8")
    problems = [("rfcs/0100-no-eval.md", 1, "no YAML front matter"), (None, None, "no usable ruleset: nothing is checked")]
    assert (rules["rules"], [(p["path"], p["line"], p["message"]) for p in rules["problems"]]) == ([], problems)
    assert (checked["findings"], [(p["path"], p["line"], p["message"]) for p in checked["problems"]]) == ([], problems)
    assert text.splitlines()[0] == "app/dirty.py: 0 finding(s), 0 blocking (none)"
    assert resources == []
    assert explained.splitlines() == [
        ("rfcs/0100-no-eval.md:1: no YAML front matter — start the file with '---', the id/title/status/authors/created keys, and '---'"),
        "codex: no usable ruleset: nothing is checked — fix the problems above and run `codex compile`",
    ]


def test_an_unexpected_exception_is_a_tool_error_naming_it(repo, monkeypatch):
    """In-process, on the SDK's in-memory transport: a tool that raises is answered, and the next call still is."""
    from codex_cli.commands._mcp_server import build_server
    from codex_cli.commands._mcp_tools import Workspace

    def broken(self, arguments):
        raise KeyError("rules")

    monkeypatch.setattr(Workspace, "rules", broken)

    async def talk() -> tuple[CallToolResult, CallToolResult]:
        async with create_connected_server_and_client_session(build_server(Workspace(repo.path))) as client:
            return await client.call_tool("rules", {}), await client.call_tool("explain", {"rule": "CX0100"})

    failed, served = anyio.run(talk)
    assert (failed.isError, failed.content[0].text) == (True, "internal error in rules: KeyError: 'rules' (please report it)")
    assert (served.isError, served.content[0].text.splitlines()[0]) == (False, "CX0100 No eval (RFC-0100)")


def test_without_the_sdk_the_command_says_what_to_install(run_codex, repo, monkeypatch):
    monkeypatch.setitem(sys.modules, "mcp", None)
    monkeypatch.delitem(sys.modules, "codex_cli.commands._mcp_server", raising=False)
    result = run_codex(["mcp", "--root", repo.path])
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "codex: codex mcp needs the MCP Python SDK, which is not installed (import of mcp halted; None in sys.modules) — pip install 'codex-rfc[mcp]'\n"
    )
