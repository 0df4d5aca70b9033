"""``--format sarif``: valid SARIF 2.1.0 with the rules' metadata and stable fingerprints."""

from __future__ import annotations

import io
import json
from importlib import metadata
from pathlib import Path

import pytest

from codex import home_url
from codex.model import Ruleset
from codex_testing.reports import AWKWARD_PATH, sample_report
from codex_testing.sarif import validate_sarif
from reviewer.finding import Finding, Report
from reviewer.formatters import get_formatter, sarif


def _sarif(report, ruleset) -> dict:
    out = io.StringIO()
    get_formatter("sarif", ruleset).write(report, out)
    return json.loads(out.getvalue())


def _with_rfc_urls(ruleset: Ruleset) -> Ruleset:
    base = "https://git.example.com/handbook/-/blob/main"
    rules = [r.model_copy(update={"rfc": r.rfc.model_copy(update={"url": f"{base}/{r.rfc.path}#{r.rfc.anchor}"})}) for r in ruleset.rules]
    return Ruleset.build(list(ruleset.rfcs), rules)


def test_sarif_is_valid_against_the_2_1_0_schema(shipped_ruleset):
    document = _sarif(sample_report(shipped_ruleset), shipped_ruleset)
    validate_sarif(document)
    assert document["version"] == "2.1.0"


def test_sarif_without_a_ruleset_is_valid_and_describes_the_rules_it_names(shipped_ruleset):
    document = _sarif(sample_report(shipped_ruleset), None)
    validate_sarif(document)
    assert [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]] == ["CX0003", "CX0005", "CX0007"]


def test_sarif_rules_carry_need_use_and_the_rfc_link(shipped_ruleset):
    linked = _with_rfc_urls(shipped_ruleset)
    document = _sarif(sample_report(linked), linked)
    validate_sarif(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == {r.id for r in shipped_ruleset.rules}
    cx3 = next(r for r in rules if r["id"] == "CX0003")
    rule = linked.rule("CX0003")
    assert cx3["helpUri"] == rule.rfc.url and rule.rfc.link in cx3["help"]["text"]
    assert cx3["properties"]["need"] == rule.need and cx3["properties"]["use"] == rule.use
    assert rule.use in cx3["fullDescription"]["text"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_without_an_http_rfc_url_there_is_no_help_uri_and_the_help_says_how_to_read_the_rule(shipped_ruleset):
    urls = ["file:///opt/codex/rfcs/0001.md", "rfcs/0002.md"]  # the first two rules
    local = Ruleset.build(
        list(shipped_ruleset.rfcs),
        [r.model_copy(update={"rfc": r.rfc.model_copy(update={"url": url})}) for r, url in zip(shipped_ruleset.rules, urls, strict=False)]
        + list(shipped_ruleset.rules[2:]),
    )
    rules = _sarif(sample_report(local), local)["runs"][0]["tool"]["driver"]["rules"]
    assert [r.get("helpUri") for r in rules] == [None] * 7  # GitHub refuses a relative helpUri; a file: one opens nothing
    assert [r["help"]["text"].rsplit("\n\n", 1)[1] for r in rules[:3]] == [
        "Why: RFC-0001 Handle errors, do not panic on input. `codex explain CX0001` prints the rule in full.",
        "Why: RFC-0002 Validate upstream state before processing. `codex explain CX0002` prints the rule in full.",
        "Why: RFC-0003 Outbound calls and errors fail visibly and on time. `codex explain CX0003` prints the rule in full.",
    ]


def test_a_catalog_url_is_the_tool_s_information_uri(shipped_ruleset):
    out = io.StringIO()
    get_formatter("sarif", shipped_ruleset, docs_url="https://docs.example.com/codex").write(sample_report(shipped_ruleset), out)
    assert json.loads(out.getvalue())["runs"][0]["tool"]["driver"]["informationUri"] == "https://docs.example.com/codex/index.html"


def _installed(tmp_path: Path, metadata_lines: list[str], direct_url: dict | None = None) -> metadata.Distribution:
    """A real installed distribution's metadata directory (as pip writes it), read by importlib.metadata."""
    info = tmp_path / "codex_rfc-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("\n".join(["Metadata-Version: 2.4", "Name: codex-rfc", "Version: 0.1.0", *metadata_lines]) + "\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return metadata.PathDistribution(info)


PROJECT_URLS = ["Project-URL: Documentation, https://docs.example.org/codex", "Project-URL: Repository, https://git.example.org/acme/codex"]


@pytest.mark.parametrize(
    "lines, direct_url, home",
    [
        # installed from a repository (the GitLab component's git URL): that repository, without credentials or .git
        (
            PROJECT_URLS,
            {"url": "https://ci:s3cret@gitlab.example.org:8443/tools/codex.git", "vcs_info": {"vcs": "git", "commit_id": "ab" * 20}},
            "https://gitlab.example.org:8443/tools/codex",
        ),
        # installed from a directory (the GitHub Action's checkout): never the path, the metadata's Repository
        (PROJECT_URLS, {"url": "file:///home/runner/work/_actions/acme/codex", "dir_info": {}}, "https://git.example.org/acme/codex"),
        (["Home-page: http://codex.example.org/"], None, "http://codex.example.org/"),
        (["Project-URL: Source, ftp://example.org/codex", "Home-page: /opt/codex"], None, None),  # nothing a browser opens
    ],
)
def test_codex_s_home_is_where_it_was_installed_from_else_its_metadata_and_never_a_path(tmp_path, lines, direct_url, home):
    assert home_url(_installed(tmp_path, lines, direct_url)) == home


def test_without_a_catalog_the_information_uri_is_codex_s_home(shipped_ruleset, monkeypatch):
    monkeypatch.setattr(sarif, "home_url", lambda: "https://git.example.org/acme/codex")
    document = _sarif(sample_report(shipped_ruleset), shipped_ruleset)
    validate_sarif(document)
    assert document["runs"][0]["tool"]["driver"]["informationUri"] == "https://git.example.org/acme/codex"
    monkeypatch.setattr(sarif, "home_url", lambda: None)
    assert "informationUri" not in _sarif(sample_report(shipped_ruleset), shipped_ruleset)["runs"][0]["tool"]["driver"]


def test_artifact_paths_are_percent_encoded_uri_references(shipped_ruleset):
    document = _sarif(sample_report(shipped_ruleset), shipped_ruleset)
    validate_sarif(document)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]]
    assert "src/odd%2C%20name%3A50%25.py" in uris and AWKWARD_PATH not in uris


def test_sarif_results_leave_shadow_findings_out_and_keep_fingerprints(shipped_ruleset):
    report = sample_report(shipped_ruleset)
    results = _sarif(report, shipped_ruleset)["runs"][0]["results"]
    visible = [f for f in report.findings if f.stage.value != "shadow"]
    assert [r["partialFingerprints"]["codexFingerprint/v1"] for r in results] == [f.fingerprint for f in visible]
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["CX0003"]["level"] == "error" and by_rule["CX0007"]["level"] == "warning"
    region = by_rule["CX0003"]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 12)


def test_sarif_problems_are_tool_notifications(shipped_ruleset):
    invocation = _sarif(sample_report(shipped_ruleset), shipped_ruleset)["runs"][0]["invocations"][0]
    [note] = invocation["toolExecutionNotifications"]
    assert "not valid Python 3" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_codex_check_offers_every_registered_format_and_writes_sarif(git_repo, run_codex):
    from reviewer.formatters import FORMATS

    repo = git_repo()
    repo.commit("base", {"app.py": "import requests\n"})
    repo.write("app.py", "import requests\nrequests.get(url)\n")
    result = run_codex(["check", "--root", repo.path, "--base", "HEAD", "--format", "sarif"])
    assert result.code == 1, result.err
    document = json.loads(result.out)
    validate_sarif(document)
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["CX0003"]
    help_text = run_codex(["check", "--help"]).out
    assert all(name in help_text for name in FORMATS)


def test_a_known_fix_becomes_a_sarif_fix_replacing_the_flagged_lines(shipped_ruleset):
    from codex_testing.reports import FIXED_LINE

    document = _sarif(sample_report(shipped_ruleset), shipped_ruleset)
    validate_sarif(document)
    fixed = [r for r in document["runs"][0]["results"] if "fixes" in r]
    assert [r["ruleId"] for r in fixed] == ["CX0005"]
    [replacement] = fixed[0]["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement == {"deletedRegion": {"startLine": 2, "endLine": 2}, "insertedContent": {"text": FIXED_LINE}}


def _findings(shipped_ruleset, kinds: str) -> list[Finding]:
    """One finding per letter, on successive lines: w a warning, n a note (overridden), e an error (blocking)."""
    rule = {"w": "CX0007", "n": "CX0007", "e": "CX0003"}
    return [
        Finding.of(shipped_ruleset.rule(rule[k]), "app.py", line, line, 1, None, "semgrep").model_copy(
            update={"fingerprint": f"{line:020d}", **({"overridden": True, "override_reason": "fine here"} if k == "n" else {})}
        )
        for line, k in enumerate(kinds, 1)
    ]


def test_past_github_s_limits_the_least_severe_results_go_first_and_a_warning_says_so(shipped_ruleset, monkeypatch, capsys):
    monkeypatch.setattr(sarif, "RESULTS_SHOWN", 2)
    monkeypatch.setattr(sarif, "RESULTS_ACCEPTED", 3)
    run = _sarif(Report(findings=_findings(shipped_ruleset, "wneweww")), shipped_ruleset)["runs"][0]
    assert [(r["locations"][0]["physicalLocation"]["region"]["startLine"], r["level"]) for r in run["results"]] == [
        (1, "warning"),
        (3, "error"),
        (5, "error"),
    ]  # both errors, then the first warning; in report order
    warning = (
        "7 results: GitHub code scanning refuses a run of more than 3, so the 4 least severe are left out of this file "
        "(every blocking one is kept while they fit) and it shows the 2 most severe; `codex check --format text` lists them all"
    )
    assert run["invocations"][0]["toolExecutionNotifications"] == [{"level": "warning", "message": {"text": warning}}]
    assert capsys.readouterr().err == f"codex: {warning}\n"


def test_past_what_github_shows_every_result_stays_and_a_warning_says_so(shipped_ruleset, monkeypatch, capsys):
    monkeypatch.setattr(sarif, "RESULTS_SHOWN", 2)
    run = _sarif(Report(findings=_findings(shipped_ruleset, "wne")), shipped_ruleset)["runs"][0]
    assert [r["level"] for r in run["results"]] == ["warning", "note", "error"]
    assert capsys.readouterr().err == (
        "codex: 3 results: GitHub code scanning shows the 2 most severe of a run (blocking ones are errors); `codex check --format text` lists them all\n"
    )
    monkeypatch.setattr(sarif, "RESULTS_SHOWN", 3)
    _sarif(Report(findings=_findings(shipped_ruleset, "wne")), shipped_ruleset)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "title, name",
    [
        ("Outbound requests calls have a timeout", "OutboundRequestsCallsHaveATimeout"),
        ("No `shell=True` in subprocess calls", "NoShellTrueInSubprocessCalls"),
        ("Load YAML safely (the 2nd time)", "LoadYAMLSafelyThe2ndTime"),
        ("Évite les chaînes", "ÉviteLesChaînes"),
    ],
)
def test_a_rule_s_name_is_its_title_in_pascal_case(title, name):
    assert sarif.rule_name(title) == name
