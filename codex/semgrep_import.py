"""Semgrep rules (and their annotated test files) converted into an RFC that compiles."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from codex.annotations import ANNOTATION, marked_lines
from codex.languages import EXTENSIONS, language_of
from codex.model import Ruleset
from codex.problems import Problem
from codex.scaffold import PLACEHOLDER, next_rfc_id, next_rule_ids, slug
from codex.semgrep_config import SEMGREP_RESERVED

_SEVERITY = {
    "ERROR": "error",
    "CRITICAL": "error",
    "HIGH": "error",
    "WARNING": "warning",
    "MEDIUM": "warning",
    "INFO": "info",
    "LOW": "info",
    "INVENTORY": "info",
    "EXPERIMENT": "info",
}
_LANGUAGE_ALIASES = {
    "py": "python",
    "python3": "python",
    "js": "javascript",
    "ts": "typescript",
    "rs": "rust",
    "rb": "ruby",
    "sh": "bash",
    "c#": "csharp",
    "cs": "csharp",
    "kt": "kotlin",
    "tf": "terraform",
    "hcl": "terraform",
}
_STATEMENT = re.compile(r"^\s*If you need\s+.+?,\s*use\s+.+$", re.S | re.I)


@dataclass
class Imported:
    """What an import writes: the RFC and its example files, as paths relative to the output directory."""

    files: dict[str, str] = field(default_factory=dict)
    rule_ids: dict[str, str] = field(default_factory=dict)
    draft: bool = False
    problems: list[Problem] = field(default_factory=list)


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings (semgrep patterns) as ``|`` blocks, the way people write them."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_LiteralDumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False)


def import_semgrep(rules_path: Path, tests: list[Path], out_dir: Path, prefix: str = "CX", shipped: Ruleset | None = None) -> Imported:
    """Convert every rule of ``rules_path`` into one RFC under ``out_dir`` (nothing is written here), with ids that
    neither ``out_dir``'s RFCs nor the ``shipped`` codex use."""
    result = Imported()
    label = rules_path.as_posix()
    rules, problem = _read_rules(rules_path)
    if problem:
        result.problems.append(problem)
        return result
    ids = next_rule_ids(out_dir, prefix, [r.id for r in shipped.rules] if shipped else ())
    convertible = []
    for raw in rules:
        problem = _unconvertible(raw, label)
        if problem:
            result.problems.append(problem)
            continue
        convertible.append(raw)
        result.rule_ids[str(raw["id"])] = next(ids)
    if not convertible:
        return result
    rfc_id = next_rfc_id(out_dir, [m.id for m in shipped.rfcs] if shipped else ())
    stem = f"{rfc_id.split('-')[1]}-{slug(rules_path.name.split('.')[0])}"
    example_files = {}
    for test in tests or _discover_tests(rules_path):
        try:
            example_files[f"examples/{stem}{test.suffix}"] = _rewrite_annotations(test.read_text(encoding="utf-8"), result.rule_ids)
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(
                Problem(
                    path=test.as_posix(), message=f"test file not read: {getattr(exc, 'strerror', None) or exc}", hint="give a UTF-8 text file", kind="usage"
                )
            )
    sections = []
    for raw in convertible:
        section, statement_found, problems = _section(raw, result.rule_ids[str(raw["id"])], example_files, label)
        result.problems += problems
        sections.append(section)
        result.draft |= not statement_found
    result.files[f"{stem}.md"] = _document(rfc_id, rules_path.name, result.draft, sections)
    used_languages = {lang for raw in convertible for lang in _languages(raw)}
    result.files.update({path: text for path, text in example_files.items() if language_of(path) in used_languages})
    return result


def _read_rules(path: Path) -> tuple[list, Problem | None]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [], Problem(path=path.as_posix(), message=f"cannot read: {exc.strerror}", kind="usage")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], Problem(
            path=path.as_posix(), line=mark.line + 1 if mark else None, message=f"not valid YAML: {getattr(exc, 'problem', exc)}", hint="fix the YAML"
        )
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return [], Problem(path=path.as_posix(), line=1, message="no 'rules:' list", hint="give a semgrep rules file")
    return data["rules"], None


def _discover_tests(rules_path: Path) -> list[Path]:
    """semgrep --test's convention: the test file has the rules file's name with a language's extension."""
    stem = rules_path.name.split(".")[0]
    return sorted(p for p in rules_path.parent.glob(f"{stem}.*") if p != rules_path and language_of(p.name))


def _languages(raw: dict) -> list[str]:
    return [_LANGUAGE_ALIASES.get(str(lang).lower(), str(lang).lower()) for lang in raw.get("languages") or []]


def _unconvertible(raw: Any, label: str) -> Problem | None:
    """Why a semgrep rule cannot become a codex rule, if it cannot."""
    if not isinstance(raw, dict) or not raw.get("id"):
        return Problem(path=label, message="a rule without an id was skipped", hint="give every rule an id")
    where = f"{label} (rule {raw['id']})"
    languages = _languages(raw)
    unknown = [lang for lang in languages if lang not in EXTENSIONS]
    if not languages or unknown:
        return Problem(
            path=where,
            message=f"languages {', '.join(unknown) or 'missing'}: not ones codex checks; rule skipped",
            hint=f"codex knows {', '.join(sorted(EXTENSIONS))}",
        )
    if not any(str(k).startswith("pattern") for k in raw if k not in SEMGREP_RESERVED):
        return Problem(path=where, message="no pattern (pattern, patterns, pattern-either, pattern-regex, ...); rule skipped")
    return None


def _section(raw: dict, rule_id: str, example_files: dict[str, str], label: str) -> tuple[str, bool, list[Problem]]:
    """The RFC section of one rule, whether its message was an "If you need X, use Y" statement, and what the author must fix."""
    semgrep_id = str(raw["id"])
    where = f"{label} (rule {semgrep_id})"
    languages = _languages(raw)
    body = {k: v for k, v in raw.items() if k not in SEMGREP_RESERVED}
    message = " ".join(str(raw.get("message", "")).split())
    statement_found = bool(_STATEMENT.match(message))
    config: dict[str, Any] = {"severity": _SEVERITY.get(str(raw.get("severity", "WARNING")).upper(), "warning"), "languages": languages, "matcher": "semgrep"}
    paths = _paths(raw.get("paths"))
    if paths:
        config["paths"] = paths
    examples = [p for p in example_files if language_of(p) in languages]
    if examples:
        config["examples"] = examples
    config["metadata"] = {"semgrep_id": semgrep_id, **(raw.get("metadata") or {})}
    title = _title(semgrep_id)
    parts = [f"## {rule_id}: {title}", message if statement_found else PLACEHOLDER]
    if not statement_found:
        if message:
            parts.append(f"semgrep's message: {message}")
        parts.append("Imported as a draft: replace the [TODO: ...] parts of the statement above, then set the RFC to accepted.")
    parts += [f"```yaml codex\n{dump_yaml(config)}```", f"```yaml semgrep\n{dump_yaml(body)}```"]
    problems = []
    if not any(marked_lines(example_files[p], rule_id) for p in examples):
        problems.append(
            Problem(
                path=where,
                message=f"no test file marks a line 'ruleid: {semgrep_id}'; {rule_id} will not compile until it has a bad example",
                hint="pass --tests FILE with 'ruleid:' annotations, or add bad/good blocks to the RFC",
            )
        )
    return "\n\n".join(parts) + "\n", statement_found, problems


def _paths(raw: Any) -> dict[str, list[str]]:
    """semgrep's gitignore-style path patterns as codex globs: unanchored patterns match at any depth, a directory covers its files."""
    if not isinstance(raw, dict):
        return {}
    converted = {}
    for key in ("include", "exclude"):
        globs: list[str] = []
        for pattern in raw.get(key) or []:
            text = str(pattern).strip()
            anchored = text.startswith("/") or "/" in text.rstrip("/")
            base = text.strip("/") if anchored else f"**/{text.strip('/')}"
            globs += [base, f"{base}/**"]
        if globs:
            converted[key] = globs
    return converted


def _rewrite_annotations(text: str, rule_ids: dict[str, str]) -> str:
    """Annotations name the codex rule ids the imported rules get."""

    def rename(match: re.Match[str]) -> str:
        ids = [rule_ids.get(x.strip(), x.strip()) for x in match["ids"].split(",")]
        return f"{match['kind']}: {', '.join(ids)}"

    return ANNOTATION.sub(rename, text)


def _document(rfc_id: str, source_name: str, draft: bool, sections: list[str]) -> str:
    title = f"Rules imported from semgrep: {source_name.split('.')[0]}"
    front = dump_yaml(
        {"id": rfc_id, "title": title, "status": "draft" if draft else "accepted", "authors": ["codex import semgrep"], "created": dt.date.today()}
    )
    intro = f"Imported from `{source_name}` by `codex import semgrep`. [TODO: say why these rules matter: the incident, the cost, what we learned.]"
    return f"---\n{front}---\n\n# {title}\n\n{intro}\n\n" + "\n".join(sections)


def _title(semgrep_id: str) -> str:
    words = PurePosixPath(semgrep_id.replace(".", "/")).name.replace("_", "-").split("-")
    return " ".join(words).capitalize()
