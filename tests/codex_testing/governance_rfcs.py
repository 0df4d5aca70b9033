"""Small RFCs for the governance tests (the git repositories come from conftest's ``git_repo``)."""

from __future__ import annotations

import textwrap

import yaml

LIBCST_RULE = """
## {rule_id}: Outbound requests calls have a timeout

If you need an HTTP call with `requests`, use an explicit `timeout=`.

```yaml codex
{config}
```

```python bad
import requests
# ruleid: {rule_id}
requests.get(url)
```

```python good
import requests
requests.get(url, timeout=5)
```
"""

SEMGREP_RULE = """
## {rule_id}: {title}

If you need {need}, use {use}.

```yaml codex
{config}
```

```yaml semgrep
{body}
```

```{language} bad
{bad}
```

```{language} good
{good}
```
"""


def rfc(rfc_id: str, sections: list[str], status: str = "accepted", **front: object) -> str:
    """An RFC's markdown: front matter (extra keys such as ``rollout``) and the given rule sections."""
    meta = {"id": rfc_id, "title": f"Test {rfc_id}", "status": status, "authors": ["Tests"], "created": "2026-01-01", **front}
    header = yaml.safe_dump(meta, sort_keys=False, default_flow_style=None)
    return f"---\n{header}---\n\n# Test {rfc_id}\n\nWhy.\n" + "".join(sections)


def libcst_rule(rule_id: str, **config: object) -> str:
    settings = {
        "severity": "error",
        "languages": ["python"],
        "matcher": "libcst",
        "rule_class": "codex.lints.requests_timeout:RequestsWithoutTimeout",
        **config,
    }
    return LIBCST_RULE.format(rule_id=rule_id, config=yaml.safe_dump(settings, sort_keys=False).strip())


def semgrep_rule(
    rule_id: str,
    body: str,
    bad: str,
    good: str,
    language: str = "rust",
    title: str = "A rule",
    need: str = "a value",
    use: str = "the safe way",
    **config: object,
) -> str:
    settings = {"severity": "error", "languages": [language], "matcher": "semgrep", **config}
    return SEMGREP_RULE.format(
        rule_id=rule_id,
        title=title,
        need=need,
        use=use,
        language=language,
        body=textwrap.dedent(body).strip(),
        bad=textwrap.dedent(bad).strip(),
        good=textwrap.dedent(good).strip(),
        config=yaml.safe_dump(settings, sort_keys=False).strip(),
    )


UNWRAP_BODY = """
pattern-either:
  - pattern: $X.unwrap()
  - pattern: $X.expect(...)
"""
UNWRAP_BAD = """
fn f() {
    // ruleid: RX0001
    let x = g().unwrap();
}
"""
UNWRAP_GOOD = """
fn f() -> Result<(), E> {
    let x = g()?;
    Ok(())
}
"""


def unwrap_rule(rule_id: str = "RX0001", **config: object) -> str:
    return semgrep_rule(
        rule_id, UNWRAP_BODY, UNWRAP_BAD.replace("RX0001", rule_id), UNWRAP_GOOD, title="No unwrap", need="a value out of a Result", use="`?`", **config
    )
