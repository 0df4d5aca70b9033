"""New RFCs: the next free RFC and rule ids, and a draft RFC with one rule that compiles and passes ``codex test``."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection, Iterator
from pathlib import Path

_RFC_ID = re.compile(r"RFC-(\d+)")
PLACEHOLDER = "If you need [TODO: the situation this rule is about], use [TODO: what to do instead]."

# language → (comment, code before, indent, code after, statement end)
_SHAPES = {
    "python": ("#", "def handler(value):\n", "    ", "", ""),
    "javascript": ("//", "function handler(value) {\n", "  ", "}\n", ";"),
    "typescript": ("//", "function handler(value: string): void {\n", "  ", "}\n", ";"),
    "go": ("//", "package example\n\nfunc handler(value string) {\n", "\t", "}\n", ""),
    "rust": ("//", "fn handler(value: &str) {\n", "    ", "}\n", ";"),
    "java": ("//", "class Example {\n  void handler(String value) {\n", "    ", "  }\n}\n", ";"),
    "ruby": ("#", "def handler(value)\n", "  ", "end\n", ""),
    "lua": ("--", "local function handler(value)\n", "  ", "end\n", ""),
}
LANGUAGES = tuple(_SHAPES)


def next_rule_ids(rfc_dir: Path, prefix: str, taken: Collection[str] = ()) -> Iterator[str]:
    """Rule ids ``<prefix><number>`` after the highest one any RFC under ``rfc_dir`` (or ``taken``: the shipped
    codex's) uses."""
    ids = [m["id"] for m in _rule_headings(rfc_dir)] + list(taken)
    number = max((int(i[len(prefix) :]) for i in ids if i.startswith(prefix) and i[len(prefix) :].isdigit()), default=0)
    while True:
        number += 1
        yield f"{prefix}{number:04d}"


def next_rfc_id(rfc_dir: Path, taken: Collection[str] = ()) -> str:
    """The RFC id after the highest one under ``rfc_dir`` or in ``taken`` (the shipped codex's)."""
    from codex.front_matter import front_matter  # lazy, as the markdown parser below

    ids = [str((front_matter(path.read_text(encoding="utf-8", errors="replace")) or {}).get("id")) for path in _markdown_files(rfc_dir)]
    numbers = [int(m[1]) for m in map(_RFC_ID.fullmatch, ids) if m]
    numbers += [int(t.removeprefix("RFC-")) for t in taken]
    return f"RFC-{max(numbers, default=0) + 1:04d}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "rfc"


def new_rfc(rfc_id: str, rule_id: str, title: str, language: str, author: str) -> str:
    """A draft RFC with one semgrep rule whose examples pass; every [TODO: ...] is for the author."""
    from codex.matchers import REGISTRY

    comment, before, indent, after, end = _SHAPES[language]
    bad = f"{before}{indent}{comment} ruleid: {rule_id}\n{indent}todo_replace_me(value){end}\n{after}"
    good = f"{before}{indent}replace_me_safely(value){end}\n{after}"
    return f"""---
id: {rfc_id}
title: {_scalar(title)}
status: draft
authors: [{_scalar(author)}]
created: {dt.date.today().isoformat()}
---

# {title}

[TODO: why this RFC exists: the incident or the cost, what we learned, what we now ask of everyone.]

## {rule_id}: [TODO: the rule in a few words]

{PLACEHOLDER}

[TODO: when the rule applies, its exceptions, and why the remedy is better.] While the RFC is a
draft its rules run in shadow: findings are recorded, never shown or blocking. Set `status:
accepted` when the rule is ready.

```yaml codex
severity: warning            # error | warning | info
languages: [{language}]
matcher: semgrep             # {" | ".join([*REGISTRY, "llm"])}
# stage: warn                # shadow | warn | block (default: block for errors, warn otherwise)
# tests: exempt              # no findings in test code (default: checked)
# paths:
#   exclude: ["**/tests/**"]
# examples: [examples/{rule_id.lower()}{_extension(language)}]   # annotated files, as semgrep --test reads them
```

```yaml semgrep
pattern: todo_replace_me(...)
```

```{language} bad
{bad}```

```{language} good
{good}```
"""


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when it can be, JSON-quoted (valid YAML) otherwise."""
    return json.dumps(text, ensure_ascii=False) if re.search(r"[:#\[\]{},&*!|>'\"%@`]", text) or text != text.strip() else text


def _extension(language: str) -> str:
    from codex.languages import EXTENSIONS

    return EXTENSIONS[language][0]


def _markdown_files(rfc_dir: Path) -> list[Path]:
    return sorted(rfc_dir.rglob("*.md")) if rfc_dir.is_dir() else []


def _rule_headings(rfc_dir: Path) -> Iterator[re.Match[str]]:
    from codex.rfc import RULE_HEADING  # lazy: `codex --help` lists LANGUAGES without loading the markdown parser

    for path in _markdown_files(rfc_dir):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = RULE_HEADING.match(line.lstrip("#").strip()) if line.startswith("##") else None
            if match:
                yield match
