"""Reading an RFC markdown file into front matter and rule sections (markdown-it-py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from codex.front_matter import FRONT_MATTER
from codex.model import RULE_ID
from codex.problems import Problem

RULE_HEADING = re.compile(rf"^(?P<id>{RULE_ID})\s*(?:[:\u2014\u2013-]\s*)?(?P<title>.*)$")


@dataclass
class Block:
    """A top-level markdown block with its 1-based line in the RFC file."""

    kind: str  # "fence", "text"
    line: int
    content: str
    info: str = ""


@dataclass
class RuleSection:
    rule_id: str
    title: str
    heading: str
    line: int
    blocks: list[Block] = field(default_factory=list)


@dataclass
class RfcDocument:
    path: str
    front_matter: dict
    title: str
    body_line: int
    rules: list[RuleSection]
    front_text: str = ""  # the YAML between the '---' lines, which start on line 2


def read_rfc(path: Path, rel: str) -> tuple[RfcDocument | None, list[Problem]]:
    """Parse one RFC; a file that cannot be read at all gives problems and no document."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(path=rel, line=1, message=f"not UTF-8 text ({exc.reason})", hint="save the RFC as UTF-8")]
    except OSError as exc:
        return None, [Problem(path=rel, message=f"cannot read: {exc.strerror}")]
    return parse_rfc(text, rel)


def parse_rfc(text: str, rel: str) -> tuple[RfcDocument | None, list[Problem]]:
    """Parse an RFC's markdown text, labelled ``rel`` in problems; text that is no RFC gives problems and no document."""
    match = FRONT_MATTER.match(text)
    if not match:
        return None, [
            Problem(path=rel, line=1, message="no YAML front matter", hint="start the file with '---', the id/title/status/authors/created keys, and '---'")
        ]
    try:
        front = yaml.safe_load(match.group("body"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        return None, [
            Problem(path=rel, line=line, message=f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}", hint="fix the YAML between the '---' lines")
        ]
    if not isinstance(front, dict):
        return None, [Problem(path=rel, line=1, message="front matter is not a mapping", hint="write 'key: value' lines")]
    offset = text[: match.end()].count("\n")
    doc = _parse_body(rel, front, text[match.end() :], offset)
    doc.front_text = match.group("body")
    return doc, []


def _parse_body(rel: str, front: dict, body: str, offset: int) -> RfcDocument:
    tokens = MarkdownIt("commonmark").parse(body)
    lines = re.split(r"\r\n?|\n", body)  # as markdown-it counts them (not str.splitlines: \f, \u2028 ...)
    doc = RfcDocument(path=rel, front_matter=front, title="", body_line=offset + 1, rules=[])
    current: RuleSection | None = None
    current_level = 0
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.map is None:
            continue
        line = tok.map[0] + offset + 1
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            heading = _plain_text(tokens[i + 1])
            match = RULE_HEADING.match(heading)
            if match and level >= 2:
                current = RuleSection(match["id"], match["title"].strip() or heading, heading, line)
                current_level = level
                doc.rules.append(current)
            elif current is not None and level <= current_level:
                current = None
            if level == 1 and not doc.title:
                doc.title = heading
        elif current is None:
            continue
        elif tok.type == "fence":
            current.blocks.append(Block("fence", line, tok.content, tok.info.strip()))
        elif tok.type.endswith("_open") and tok.nesting == 1:
            source = "\n".join(lines[tok.map[0] : tok.map[1]])
            current.blocks.append(Block("text", line, source))
    return doc


def inline_source(markdown: str) -> str:
    """The text of a markdown block with strong emphasis (``**``, ``__``) taken off and everything else as
    written: code spans verbatim with their backticks (``__name__``, ``**kwargs`` stay), links, emphasis."""
    paragraphs = (_inline_source(tok.children or []) for tok in MarkdownIt("commonmark").parse(markdown) if tok.type == "inline")
    return "\n\n".join(paragraphs)


def _inline_source(children: list[Token]) -> str:
    parts: list[str] = []
    links: list[Token] = []
    for child in children:
        if child.type == "code_inline":
            content = child.content
            pad = " " if content[:1] == "`" or content[-1:] == "`" or (content[:1] == content[-1:] == " " and content.strip()) else ""
            parts.append(f"{child.markup}{pad}{content}{pad}{child.markup}")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            links.append(child)
            parts.append("<" if child.markup == "autolink" else "[")
        elif child.type == "link_close":
            link = links.pop()
            parts.append(">" if link.markup == "autolink" else f"]({link.attrGet('href')})")
        elif child.type == "image":
            parts.append(f"![{child.content}]({child.attrGet('src')})")
        elif child.type in ("strong_open", "strong_close"):
            continue
        elif child.type in ("em_open", "em_close"):
            parts.append(child.markup)
        else:  # text, html_inline
            parts.append(child.content)
    return "".join(parts)


def _plain_text(inline: Token) -> str:
    """A heading's text as rendered: markup, link targets and inline HTML left out."""
    return "".join(c.content for c in inline.children or () if c.type in ("text", "code_inline")).strip()


def github_anchor(heading: str) -> str:
    """The anchor GitHub and GitLab give a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")
