"""Tokens the LLM pass sends for a realistic merge request, against a naive reviewer, and on re-runs.

    python bench/llm_tokens.py [--seed N] [--keep DIR]

Builds a git repository with a merge request of about 30 files and 1,500 changed lines (Python services and
tests, Lua plugins, docs and YAML) and five judgment rules (the shipped CX0002 and four more), then runs
``codex check`` against a local OpenAI-compatible server that counts the tokens it receives. The naive
reviewer sends the same instructions, the rule, and the whole ``git diff`` once per judgment rule. Then the
same check again with nothing changed, and again after one hunk changed. Tokens are counted with tiktoken's
cl100k_base (the model name given to codex is ``gpt-4``, so codex counts exactly too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the project, and the test suite's scripted LLM server

from codex.compiler import compile_rfcs  # noqa: E402
from codex.model import LlmMatcher, Rule  # noqa: E402
from codex_testing.llm_server import Answer, LlmServer  # noqa: E402
from reviewer.llm import prompt  # noqa: E402
from reviewer.llm.tokens import TokenCounter, counter_for  # noqa: E402

MODEL = "gpt-4"

RULES_RFC = """\
---
id: RFC-0100
title: Service code that survives its dependencies
status: accepted
authors: [Bench]
created: 2026-01-01
---

# Service code that survives its dependencies

Four judgment rules next to the shipped CX0002.

## BX0101: Retries are bounded

If you need to retry a call, use a bounded number of attempts with backoff.

Flag a changed loop that retries without a limit on attempts or total time.

```yaml codex
severity: error
languages: [python]
matcher: llm
paths:
  include: ["services/**"]
prefilter:
  keywords: ["retry", "while True", "attempt", "backoff"]
question: Does a changed line retry an operation with no bound on attempts or elapsed time?
```

```python bad
while True:\n    # ruleid: BX0101\n    try_again(call)
```

```python good
for attempt in range(5):\n    try_again(call)
```

## BX0102: SQL is parameterised

If you need a value in an SQL statement, use the driver's parameters, never string formatting.

Flag SQL built with %, +, .format or f-strings from values that are not constants.

```yaml codex
severity: error
languages: [python]
matcher: llm
prefilter:
  regex: ['(?i)\\b(select|insert|update|delete)\\b']
question: Does a changed line build an SQL statement from non-constant values by string formatting?
```

```python bad
# ruleid: BX0102\ncursor.execute("SELECT * FROM t WHERE id = %s" % user_id)
```

```python good
cursor.execute("SELECT * FROM t WHERE id = %s", (user_id,))
```

## BX0103: Lua plugins keep their names local

If you need a function or a variable in a Lua plugin, use `local` (or a field of the module table).

Flag a changed line that defines or assigns a global.

```yaml codex
severity: warning
languages: [lua]
matcher: llm
paths:
  include: ["plugins/**"]
prefilter:
  regex: ['(?m)^\\s*function\\s', '(?m)^\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=[^=]']
question: Does a changed line define or assign a global variable or function?
```

```lua bad
-- ruleid: BX0103\ncounter = 0
```

```lua good
local counter = 0
```

## BX0104: Locks are released on every path

If you need a lock, use it as a context manager (`with lock:`), so an exception releases it.

Flag acquire/release pairs where an exception in between leaves the lock held.

```yaml codex
severity: error
languages: [python]
matcher: llm
prefilter:
  keywords: ["acquire(", "Lock("]
question: Does a changed line acquire a lock that an exception before its release would leave held?
```

```python bad
# ruleid: BX0104\nlock.acquire()\nwork()\nlock.release()
```

```python good
with lock:\n    work()
```
"""

UPSTREAM_RFC = """\
---
id: RFC-0101
title: Upstream values are checked
status: accepted
authors: [Bench]
created: 2026-01-01
---

# Upstream values are checked

CX0002's judgment with a prefilter that asks for a source of absent values, and no tests.

## BX0100: Check values from configuration and upstream responses before use

If you need a field of a value that configuration or an upstream service may leave out, use an explicit presence check before you index it.

Flag a changed line that indexes a value from configuration, the environment, a lookup that can miss or another service's response, unchecked.

```yaml codex
severity: error
languages: [lua, python]
matcher: llm
paths:
  exclude: ["tests/**", "**/test_*.py"]
prefilter:
  regex: ['\\.get\\(', 'environ', 'getenv', '\\bconf(ig)?\\b', '\\bsettings\\b', '\\bjson\\b', '\\bresponse\\b']
question: Does a changed line index, call or read an attribute of a value that configuration or an upstream service may leave absent (nil/None), without first checking that it is present?
```

```python bad
region = settings.get("region")
# ruleid: BX0100
limit = region["limit"]
```

```python good
region = settings.get("region") or {}
limit = region.get("limit", 10)
```
"""  # noqa: E501  # the RFC's question is one YAML line
SHIPPED_CX0002 = (ROOT / "rfcs/0002-validate-upstream-state.md").read_text()
SCENARIOS = {
    "selective rules": {"0100-bench.md": RULES_RFC, "0101-upstream.md": UPSTREAM_RFC},
    "with the shipped CX0002": {"0100-bench.md": RULES_RFC, "0002-validate-upstream-state.md": SHIPPED_CX0002},
}

PY_BLOCKS = {
    "config": """def load_{n}_limits(settings: dict) -> dict:
    section = settings.get("{n}")
    limits = section["limits"]
    return {{"max": limits["max"], "min": limits.get("min", {k})}}
""",
    "retry": """def call_{n}(client, payload):
    attempt = 0
    while True:
        try:
            return client.post("/{n}", json=payload, timeout={k})
        except TimeoutError:
            attempt += 1
            time.sleep(min(2 ** attempt, 30))
""",
    "sql": """def find_{n}(cursor, user_id):
    query = "SELECT id, state FROM {n} WHERE user_id = %s LIMIT {k}"
    cursor.execute(query, (user_id,))
    return cursor.fetchall()
""",
    "lock": """def update_{n}(store, key, value):
    _lock.acquire()
    store.put(key, value, version={k})
    _lock.release()
""",
    "format": """def format_{n}(amount: float, currency: str) -> str:
    rounded = round(amount, {k})
    text = f"{{rounded:.2f}} {{currency}}"
    return text.strip()
""",
    "summary": """@dataclass
class {N}Summary:
    total: int
    count: int

    def mean(self) -> float:
        return self.total / self.count if self.count else float({k})
""",
    "log": """def log_{n}(logger, event: str, duration: float) -> None:
    logger.info("%s finished in %.3f s", event, duration)
    if duration > {k}.5:
        logger.warning("%s is slow", event)
""",
    "validate": """def validate_{n}(name: str, size: int, tags: list[str]) -> None:
    if not name.isidentifier():
        raise ValueError(f"bad name: {{name!r}}")
    if size < 0 or size > {k}000:
        raise ValueError(f"size out of range: {{size}}")
""",
    "compute": """def score_{n}(hits: int, misses: int, weights: dict[str, float] | None = None) -> float:
    weight = (weights or {{}}).get("{n}", 1.{k})
    total = hits + misses
    if total == 0:
        return 0.0
    ratio = hits / total
    return round(ratio * weight, 3)
""",
}
PY_WEIGHTS = {"config": 3, "retry": 1, "sql": 1, "lock": 1, "format": 3, "summary": 2, "log": 3, "validate": 3, "compute": 3}

LUA_BLOCKS = {
    "config": """local function {n}_action(conf, ctx)
  local rules = conf.rules
  return rules.{n}.action
end
""",
    "kong": """local function {n}_limit(conf, route)
  local per_minute = conf.limits.per_minute
  local burst = conf.tiers[route.name].burst
  return per_minute + burst * {k}
end
""",
    "module": """function M.{n}_weight(ctx)
  local total = {k}
  for _, item in ipairs(ctx.items) do
    total = total + item.weight
  end
  return total
end
""",
    "global": """function {n}_init(opts)
  counter = {k}
  return opts
end
""",
    "string": """local function {n}_label(name, count)
  local suffix = count == 1 and "" or "s"
  return string.format("%s: %d item%s", name, count + {k}, suffix)
end
""",
}
LUA_WEIGHTS = {"config": 2, "kong": 2, "module": 3, "global": 1, "string": 3}
PLANTED = re.compile(r'^\s*(?:limits = section\["limits"\]|return rules\.\w+\.action|local burst = conf\.tiers\[route\.name\]\.burst)$')
"""The lines of the blocks above that violate the upstream rule (CX0002, BX0100): each must reach the model."""
UPSTREAM_RULES = {"CX0002", "BX0100"}

TEST_BLOCK = """def test_{n}_case_{k}():
    result = load_{n}_limits({{"{n}": {{"limits": {{"max": {k}}}}}}})
    assert result["max"] == {k}
    assert result["min"] == 0
"""
DOC_BLOCK = """## {N} ({k})

The {n} endpoint answers within the budget agreed with its callers. It retries
on timeouts with a bounded backoff and logs every failure with its request id.
"""
YAML_BLOCK = """{n}_{k}:
  timeout: {k}
  retries: 3
  endpoint: https://{n}.internal/v{k}
"""


def blocks(kind: dict[str, str], weights: dict[str, int], names: list[str], rng: random.Random, count: int) -> list[str]:
    picked = rng.choices(list(kind), weights=[weights[k] for k in kind], k=count)
    return [kind[p].format(n=rng.choice(names), N=rng.choice(names).title(), k=rng.randint(1, 9)) for p in picked]


def change(base: list[str], fresh: list[str], rng: random.Random) -> list[str]:
    """Replace some blocks and insert others: several hunks per file."""
    out = list(base)
    for block in fresh:
        position = rng.randrange(len(out) + 1)
        if rng.random() < 0.4 and position < len(out):
            out[position] = block
        else:
            out.insert(position, block)
    return out


def build(repo: Path, rfcs: dict[str, str], rng: random.Random) -> None:
    """The base commit, then the merge request's changes in the working tree."""
    names = [
        "billing",
        "quota",
        "invoice",
        "ledger",
        "payout",
        "refund",
        "search",
        "profile",
        "session",
        "catalog",
        "pricing",
        "shipping",
        "inventory",
        "review",
        "notify",
        "audit",
        "export",
        "import_",
        "report",
        "alert",
    ]
    files: dict[str, tuple[list[str], list[str]]] = {}
    for i in range(11):
        base = blocks(PY_BLOCKS, PY_WEIGHTS, names, rng, 14)
        files[f"services/{names[i]}/handlers.py"] = (base, change(base, blocks(PY_BLOCKS, PY_WEIGHTS, names, rng, 8), rng))
    for i in range(6):
        base = blocks(LUA_BLOCKS, LUA_WEIGHTS, names, rng, 12)
        files[f"plugins/{names[i]}.lua"] = (base, change(base, blocks(LUA_BLOCKS, LUA_WEIGHTS, names, rng, 9), rng))
    for i in range(6):
        base = [TEST_BLOCK.format(n=names[i], k=k) for k in range(8)]
        files[f"tests/test_{names[i]}.py"] = (base, change(base, [TEST_BLOCK.format(n=names[i], k=k) for k in range(10, 20)], rng))
    for i in range(4):
        base = [DOC_BLOCK.format(n=names[i], N=names[i].title(), k=k) for k in range(6)]
        files[f"docs/{names[i]}.md"] = (base, change(base, [DOC_BLOCK.format(n=names[i], N=names[i].title(), k=k) for k in range(10, 17)], rng))
    for i in range(2):
        base = [YAML_BLOCK.format(n=names[i], k=k) for k in range(8)]
        files[f"deploy/{names[i]}.yaml"] = (base, change(base, [YAML_BLOCK.format(n=names[i], k=k) for k in range(10, 18)], rng))
    files["services/limits/new_module.py"] = ([], blocks(PY_BLOCKS, PY_WEIGHTS, names, rng, 12))
    commit(repo, rfcs, files)


def commit(repo: Path, rfcs: dict[str, str], files: dict[str, tuple[list[str], list[str]]]) -> None:
    """A repository whose base commit holds the RFCs and the files' base blocks; the changed blocks in the work tree."""
    repo.mkdir(parents=True, exist_ok=True)
    git = lambda *args: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("init", "-q", "-b", "main")
    git("config", "user.email", "bench@codex.invalid")
    git("config", "user.name", "bench")
    for name, text in rfcs.items():
        _write(repo / "rfcs" / name, [text])
    _write(repo / ".gitignore", [".codex/\n"])
    _write(repo / "pyproject.toml", ["[tool.codex]\nshipped = false  # the scenario's rules alone (its CX0002 is a copy)\n"])
    for path, (base, _) in files.items():
        if base:
            _write(repo / path, base)
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    for path, (_, changed) in files.items():
        _write(repo / path, changed)
    git("add", "-N", ".")  # the new module shows in git diff, as it would in a merge request


def _write(path: Path, parts: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".py":
        text = "import time\nfrom dataclasses import dataclass\n\n\n" + "\n\n".join(parts)
    elif path.suffix == ".lua":
        text = "local M = {}\n\n" + "\n".join(parts) + "\nreturn M\n"
    else:
        text = "\n".join(parts)
    path.write_text(text)


def check(repo: Path, server: LlmServer) -> dict:
    env = {**os.environ, "CODEX_LLM_BASE_URL": server.base_url, "CODEX_LLM_MODEL": MODEL, "CODEX_LLM_API_KEY": "bench"}
    proc = subprocess.run(
        [sys.executable, "-m", "codex_cli", "check", "--base", "HEAD", "--format", "json", "--no-history"], cwd=repo, env=env, capture_output=True, text=True
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"codex check failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def git_out(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def judgment_rules(repo: Path) -> list[Rule]:
    ruleset = compile_rfcs(repo / "rfcs", repo).ruleset
    return [r for r in ruleset.rules if isinstance(r.matcher, LlmMatcher)]


def planted(repo: Path) -> set[tuple[str, int]]:
    """(path, line) of each planted violation the merge request adds, outside tests."""
    found: set[tuple[str, int]] = set()
    path, line = "", 0
    for text in git_out(repo, "diff", "-U0", "HEAD").split("\n"):
        if text.startswith("+++ "):
            path = text.removeprefix("+++ b/")
        elif hunk := re.match(r"@@ -\S+ \+(\d+)", text):
            line = int(hunk.group(1))
        elif text.startswith("+"):
            if PLANTED.match(text[1:]) and not path.startswith("tests/"):
                found.add((path, line))
            line += 1
    return found


def routed_lines(request: dict) -> set[tuple[str, int]]:
    """(path, line) of the added lines a request asks an upstream rule about."""
    block = re.search(r"<<<BEGIN-\w+>>>\n(.*)\n<<<END-", request["messages"][-1]["content"], re.S)
    found: set[tuple[str, int]] = set()
    path = ""
    for text in block.group(1).split("\n") if block else ():
        if header := re.match(r"File (\S+); rules: (.*)$", text):
            path = header.group(1) if UPSTREAM_RULES & set(header.group(2).split(", ")) else ""
        elif path and (code := re.match(r"(\d+)\+", text)):
            found.add((path, int(code.group(1))))
    return found


def measure(repo: Path, rfcs: dict[str, str], seed: int, counter: TokenCounter) -> dict:
    """Naive tokens, and codex's requests and tokens on the first run, an unchanged re-run, and after one hunk changed;
    the planted violations and those the first run sent to the upstream rule."""
    build(repo, rfcs, random.Random(seed))
    received: list[int] = []
    routed: set[tuple[str, int]] = set()
    texts: list[str] = []

    def count(request: dict) -> Answer:
        received.append(sum(counter.count(m["content"]) + 4 for m in request["messages"]))
        routed.update(routed_lines(request))
        texts.append("\n".join(m["content"] for m in request["messages"]))
        return Answer('{"findings": []}')

    diff = git_out(repo, "diff", "HEAD")
    numstat = [line.split("\t") for line in git_out(repo, "diff", "--numstat", "HEAD").splitlines()]
    rules = judgment_rules(repo)
    violations = planted(repo)
    naive = sum(counter.count(prompt.SYSTEM) + 4 + counter.count(f"Rules to apply:\n\n{prompt.render_rule(rule)}\n\n{diff}") + 4 for rule in rules)
    runs: dict[str, tuple[int, int]] = {}
    with LlmServer(count) as server:
        for name in ("first run", "unchanged re-run", "one hunk changed"):
            if name == "one hunk changed":
                edited = repo / "services/billing/handlers.py"
                edited.write_text(edited.read_text().replace("section = settings.get(", 'section = settings.get("v2") or settings.get(', 1))
            before = (len(received), sum(received))
            report = check(repo, server)
            runs[name] = (len(received) - before[0], sum(received) - before[1])
            if name == "first run":
                first = report["stats"]["llm"]
                recall = {
                    language: (len({v for v in violations if v[0].endswith(suffix)} & routed), len({v for v in violations if v[0].endswith(suffix)}))
                    for language, suffix in (("Python", ".py"), ("Lua", ".lua"))
                }
    return {
        "files": len(numstat),
        "lines": sum(int(a) + int(d) for a, d, _ in numstat),
        "rules": len(rules),
        "naive": naive,
        "runs": runs,
        "stats": first,
        "recall": recall,
        "shared": shared_prefix(texts[:2], counter),
    }


def shared_prefix(texts: list[str], counter: TokenCounter) -> tuple[int, int]:
    """Tokens two requests share from their start (what a provider's prompt cache can serve), and the first one's."""
    common = os.path.commonprefix(texts) if len(texts) == 2 else ""  # noqa: RUF071  # characters: a prompt cache serves a shared text prefix
    return counter.count(common), counter.count(texts[0]) if texts else 0


def measure_focus(repo: Path, seed: int, counter: TokenCounter) -> tuple[int, int, dict[str, int]]:
    """The shipped CX0002 alone on a merge request of 10 files, each adding nine functions of which one reads
    configuration: the tokens codex sends, the tokens of the whole diff, and where the tokens sent go (the fixed
    instructions, the rule's text, the code with its file headers and line labels)."""
    rng = random.Random(seed)
    quiet = {kind: block for kind, block in PY_BLOCKS.items() if kind in ("format", "log", "validate", "summary", "sql", "lock")}
    names = ["billing", "quota", "invoice", "ledger", "payout", "refund", "search", "profile", "session", "catalog"]
    files = {}
    for name in names:
        fresh = [PY_BLOCKS["config"].format(n=name, N=name.title(), k=1), *blocks(quiet, dict.fromkeys(quiet, 1), names, rng, 8)]
        base = blocks(quiet, dict.fromkeys(quiet, 1), names, rng, 6)
        files[f"services/{name}/handlers.py"] = (base, change(base, rng.sample(fresh, len(fresh)), rng))
    commit(repo, {"0002-validate-upstream-state.md": SHIPPED_CX0002}, files)
    received: list[int] = []
    parts = dict.fromkeys(("instructions", "rule", "code"), 0)

    def count(request: dict) -> Answer:
        received.append(sum(counter.count(m["content"]) + 4 for m in request["messages"]))
        system, user = (m["content"] for m in request["messages"])
        rules, _, code = user.partition("\n\nThe code to review")
        parts["instructions"] += counter.count(system)
        parts["rule"] += counter.count(rules)
        parts["code"] += counter.count(code)
        return Answer('{"findings": []}')

    with LlmServer(count) as server:
        check(repo, server)
    return sum(received), counter.count(git_out(repo, "diff", "HEAD")), parts


def measure_verification(repo: Path, counter: TokenCounter) -> tuple[int, int, int]:
    """The focus merge request again with ``verify = true``, the model reporting each planted violation: the findings
    verified, the tokens of the review requests and of the verification requests."""
    with (repo / "pyproject.toml").open("a") as config:
        config.write("\n[tool.codex.llm]\nverify = true\n")
    review, verification = [], []

    def answer(request: dict) -> Answer:
        tokens = sum(counter.count(m["content"]) + 4 for m in request["messages"])
        if request["messages"][0]["content"].startswith("You check a finding"):
            verification.append(tokens)
            return Answer(json.dumps({"verdict": "upheld", "reason": "section may be None"}))
        review.append(tokens)
        block = re.search(r"<<<BEGIN-\w+>>>\n(.*)\n<<<END-", request["messages"][-1]["content"], re.S).group(1)
        found, path = [], ""
        for text in block.split("\n"):
            if header := re.match(r"File (\S+);", text):
                path = header.group(1)
            elif line := re.match(r'(\d+)\+(\s*limits = section\["limits"\])$', text):
                found.append(
                    {
                        "rule_id": "CX0002",
                        "path": path,
                        "line": int(line.group(1)),
                        "quote": line.group(2).strip(),
                        "source": "settings.get",
                        "confidence": "high",
                        "reason": "section may be None",
                    }
                )
        return Answer(json.dumps({"findings": found}))

    with LlmServer(answer) as server:
        check(repo, server)
    return len(verification), sum(review), sum(verification)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the repositories under this directory and keep them")
    args = parser.parse_args()
    counter = counter_for(MODEL)
    print(f"tokens counted with {counter.name}")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for index, (scenario, rfcs) in enumerate(SCENARIOS.items()):
            result = measure((args.keep or Path(tmp)) / f"mr{index}", rfcs, args.seed, counter)
            first_tokens = result["runs"]["first run"][1]
            print(f"\n{scenario}: {result['files']} files, {result['lines']:,} changed lines, {result['rules']} judgment rules")
            print(f"  naive (whole diff once per rule): {result['rules']} requests, {result['naive']:,} tokens")
            for name, (requests, tokens) in result["runs"].items():
                share = f" ({tokens / result['naive']:.3f} of naive)" if name == "first run" else ""
                print(f"  codex, {name}: {requests} request(s), {tokens:,} tokens{share}")
            stats = result["stats"]
            print(
                f"  first run: {stats['hunks']['routed']} of the changed hunks routed to a rule; per rule "
                + ", ".join(f"{rule} {c['tokens_in']:,}" for rule, c in stats["per_rule"].items())
            )
            shared, whole = result["shared"]
            print(f"  shared prefix of the first run's first request and the next one sent: {shared:,} of {whole:,} tokens")
            print(
                "  routing recall (planted violations sent to the upstream rule / planted): "
                + ", ".join(f"{language} {sent}/{total}" for language, (sent, total) in result["recall"].items())
            )
            met = (
                first_tokens <= result["naive"] / 10
                and result["runs"]["unchanged re-run"][1] == 0
                and all(sent == total > 0 for sent, total in result["recall"].values())
            )
            print(f"  target (<= 1/10 of naive, 0 on the re-run, recall 1.0): {'met' if met else 'NOT met'}")
            failed = failed or not met
        sent, diff, parts = measure_focus((args.keep or Path(tmp)) / "focus", args.seed, counter)
        print(
            f"\none function in nine reads configuration (CX0002 alone, 10 files): codex sends {sent:,} tokens, "
            f"the diff is {diff:,} ({sent / diff:.3f} of it; target <= 0.2: {'met' if sent <= diff / 5 else 'NOT met'})"
        )
        print(
            f"  of which the fixed instructions {parts['instructions']:,}, the rule's text {parts['rule']:,}, the code with its "
            f"headers, line labels and markers {parts['code']:,}"
        )
        verified, review, verification = measure_verification((args.keep or Path(tmp)) / "focus", counter)
        print(
            f"  with verify = true and each planted violation reported: {verified} finding(s) verified in {verification:,} tokens "
            f"({verification // max(1, verified):,} each) after a review of {review:,}"
        )
        failed = failed or sent > diff / 5
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
