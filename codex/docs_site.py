"""The static HTML catalog: an index that filters rules by language, severity and stage, a page per rule, a page per RFC.

Every page is self-contained (inline CSS and JS, no external assets), so the catalog works from disk,
offline, or from any internal host.
"""

from __future__ import annotations

import html
from pathlib import Path

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from codex.catalog import Catalog, RfcPage, RulePage, Snippet
from codex.front_matter import without_front_matter
from codex.model import Rule, statement
from codex.rfc import _plain_text, github_anchor

_CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #24292f; color: #fff; padding: 14px 32px; display: flex; gap: 24px; align-items: baseline; }
header a { color: #fff; text-decoration: none; font-weight: 600; font-size: 18px; }
header span { color: #c9d1d9; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; }
a { color: var(--accent); }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 12px; }
.statement { font-size: 16px; background: var(--soft); border-left: 4px solid var(--accent); padding: 10px 14px; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td > a { white-space: nowrap; }
#rules td:first-child { min-width: 150px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid transparent; }
.sev-error { background: #ffebe9; color: #a40e26; border-color: #ffcecb; }
.sev-warning { background: #fff8c5; color: #7d4e00; border-color: #eac54f; }
.sev-info { background: #ddf4ff; color: #0550ae; border-color: #b6e3ff; }
.stage-block { background: #a40e26; color: #fff; }
.stage-warn { background: #bf8700; color: #fff; }
.stage-shadow { background: #eaeef2; color: #59636e; }
.filters { display: flex; gap: 16px; flex-wrap: wrap; align-items: center; margin: 16px 0; padding: 12px 14px; background: var(--soft); border-radius: 6px; }
.filters label { font-weight: 600; }
.filters select, .filters input { margin-left: 6px; padding: 4px 6px; font: inherit; }
#count { margin-left: auto; color: var(--muted); }
.highlight { border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; }
.highlight pre { margin: 0; padding: 10px 12px; font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.highlight .hll { background-color: #ffebe9; display: block; }
.example-note { color: var(--muted); font-size: 13px; margin: 4px 0 0; }
ul.facts { padding-left: 20px; }
code { background: var(--soft); padding: 1px 4px; border-radius: 4px; font-size: 90%; }
.highlight code, pre code { background: none; padding: 0; }
.rfc-body pre { margin: 0; }
"""

_FILTER_JS = """
(function () {
  var keys = ["language", "severity", "stage"];
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rules tbody tr"));
  var text = document.getElementById("filter-text");
  function read() {
    var params = new URLSearchParams(location.hash.slice(1));
    keys.forEach(function (key) { if (params.has(key)) document.getElementById("filter-" + key).value = params.get(key); });
    if (params.has("q")) text.value = params.get("q");
  }
  function apply() {
    var shown = 0, params = new URLSearchParams();
    var wanted = {};
    keys.forEach(function (key) { wanted[key] = document.getElementById("filter-" + key).value; if (wanted[key]) params.set(key, wanted[key]); });
    var q = text.value.trim().toLowerCase();
    if (q) params.set("q", q);
    rows.forEach(function (row) {
      var ok = (!wanted.language || row.dataset.languages.split(" ").indexOf(wanted.language) >= 0)
        && (!wanted.severity || row.dataset.severity === wanted.severity)
        && (!wanted.stage || row.dataset.stage === wanted.stage)
        && (!q || row.textContent.toLowerCase().indexOf(q) >= 0);
      row.hidden = !ok;
      if (ok) shown++;
    });
    document.getElementById("count").textContent = shown + " of " + rows.length + " rules";
    var hash = params.toString();
    if (hash !== location.hash.slice(1)) history.replaceState(null, "", hash ? "#" + hash : location.pathname);
  }
  read();
  keys.forEach(function (key) { document.getElementById("filter-" + key).addEventListener("change", apply); });
  text.addEventListener("input", apply);
  window.addEventListener("hashchange", function () { read(); apply(); });
  apply();
})();
"""


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


def _page(title: str, body: str, site_title: str, depth: int, script: str = "") -> str:
    up = "../" * depth
    style = HtmlFormatter(style="default").get_style_defs(".highlight") + _CSS
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{style}</style>\n</head>\n<body>\n"
            f'<header><a href="{up}index.html">{_e(site_title)}</a><span>Engineering RFCs, enforced on every merge request</span></header>\n'
            f"<main>\n{body}\n</main>\n" + (f"<script>{script}</script>\n" if script else "") + "</body>\n</html>\n")


def _index(catalog: Catalog, title: str) -> str:
    rules = catalog.ruleset.rules
    languages = sorted({lang for r in rules for lang in r.languages})
    rows = "\n".join(_rule_row(r, catalog) for r in rules)
    options = {
        "language": languages,
        "severity": ["error", "warning", "info"],
        "stage": ["block", "warn", "shadow"],
    }
    filters = "".join(
        f'<label>{key.capitalize()}<select id="filter-{key}"><option value="">all</option>'
        + "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values) + "</select></label>"
        for key, values in options.items())
    rfc_rows = "\n".join(
        f'<tr><td><a href="rfcs/{p.meta.id}.html">{p.meta.id}</a></td><td>{_e(p.meta.title)}</td>'
        f"<td>{p.meta.status.value}</td><td>{len(p.rules)}</td></tr>" for p in catalog.rfcs.values())
    body = (f"<h1>{_e(title)}</h1>\n<p class=\"meta\">{len(rules)} rules from {len(catalog.rfcs)} RFCs · "
            f"ruleset {catalog.ruleset.version} · from the {_e(catalog.origin)}</p>\n"
            f'<h2>Rules</h2>\n<div class="filters">{filters}'
            f'<label>Search<input id="filter-text" type="search" placeholder="id, title, text"></label>'
            f'<span id="count">{len(rules)} rules</span></div>\n'
            '<table id="rules"><thead><tr><th>Rule</th><th>If you need … use …</th><th>RFC</th><th>Languages</th>'
            f"<th>Severity</th><th>Stage</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>\n"
            "<h2>RFCs</h2>\n<table id=\"rfcs\"><thead><tr><th>RFC</th><th>Title</th><th>Status</th><th>Rules</th></tr></thead>\n"
            f"<tbody>\n{rfc_rows}\n</tbody></table>")
    return _page(title, body, title, 0, _FILTER_JS)


def _rule_row(rule: Rule, catalog: Catalog) -> str:
    return (f'<tr data-languages="{_e(" ".join(rule.languages))}" data-severity="{rule.severity.value}" data-stage="{rule.stage.value}">'
            f'<td><a href="rules/{rule.id}.html">{rule.id}</a><br>{_e(rule.title)}</td>'
            f"<td>{statement(_inline(rule.need), _inline(rule.use))}</td>"
            f'<td><a href="rfcs/{rule.rfc.id}.html">{rule.rfc.id}</a></td>'
            f"<td>{_e(', '.join(rule.languages))}</td><td>{_badge('sev', rule.severity.value)}</td>"
            f"<td>{_badge('stage', rule.stage.value)}</td></tr>")


def _rule_page(page: RulePage, site_title: str) -> str:
    rule = page.rule
    parts = [f"<h1>{rule.id}: {_e(rule.title)}</h1>",
             f'<p class="meta">{_badge("sev", rule.severity.value)} {_badge("stage", rule.stage.value)} · '
             f"{_e(', '.join(rule.languages))} · {rule.matcher.kind} · from "
             f'<a href="../rfcs/{rule.rfc.id}.html">{rule.rfc.id}: {_e(rule.rfc.title)}</a></p>',
             "<h2>What it does</h2>",
             f'<p class="statement">{statement(_inline(rule.need), _inline(rule.use))}</p>',
             "<h2>Why is this bad?</h2>", _markdown(page.why or "The RFC gives no more detail.")]
    for heading, snippet in (("Example", page.example), ("Use instead", page.instead)):
        if snippet is not None:
            parts += [f"<h2>{heading}</h2>", _snippet(snippet)]
    parts += ["<h2>Stage and rollout</h2>", '<ul class="facts">' + "".join(f"<li>{_e(line)}</li>" for line in page.stage) + "</ul>",
              "<h2>RFC</h2>", f"<p>{_source_links(page.rfc, rule.rfc.anchor, depth=1)}</p>"]
    return _page(f"{rule.id}: {rule.title}", "\n".join(parts), site_title, 1)


def _rfc_page(page: RfcPage, site_title: str) -> str:
    meta = page.meta
    facts = [meta.status.value, f"by {', '.join(meta.authors)}", f"created {meta.created}"]
    if meta.incidents:
        facts.append(f"incidents {', '.join(meta.incidents)}")
    rules = "".join(f'<li><a href="../rules/{r.id}.html">{r.id}</a>: {_e(r.title)}</li>' for r in page.rules)
    body = [f'<p class="meta">{_e(" · ".join(facts))}</p>', f"<p>{_source_links(page, None, depth=1)}</p>",
            f"<ul>{rules}</ul>" if rules else "<p>No active rules.</p>"]
    if page.source is not None:
        body.append(f'<div class="rfc-body">{_markdown(without_front_matter(page.source), anchors=True)}</div>')
    else:
        body.insert(0, f"<h1>{meta.id}: {_e(meta.title)}</h1>")
    return _page(f"{meta.id}: {meta.title}", "\n".join(body), site_title, 1)


def _source_links(page: RfcPage | None, anchor: str | None, depth: int) -> str:
    if page is None:
        return "The RFC is not part of this catalog."
    fragment = f"#{anchor}" if anchor else ""
    links = [f'<a href="{"../" * depth}rfcs/{page.meta.id}.html{fragment}">{page.meta.id}: {_e(page.meta.title)}</a>']
    if page.link != page.meta.path:
        links.append(f'<a class="source" href="{_e(page.link)}{fragment}">RFC source</a>')
    elif page.source is not None:
        links.append(f'<a class="source" href="{"../" * depth}source/{_e(page.meta.path)}">RFC source ({_e(page.meta.path)})</a>')
    else:
        links.append(f"source: <code>{_e(page.meta.path)}</code>")
    return " · ".join(links)


def _snippet(snippet: Snippet) -> str:
    formatter = HtmlFormatter(hl_lines=list(snippet.flagged), linenos=False, cssclass="highlight")
    code = highlight(snippet.code, _lexer(snippet.language), formatter)
    note = f"flagged: line {', '.join(map(str, snippet.flagged))} · " if snippet.flagged else ""
    return f'{code}<p class="example-note">{note}from {_e(snippet.origin)}</p>'


def _lexer(language: str):
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()


def _markdown(text: str, anchors: bool = False) -> str:
    """RFC prose as HTML: raw HTML is escaped, fenced code is highlighted, headings get GitHub's anchors."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight_fence})
    tokens = md.parse(text)
    if anchors:
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                token.attrSet("id", github_anchor(_plain_text(tokens[i + 1])))
    return md.renderer.render(tokens, md.options, {})


def _highlight_fence(code: str, info: str, _attrs) -> str:
    language = info.split()[0] if info else ""
    return highlight(code, _lexer(language) if language else TextLexer(), HtmlFormatter(cssclass="highlight"))


def _inline(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": False}).renderInline(markdown)


def _badge(kind: str, value: str) -> str:
    return f'<span class="badge {kind}-{value}">{value}</span>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
