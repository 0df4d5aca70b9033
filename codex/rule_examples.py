"""A rule's examples: its fenced bad/good/fixed blocks and the annotated files it names, and whether it has enough."""

from __future__ import annotations

import posixpath
from pathlib import Path

from codex.annotations import expected_lines
from codex.languages import EXTENSIONS, default_filename, language_of
from codex.model import Example
from codex.problems import Problem
from codex.rfc import Block, RuleSection
from codex.rule_config import RuleConfig


def block_examples(section: RuleSection, config: RuleConfig, fences: list[Block], path: str) -> tuple[list[Example], list[Problem]]:
    examples: list[Example] = []
    problems: list[Problem] = []
    for block in fences:
        words = block.info.split()
        if len(words) < 2 or words[1] not in ("bad", "good", "fixed"):
            continue
        language, verdict = words[0], words[1]
        if verdict == "fixed":
            bad = examples[-1] if examples else None
            if bad is None or bad.verdict != "bad" or bad.language != language or bad.fixed is not None:
                problems.append(
                    Problem(
                        path=path,
                        line=block.line,
                        message=f"a {language} fixed block must follow a {language} bad block",
                        hint="put it right after the bad block whose fixes it shows (one per bad block)",
                    )
                )
            else:
                examples[-1] = bad.model_copy(update={"fixed": block.content})
            continue
        options = dict(w.split("=", 1) for w in words[2:] if "=" in w)
        if language not in config.languages:
            problems.append(
                Problem(
                    path=path,
                    line=block.line,
                    message=f"example in {language!r}, which rule {section.rule_id} does not cover",
                    hint=f"use one of {config.languages}",
                )
            )
            continue
        expected = expected_lines(block.content, section.rule_id)
        if verdict == "bad" and not expected:
            problems.append(
                Problem(
                    path=path,
                    line=block.line,
                    message="bad example marks no line",
                    hint=f"put a comment 'ruleid: {section.rule_id}' on the line before each line that must be flagged",
                )
            )
        examples.append(
            Example(
                verdict="bad" if verdict == "bad" else "good",
                language=language,
                code=block.content,
                filename=options.get("path", default_filename(language)),
                expected=tuple(expected) if verdict == "bad" else (),
                source_line=block.line,
            )
        )
    return examples, problems


def file_examples(rule_id: str, config: RuleConfig, line: int, path: str, rfc_dir: Path) -> tuple[list[Example], list[Problem]]:
    """The annotated example files a rule names (``examples:``), read relative to its RFC."""
    examples: list[Example] = []
    problems: list[Problem] = []
    for entry in config.examples:
        source = posixpath.normpath(posixpath.join(posixpath.dirname(path), entry))
        language = language_of(entry)
        if language not in config.languages:
            problems.append(
                Problem(
                    path=path,
                    line=line,
                    message=f"example file {entry} is not in a language rule {rule_id} covers",
                    hint=f"name a file ending in {', '.join(e for lang in config.languages for e in EXTENSIONS[lang])}",
                )
            )
            continue
        try:
            code = (rfc_dir / entry).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(
                Problem(
                    path=path,
                    line=line,
                    message=f"cannot read example file {source}: {getattr(exc, 'strerror', None) or exc}",
                    hint="give a path relative to the RFC file",
                )
            )
            continue
        examples.append(
            Example(
                verdict="file",
                language=language,
                code=code,
                filename=posixpath.basename(entry),
                expected=tuple(expected_lines(code, rule_id)),
                source_line=1,
                source=source,
            )
        )
    return examples, problems


def missing_examples_problem(rule_id: str, examples: list[Example], path: str, line: int) -> Problem | None:
    """A rule shows at least one flagged and one clean case: bad and good blocks, or an annotated file."""
    files = [e for e in examples if e.verdict == "file"]
    has_bad = any(e.verdict == "bad" for e in examples) or any(e.expected for e in files)
    has_good = any(e.verdict == "good" for e in examples) or bool(files)
    if has_bad and has_good:
        return None
    return Problem(
        path=path,
        line=line,
        message=f"rule {rule_id} needs at least one bad and one good example",
        hint="add fenced blocks such as ```python bad and ```python good, or an annotated file under examples:",
    )
