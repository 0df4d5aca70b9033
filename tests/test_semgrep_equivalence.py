"""osemgrep (the default semgrep engine) and pysemgrep find the same: the same path, line, column, end and fix
for every rule, over every shipped semgrep rule's examples and a sample of semgrep features. A semgrep upgrade
that breaks the equivalence fails here. Also: osemgrep failing falls back to pysemgrep, said in the problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex.model import PathFilter, Rule, Ruleset
from codex.semgrep_config import SemgrepMatcher
from reviewer.engines import Match, semgrep as semgrep_engine
from reviewer.targets import Target

# A sample of semgrep features beyond the shipped rules': (id, languages, body, paths exclude); every id flags
# files of SAMPLE_FILES, some more than once, and leaves lines marked "ok" alone.
SAMPLE_RULES: list[tuple[str, tuple[str, ...], dict, tuple[str, ...]]] = [
    ("S1", ("python",), {"pattern-either": [{"pattern": "eval(...)"}, {"pattern": "exec(...)"}]}, ()),
    (
        "S2",
        ("python",),
        {
            "patterns": [
                {"pattern": "requests.$M(...)"},
                {"pattern-not": "requests.$M(..., timeout=$T, ...)"},
                {"metavariable-regex": {"metavariable": "$M", "regex": "^(get|post)$"}},
            ]
        },
        (),
    ),
    (
        "S3",
        ("python",),
        {"patterns": [{"pattern-inside": "def $F(...):\n  ...\n"}, {"pattern": "print(...)"}, {"pattern-not-inside": "if __debug__:\n  ...\n"}]},
        ("**/tests/**",),
    ),
    ("S4", ("python",), {"pattern": "yaml.load($X)", "fix": "yaml.safe_load($X)"}, ()),
    ("S5", ("python", "javascript"), {"pattern-regex": r"TODO\(\w+\)"}, ()),
    ("S6", ("javascript",), {"patterns": [{"pattern": "$EL.innerHTML = $V"}, {"focus-metavariable": "$V"}]}, ()),
    ("S7", ("python",), {"mode": "taint", "pattern-sources": [{"pattern": "input(...)"}], "pattern-sinks": [{"pattern": "os.system(...)"}]}, ()),
]
SAMPLE_FILES = {
    "app/views.py": (
        "import os\nimport requests\nimport yaml\n\n\ndef handler(text):\n    print(text)\n    eval(text)  # nosemgrep\n"
        "    requests.get('https://x', timeout=3)  # ok\n    requests.post('https://x')\n    requests.put('https://x')  # ok: S2\n"
        "    data = yaml.load(text)\n    if __debug__:\n        print(data)  # ok\n    cmd = input()\n    os.system(cmd)\n"
        "    # TODO(alice): split\n    exec(  \n        text)\n    return data\n"
    ),
    "tests/test_views.py": "def test_handler():\n    print('x')  # excluded for S3\n    eval('1')\n",
    "web/page.js": "function show(el, html) {\n  el.innerHTML = html;\n  // TODO(bob): escape\n  el.innerHTML = `<b>${html}</b>`;\n}\n",
}


def sample_rules(shipped: Ruleset) -> list[Rule]:
    base = shipped.rule("CX0005")
    return [
        base.model_copy(
            update={"id": rule_id, "languages": languages, "matcher": SemgrepMatcher(body=body), "paths": PathFilter(exclude=exclude), "examples": ()}
        )
        for rule_id, languages, body, exclude in SAMPLE_RULES
    ]


def shipped_example_jobs(shipped: Ruleset, root: Path) -> tuple[list[Rule], list[Target]]:
    """Every shipped semgrep rule, and every example of theirs written out as codex's example run does."""
    rules = [r for r in shipped.rules if isinstance(r.matcher, SemgrepMatcher)]
    targets = []
    for rule in rules:
        for n, example in enumerate(rule.examples, 1):
            path = f"{rule.id}/{n}/{example.filename}"
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(example.code, encoding="utf-8")
            targets.append(Target(path, root / path, example.language, None, None if example.verdict == "file" else example.filename))
    return rules, targets


def sample_jobs(shipped: Ruleset, root: Path) -> tuple[list[Rule], list[Target]]:
    targets = []
    for path, text in SAMPLE_FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
        targets.append(Target(path, root / path, "javascript" if path.endswith(".js") else "python", None, path))
    return sample_rules(shipped), targets


def run(rules: list[Rule], targets: list[Target], engine: str) -> tuple[set[tuple], list]:
    matches, problems = semgrep_engine.SemgrepRun(rules, targets, engine=engine).collect()
    return {(path, m.line, m.column, m.end_line, m.end_column, m.rule_id, m.fix) for path, found in matches.items() for m in found}, problems


@pytest.fixture(scope="module")
def both_engines(shipped_ruleset: Ruleset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, tuple[set[tuple], list]]]:
    """Each job set run once by each engine: {"shipped" | "sample": {engine: (findings, problems)}}."""
    out: dict[str, dict[str, tuple[set[tuple], list]]] = {}
    for name, jobs in (("shipped", shipped_example_jobs), ("sample", sample_jobs)):
        rules, targets = jobs(shipped_ruleset, tmp_path_factory.mktemp(name))
        out[name] = {engine: run(rules, targets, engine) for engine in semgrep_engine.ENGINES}
    return out


@pytest.mark.parametrize("jobs", ["shipped", "sample"])
def test_osemgrep_finds_what_pysemgrep_finds(both_engines: dict, jobs: str) -> None:
    (osemgrep, o_problems), (pysemgrep, p_problems) = both_engines[jobs]["osemgrep"], both_engines[jobs]["pysemgrep"]
    assert o_problems == p_problems == []
    assert osemgrep == pysemgrep


def test_the_shipped_examples_are_all_checked(both_engines: dict, shipped_ruleset: Ruleset) -> None:
    flagged = {(path, line) for path, line, *_, rule, _ in both_engines["shipped"]["osemgrep"][0] if path.startswith(f"{rule}/")}
    expected = {
        (f"{r.id}/{n}/{example.filename}", line)
        for r in shipped_ruleset.rules
        if isinstance(r.matcher, SemgrepMatcher)
        for n, example in enumerate(r.examples, 1)
        for line in example.expected
    }
    in_test_code = {("CX0007/3/tests/test_limits.py", 2), ("CX0007/4/myproject/tests.py", 2)}  # dropped after the engine (tests: exempt)
    assert flagged == expected | in_test_code and len(expected) >= 3


def test_the_sample_finds_exactly_its_marked_lines(both_engines: dict) -> None:
    """Written out by hand: nosemgrep does not suppress (--disable-nosem), paths excludes apply, fixes are kept."""
    assert sorted((path, line, column, rule, fix) for path, line, column, _, _, rule, fix in both_engines["sample"]["osemgrep"][0]) == [
        ("app/views.py", 7, 5, "S3", None),
        ("app/views.py", 8, 5, "S1", None),
        ("app/views.py", 10, 5, "S2", None),
        ("app/views.py", 12, 12, "S4", "    data = yaml.safe_load(text)"),
        ("app/views.py", 16, 5, "S7", None),
        ("app/views.py", 17, 7, "S5", None),
        ("app/views.py", 18, 5, "S1", None),
        ("tests/test_views.py", 3, 5, "S1", None),
        ("web/page.js", 2, 18, "S6", None),
        ("web/page.js", 3, 6, "S5", None),
        ("web/page.js", 4, 18, "S6", None),
    ]


def test_a_failing_osemgrep_falls_back_to_pysemgrep_and_says_so(tmp_path: Path, shipped_ruleset: Ruleset) -> None:
    real = semgrep_engine.find_semgrep()
    fake = tmp_path / "bin" / "semgrep"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ncase " $* " in *" --experimental "*) echo "osemgrep: boom" >&2; exit 2;; esac\nexec {real} "$@"\n')
    fake.chmod(0o755)
    (tmp_path / "tool.py").write_text("import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n", encoding="utf-8")
    target = Target("tool.py", tmp_path / "tool.py", "python", None, "tool.py")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semgrep_engine, "find_semgrep", lambda: str(fake))
        matches, problems = semgrep_engine.SemgrepRun([shipped_ruleset.rule("CX0005")], [target]).collect()
    assert matches == {"tool.py": [Match("CX0005", 4, 4, 5, None, "semgrep", None, 36)]}
    assert [(p.kind, p.message) for p in problems] == [("fallback", "osemgrep failed (exit code 2: osemgrep: boom); semgrep rules ran with pysemgrep instead")]
