"""The static HTML catalog: an index that filters rules by language, severity and stage, a page per rule, a page per RFC.

Every page is self-contained (inline CSS and JS, no external assets), so the catalog works from disk,
offline, or from any internal host. Pages are Jinja2 templates in ``site_templates/``, autoescaped: only the
HTML codex renders itself (highlighted code, RFC markdown with raw HTML escaped) is marked safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from codex.catalog import Catalog, RfcPage, RulePage, Snippet
from codex.front_matter import without_front_matter
from codex.model import Rule, statement
from codex.rfc import _plain_text, github_anchor

_TEMPLATES = Environment(
    loader=PackageLoader("codex", "site_templates"), autoescape=select_autoescape(("j2",), default=True), undefined=StrictUndefined, keep_trailing_newline=True
)


def build_site(catalog: Catalog, out_dir: Path, title: str = "The codex") -> list[Path]:
    """Write the catalog into ``out_dir``; returns the pages written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_write(out_dir / "index.html", _index(catalog, title))]
    for rule in catalog.ruleset.rules:
        written.append(_write(out_dir / "rules" / f"{rule.id}.html", _rule_page(catalog.rule_page(rule), title)))
    for page in catalog.rfcs.values():
        written.append(_write(out_dir / "rfcs" / f"{page.meta.id}.html", _rfc_page(page, title)))
        if page.source is not None and page.link == page.meta.path:  # no hosted source to link to: ship a copy
            written.append(_write(out_dir / "source" / page.meta.path, page.source))
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _render(template: str, title: str, site_title: str, depth: int, **context: object) -> str:
    return _TEMPLATES.get_template(template).render(
        title=title, site_title=site_title, up="../" * depth, pygments_css=Markup(HtmlFormatter(style="default").get_style_defs(".highlight")), **context
    )


def _index(catalog: Catalog, title: str) -> str:
    rules = catalog.ruleset.rules
    filters = {
        "language": sorted({lang for r in rules for lang in r.languages}),
        "severity": ["error", "warning", "info"],
        "stage": ["block", "warn", "shadow"],
    }
    return _render(
        "index.html.j2",
        title,
        title,
        0,
        rules=rules,
        rfcs=list(catalog.rfcs.values()),
        filters=filters,
        statements={r.id: _statement(r) for r in rules},
        version=catalog.ruleset.version,
        origin=catalog.origin,
    )


def _rule_page(page: RulePage, site_title: str) -> str:
    rule = page.rule
    snippets = [(heading, _snippet(s)) for heading, s in (("Example", page.example), ("Fix", page.fix), ("Use instead", page.instead)) if s is not None]
    return _render(
        "rule.html.j2",
        f"{rule.id}: {rule.title}",
        site_title,
        1,
        page=page,
        statement=_statement(rule),
        why=_markdown(page.why or "The RFC gives no more detail."),
        snippets=snippets,
    )


def _rfc_page(page: RfcPage, site_title: str) -> str:
    meta = page.meta
    facts = [meta.status.value, f"by {', '.join(meta.authors)}", f"created {meta.created}"]
    if meta.incidents:
        facts.append(f"incidents {', '.join(meta.incidents)}")
    body = _markdown(without_front_matter(page.source), anchors=True) if page.source is not None else None
    return _render("rfc.html.j2", f"{meta.id}: {meta.title}", site_title, 1, page=page, facts=facts, body=body)


def _statement(rule: Rule) -> Markup:
    return Markup(statement(_inline(rule.need), _inline(rule.use)))


@dataclass(frozen=True)
class _HighlightedSnippet:
    code: Markup
    flagged: tuple[int, ...]
    origin: str


def _snippet(snippet: Snippet) -> _HighlightedSnippet:
    formatter = HtmlFormatter(hl_lines=list(snippet.flagged), linenos=False, cssclass="highlight")
    return _HighlightedSnippet(Markup(highlight(snippet.code, _lexer(snippet.language), formatter)), tuple(snippet.flagged), snippet.origin)


def _lexer(language: str):
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()


def _markdown(text: str, anchors: bool = False) -> Markup:
    """RFC prose as HTML: raw HTML is escaped, fenced code is highlighted, headings get GitHub's anchors."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight_fence})
    tokens = md.parse(text)
    if anchors:
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                token.attrSet("id", github_anchor(_plain_text(tokens[i + 1])))
    return Markup(md.renderer.render(tokens, md.options, {}))


def _highlight_fence(code: str, info: str, _attrs) -> str:
    language = info.split()[0] if info else ""
    return highlight(code, _lexer(language) if language else TextLexer(), HtmlFormatter(cssclass="highlight"))


def _inline(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": False}).renderInline(markdown)
