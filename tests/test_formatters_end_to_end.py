"""Every format from one real ``codex check`` (semgrep, libcst and tree-sitter) on findings of the shipped codex and of
a repository's own RFCs, with no link configured, run with ``--root`` on a directory inside the repository.

Lines hold non-ASCII text before each match, so the three column units differ: characters (the JSON and text
formats), UTF-16 code units (SARIF) and UTF-8 bytes (rdjson).
"""

from __future__ import annotations

import json

import pytest

from codex import home_url
from codex.ruleset_source import shipped_dir
from codex_testing.rdjson import validate_rdjson
from codex_testing.rfcs import rfc
from codex_testing.sarif import validate_sarif

FORMATS = ("text", "json", "sarif", "gitlab", "rdjson", "github")
APP = (
    'import subprocess\nimport requests\nlabel = "héllo😀"; subprocess.run(cmd, shell=True)\nx = "ü"; requests.get(url)\n'
    "assert ok  # codex: "
    "allow CX0007 -- the caller checked it\n\nassert y\nresult = eval(label)\n"
)
LIB = 'fn main() {\n    let s = "é😀"; let v = s.parse::<i32>().unwrap();\n}\n'
SECURITY_TAGS = ["security", "injection", "external/cwe/cwe-78", "external/cwe/cwe-502"]

# (rule, line, end line, start and end column) in characters, UTF-16 code units and UTF-8 bytes, counted by hand:
# line 3 has 'label = "' (9), 'héllo😀' (6 characters, 7 UTF-16 units, 10 bytes) and '"; ' (3) before the call (31 long);
# line 4 'x = "' (5), 'ü' (1 unit, 2 bytes), '"; ' (3) before requests.get(url) (17 long); line 2 of lib.rs has 4 spaces,
# 'let s = "' (9), 'é😀' (2, 3 units, 6 bytes), '"; let v = s.parse::<i32>().' (28) before unwrap() (8 long).
EXPECTED = [
    ("CX0005", "svc/app.py", 3, (19, 50), (20, 51), (23, 54)),
    ("CX0003", "svc/app.py", 4, (10, 27), (10, 27), (11, 28)),
    ("CX0007", "svc/app.py", 5, (1, 10), (1, 10), (1, 10)),
    ("CX0007", "svc/app.py", 7, (1, 9), (1, 9), (1, 9)),
    ("CX0100", "svc/app.py", 8, (10, 21), (10, 21), (10, 21)),
    ("CX0001", "svc/lib.rs", 2, (44, 52), (45, 53), (48, 56)),
]
WHY = {
    "CX0005": "RFC-0004 Untrusted text never becomes code",
    "CX0003": "RFC-0003 Outbound calls and errors fail visibly and on time",
    "CX0007": "RFC-0005 Assertions are not validation",
    "CX0100": "RFC-0100 Example RFC-0100",
    "CX0001": "RFC-0001 Handle errors, do not panic on input",
}


@pytest.fixture(scope="module")
def outputs(git_repo_factory, run_codex):
    repo = git_repo_factory("monorepo")
    repo.commit("a service with its own RFC", {"services/api/rfcs/0100-example.md": rfc(), "services/api/svc/app.py": APP, "services/api/svc/lib.rs": LIB})
    root = repo.path / "services" / "api"
    results = {fmt: run_codex(["check", "--all", "--no-llm", "--no-history", "--root", str(root), "--format", fmt]) for fmt in FORMATS}
    assert {fmt: (r.code, r.err) for fmt, r in results.items()} == {fmt: (1, "") for fmt in FORMATS}
    return {"repo": repo, **{fmt: r.out for fmt, r in results.items()}}


def test_json_counts_columns_in_characters_and_carries_the_other_units(outputs):
    findings = json.loads(outputs["json"])["findings"]
    assert [(f["rule_id"], f["path"], f["line"], (f["column"], f["end_column"]), f["columns"]) for f in findings] == [
        (rule, path, line, chars, {"utf8": list(utf8), "utf16": list(utf16)}) for rule, path, line, chars, utf16, utf8 in EXPECTED
    ]


def test_sarif_to_the_letter(outputs):
    document = json.loads(outputs["sarif"])
    validate_sarif(document)
    run = document["runs"][0]
    assert run["columnKind"] == "utf16CodeUnits"
    results = [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"],
            r.get("suppressions"),
        )
        for r in run["results"]
    ]
    verdicts = {
        ("CX0007", 5): ("note", [{"kind": "inSource", "justification": "the caller checked it"}]),  # overridden
        ("CX0007", 7): ("warning", None),
    }  # warn stage; every other one blocks
    assert results == [
        (
            rule,
            *verdicts.get((rule, line), ("error", None))[:1],
            f"services/api/{path}",  # relative to the repository, not --root
            {"startLine": line, "startColumn": utf16[0], "endLine": line, "endColumn": utf16[1]},
            verdicts.get((rule, line), (None, None))[1],
        )
        for rule, path, line, _, utf16, _ in EXPECTED
    ]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {k: (r["name"], r.get("helpUri"), r["properties"].get("tags"), r["properties"].get("security-severity")) for k, r in rules.items()} == {
        "CX0001": ("NoUnwrapOrExpectInProductionRust", None, None, None),
        "CX0002": ("CheckOptionalUpstreamValuesBeforeIndexingThem", None, None, None),
        "CX0003": ("OutboundRequestsCallsHaveATimeout", None, None, None),
        "CX0004": ("DoNotSwallowErrors", None, None, None),
        "CX0005": ("NoShellStringsInSubprocessCalls", None, SECURITY_TAGS, "8.8"),
        "CX0006": ("LoadYAMLSafely", None, SECURITY_TAGS, "8.8"),
        "CX0007": ("NoAssertInNonTestCode", None, None, None),
        "CX0100": ("NoEval", None, None, None),
    }
    assert rules["CX0005"]["help"]["text"].endswith("\n\nWhy: RFC-0004 Untrusted text never becomes code. `codex explain CX0005` prints the rule in full.")
    assert run["tool"]["driver"].get("informationUri") == home_url()  # no catalog configured: codex's home (tested alone)
    assert run["invocations"][0]["toolExecutionNotifications"] == []


def test_rdjson_to_the_letter(outputs):
    document = json.loads(outputs["rdjson"])
    validate_rdjson(document)
    tags = {("CX0007", 5): "overridden: the caller checked it", ("CX0007", 7): "warn"}
    titles = {
        "CX0005": "No shell strings in subprocess calls",
        "CX0003": "requests.get() without timeout=",
        "CX0007": "No assert in non-test code",
        "CX0100": "No eval",
        "CX0001": "No unwrap or expect in production Rust",
    }
    assert [(d["location"], d["code"], d["original_output"]) for d in document["diagnostics"]] == [
        (
            {"path": f"services/api/{path}", "range": {"start": {"line": line, "column": utf8[0]}, "end": {"line": line, "column": utf8[1]}}},
            {"value": rule},  # no url: no address a reader can open
            f"services/api/{path}:{line}:{chars[0]}  {rule} ({tags.get((rule, line), 'blocking')})  {titles[rule]}",
        )
        for rule, path, line, chars, _, utf8 in EXPECTED
    ]


def test_no_format_links_a_file_or_names_a_directory_of_the_machine(outputs):
    machine = [str(outputs["repo"].path), str(shipped_dir()), "site-packages", "file:"]
    assert {fmt: [m for m in machine if m in outputs[fmt]] for fmt in FORMATS} == {fmt: [] for fmt in FORMATS}
    assert [f["rfc"]["url"] for f in json.loads(outputs["json"])["findings"]] == [None] * len(EXPECTED)
    assert json.loads(outputs["json"])["stats"]["cache"]["dir"] == ".codex/cache/static"
    why = [f"Why: {WHY[rule]} (`codex explain {rule}` explains it)" for rule, *_ in EXPECTED]
    assert [issue["content"]["body"].rsplit("\n\n", 1)[1] for issue in json.loads(outputs["gitlab"])] == why
    annotations = [line for line in outputs["github"].splitlines() if line.startswith("::")]
    assert [line.rsplit("%0A", 1)[1] for line in annotations] == why
    assert [line.strip() for line in outputs["text"].splitlines() if line.strip().startswith("why:")] == [f"why: {WHY[rule]}" for rule, *_ in EXPECTED]
