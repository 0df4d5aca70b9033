"""``codex docs``: the static HTML catalog, checked as files and as a reader sees it in headless Chromium.

Screenshots are kept in ``test-artifacts/`` (git-ignored) at the project root; their paths are printed.
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from codex.catalog import load_catalog
from codex.config import CodexConfig
from codex.ruleset_source import shipped_dir
from codex_testing import PROJECT_ROOT
from codex_testing.rfcs import rfc, rule

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


class Page(HTMLParser):
    """What a page links to and loads, and the rules table's rows as the DOM has them."""

    def __init__(self, text: str):
        super().__init__()
        self.links: list[str] = []
        self.loads: list[str] = []
        self.rows: list[dict] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
            if self.rows and self.rows[-1]["id"] is None:
                self.rows[-1]["id"] = attrs["href"].rsplit("/", 1)[-1].removesuffix(".html")
        if (tag in ("script", "img", "iframe") and attrs.get("src")) or tag == "link":
            self.loads.append(attrs.get("src") or attrs.get("href", ""))
        if tag == "tr" and "data-severity" in attrs:
            self.rows.append({**attrs, "id": None, "hidden": "hidden" in attrs})

    def handle_data(self, data):
        self.text.append(data)

    def visible_rules(self) -> list[str]:
        return [r["id"] for r in self.rows if not r["hidden"]]


def chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="codex-chromium-") as profile:
        return subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def dom(url: str) -> Page:
    """The page's DOM after its scripts ran."""
    proc = chromium("--dump-dom", url)
    assert "<html" in proc.stdout, proc.stderr[-2000:]
    return Page(proc.stdout)


def screenshot(url: str, name: str, height: int) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    target.unlink(missing_ok=True)
    chromium(f"--screenshot={target}", f"--window-size=1280,{height}", "--hide-scrollbars", url)
    print(f"screenshot: {target}")
    return target


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def site(tmp_path_factory, git_repo_factory, run_codex):
    """The shipped codex as a catalog, plus an RFC with hostile markup, written by `codex docs`."""
    repo = git_repo_factory("docs-project")
    shutil.copytree(PROJECT_ROOT / "rfcs", repo.path / "rfcs")
    repo.write("pyproject.toml", "[tool.codex]\nshipped = false  # its rfcs/ are a copy of the shipped codex\n")
    hostile = rule("CX0900", statement="If you need <b>bold</b> text, use `markdown` <script>alert(1)</script>.").replace(
        "No eval", 'No eval when a < b & "quoted"'
    )
    hostile_rfc = rfc("RFC-0900", status="draft", rules=hostile).replace("Why it matters.", "Why <img src=x onerror=alert(1)> matters.")
    (repo.path / "rfcs/0900-hostile.md").write_text(hostile_rfc)
    out = tmp_path_factory.mktemp("site")
    result = run_codex(["docs", "--out", out, "--root", repo.path])
    assert result.code == 0, result.err
    return {"out": out, "catalog": load_catalog(repo.path, CodexConfig(shipped=False)), "result": result}


def test_every_rule_and_rfc_has_a_page_and_every_link_resolves(site):
    out, catalog = site["out"], site["catalog"]
    pages = sorted(out.rglob("*.html"))
    assert {p.relative_to(out).as_posix() for p in pages} == (
        {"index.html"} | {f"rules/{r.id}.html" for r in catalog.ruleset.rules} | {f"rfcs/{m.id}.html" for m in catalog.ruleset.rfcs}
    )
    for page in pages:
        parsed = Page(page.read_text())
        assert parsed.loads == [], f"{page} loads {parsed.loads}"  # no external assets: works offline
        for link in parsed.links:
            target = urlparse(link)
            assert not target.scheme, f"{page} links out to {link}"
            assert (page.parent / target.path).resolve().is_file(), f"{page}: broken link {link}"


def test_a_rule_page_links_its_rfc_source_and_highlights_its_examples(site):
    text = (site["out"] / "rules/CX0003.html").read_text()
    assert 'href="../source/rfcs/0003-resilient-python-calls.md"' in text
    assert 'href="../rfcs/RFC-0003.html#cx0003-outbound-requests-calls-have-a-timeout"' in text
    assert '<span class="hll">' in text  # the flagged lines of the bad example
    assert "ruleid:" not in text
    rfc_page = (site["out"] / "rfcs/RFC-0003.html").read_text()
    assert 'id="cx0003-outbound-requests-calls-have-a-timeout"' in rfc_page  # the anchor the rule pages link to


def test_a_rule_page_shows_the_fixed_code_after_its_example_when_the_rfc_states_it(site):
    headings = {rule_id: re.findall(r"<h2>([^<]*)</h2>", (site["out"] / f"rules/{rule_id}.html").read_text()) for rule_id in ("CX0006", "CX0003")}
    assert headings == {
        "CX0006": ["What it does", "Why is this bad?", "Example", "Fix", "Use instead", "Stage and rollout", "RFC"],
        "CX0003": ["What it does", "Why is this bad?", "Example", "Use instead", "Stage and rollout", "RFC"],
    }
    text = (site["out"] / "rules/CX0006.html").read_text()
    fix = text[text.index("<h2>Fix</h2>") : text.index("<h2>Use instead</h2>")]
    stated = re.search(r"```python fixed\n(.*?)```", (PROJECT_ROOT / "rfcs/0004-no-injection-by-construction.md").read_text(), re.S)[1]
    code = fix[fix.index('<div class="highlight">') : fix.index("</pre>")]
    assert html.unescape(re.sub(r"<[^>]+>", "", code)) == "".join(line for line in stated.splitlines(True) if "ruleid:" not in line)
    assert '<span class="n">safe_load</span>' in code  # highlighted as the other examples


def test_markup_in_an_rfc_is_shown_not_run(site):
    for page in ("rules/CX0900.html", "rfcs/RFC-0900.html", "index.html"):
        text = (site["out"] / page).read_text()
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold</b>" not in text
    rule_page = (site["out"] / "rules/CX0900.html").read_text()
    assert "<h1>CX0900: No eval when a &lt; b &amp; &#34;quoted&#34;</h1>" in rule_page  # titles are escaped by the templates
    assert "<title>CX0900: No eval when a &lt; b &amp; &#34;quoted&#34;</title>" in rule_page


def test_with_rfc_base_url_the_source_link_goes_to_the_hosted_rfc(tmp_path, run_codex):
    (tmp_path / "rfcs").mkdir()
    (tmp_path / "rfcs/0100-eval.md").write_text(rfc())
    (tmp_path / "pyproject.toml").write_text('[tool.codex]\nrfc_base_url = "https://git.example.com/handbook/-/blob/main"\n')
    assert run_codex(["docs", "--out", tmp_path / "site", "--root", tmp_path]).code == 0
    page = (tmp_path / "site/rules/CX0100.html").read_text()
    assert 'href="https://git.example.com/handbook/-/blob/main/rfcs/0100-eval.md#cx0100-no-eval">RFC source</a>' in page
    # the shipped RFCs are hosted nowhere a reader can open: the catalog carries their copies, never a file: link
    assert sorted(p.name for p in (tmp_path / "site/source/rfcs").iterdir()) == sorted(p.name for p in (shipped_dir() / "rfcs").glob("*.md"))
    assert "file:" not in (tmp_path / "site/rules/CX0003.html").read_text()


@needs_chromium
def test_the_index_filters_in_a_browser(site):
    index = (site["out"] / "index.html").as_uri()
    rules = site["catalog"].ruleset.rules
    everything = dom(index)
    assert everything.visible_rules() == [r.id for r in rules]
    assert f"{len(rules)} of {len(rules)} rules" in "".join(everything.text)
    for fragment, keep in (
        ("language=rust", lambda r: "rust" in r.languages),
        ("severity=error&stage=block", lambda r: r.severity.value == "error" and r.stage.value == "block"),
        ("stage=shadow", lambda r: r.stage.value == "shadow"),
        ("q=timeout", lambda r: r.id == "CX0003"),
    ):
        page = dom(f"{index}#{fragment}")
        expected = [r.id for r in rules if keep(r)]
        assert page.visible_rules() == expected, fragment
        assert f"{len(expected)} of {len(rules)} rules" in "".join(page.text), fragment
    assert [r.id for r in rules if r.stage.value == "shadow"] == ["CX0900"]  # the shadow filter above was not vacuous


@needs_chromium
def test_a_rule_page_as_a_reader_sees_it(site):
    page = dom((site["out"] / "rules/CX0001.html").as_uri())
    text = " ".join("".join(page.text).split())
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Stage and rollout", "RFC"):
        assert heading in text
    assert "If you need a value out of a Result or Option" in text
    assert "In November 2025 a proxy read a feature file" in text
    assert re.search(r"flagged: line 2, 3, 4, 6, 8 · from rfcs/0001-handle-errors-do-not-panic\.md:\d+", text)


@needs_chromium
def test_screenshots_of_the_catalog_are_kept(site):
    index = screenshot((site["out"] / "index.html").as_uri() + "#language=python", "catalog-index.png", 1000)
    rule_page = screenshot((site["out"] / "rules/CX0001.html").as_uri(), "catalog-rule-CX0001.png", 1600)
    for shot, height in ((index, 1000), (rule_page, 1600)):
        assert png_size(shot) == (1280, height)
        assert shot.stat().st_size > 30_000  # a rendered page, not a blank one
