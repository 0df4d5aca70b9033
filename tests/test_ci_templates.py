"""``action.yml``, the example workflow ``ci/github/codex.yml`` and the GitLab component ``templates/codex.yml``:
valid against the platforms' schemas (check-jsonschema's vendored copies, offline), clean under zizmor, and the
codex command lines they run are valid."""

from __future__ import annotations

import json
import os
import re
import shlex
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from codex_cli.main import build_parser
from codex_testing import PROJECT_ROOT

BIN = Path(sys.executable).parent  # check-jsonschema and zizmor come with the test extra
PINNED = {"actions/checkout@11d5960a326750d5838078e36cf38b85af677262": "v4.4.0", "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": "v5.6.0"}
INPUT = re.compile(r"\$\[\[ inputs\.([\w-]+) \]\]")


def _codex_args(line: str, env: dict[str, str]) -> list[str]:
    """The arguments of a ``python -I -m codex_cli ...`` shell line (up to ``||``), with ``"$VARIABLE"`` filled in."""
    words = shlex.split(re.sub(r"\$(\w+)", lambda m: env[m.group(1)], line.split(" || ")[0]))
    assert words[:4] == ["python", "-I", "-m", "codex_cli"], line
    return words[4:]


def _load(relative: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / relative).read_text(encoding="utf-8"))


def _validate(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True, check=False, timeout=120
    )


def _zizmor(*files: Path) -> list[tuple[str, str]]:
    """(audit, severity) of every finding at medium or above, offline."""
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--min-severity", "medium", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode in (0, 13, 14), result.stderr  # 0 clean, 1x findings (by highest severity)
    return sorted((f["ident"], f["determinations"]["severity"]) for f in json.loads(result.stdout))


# --- GitHub ---------------------------------------------------------------------------------------------------------


def test_the_action_refuses_pull_request_target_and_runs_nothing_of_the_checkout():
    action = _load("action.yml")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    refuse = steps[0]
    assert refuse["if"] == "github.event_name == 'pull_request_target'"
    result = subprocess.run(["bash", "-c", refuse["run"]], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stdout.startswith("::error title=codex refuses pull_request_target::codex checks out the pull request's code")
    assert "Trigger the workflow on pull_request instead" in result.stdout
    assert [s["uses"] for s in steps if "uses" in s] == list(PINNED)
    text = (PROJECT_ROOT / "action.yml").read_text(encoding="utf-8")
    for uses, version in PINNED.items():
        assert f"uses: {uses}  # {version}\n" in text
    checkout = steps[1]
    assert checkout["with"]["persist-credentials"] is False and checkout["with"]["fetch-depth"] == 0
    assert "pull_request.head.sha" in checkout["with"]["ref"]
    assert [s["run"] for s in steps if "pip" in s.get("run", "")] == ['python -I -m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"']
    review = next(s for s in steps if "-m codex_cli review" in s.get("run", ""))
    assert review["if"] == "github.event_name == 'pull_request'" and review["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    env = {k: action["inputs"]["max-comments"]["default"] for k in review["env"]}
    args = build_parser().parse_args(_codex_args(review["run"], env))
    assert args.command == "review" and args.max_comments == 25
    check = steps[-1]
    assert "pull_request_target" in check["if"] and build_parser().parse_args(_codex_args(check["run"], {})).format == "github"
    for step in steps:  # inputs reach scripts through env, never spliced into the shell text
        assert "${{" not in step.get("run", ""), step


def test_isolated_mode_runs_neither_a_pip_nor_a_codex_package_from_the_working_directory(tmp_path):
    """What ``-I`` buys: a checked-out ``pip/__main__.py`` runs under ``python -m pip`` and not under ``python -I -m pip``."""
    for package in ("pip", "codex_cli"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").touch()
        (tmp_path / package / "__main__.py").write_text(f"open('{package}-ran', 'w').close()\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for package, probe in (("pip", "--version"), ("codex_cli", "--help")):
        isolated = subprocess.run([sys.executable, "-I", "-m", package, probe], cwd=tmp_path, env=env, capture_output=True, check=False)
        assert isolated.returncode == 0 and not (tmp_path / f"{package}-ran").exists()
        subprocess.run([sys.executable, "-m", package, probe], cwd=tmp_path, env=env, capture_output=True, check=False)
        assert (tmp_path / f"{package}-ran").exists()  # the hazard is real without -I


def test_the_example_workflow_runs_on_pull_request_with_least_privilege():
    workflow = _load("ci/github/codex.yml")
    assert workflow[True] == {"pull_request": None}  # PyYAML reads the key `on` as True
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["codex"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "security-events": "write"}
    [sarif] = [s for s in job["steps"] if "-m codex_cli check" in s.get("run", "")]
    args = build_parser().parse_args(_codex_args(sarif["run"], {"BASE_SHA": "0" * 40}))
    assert args.format == "sarif" and str(args.output) == "codex.sarif" and args.base == "0" * 40
    uploads = [s for s in job["steps"] if s.get("uses", "").startswith(("actions/upload-artifact@", "github/codeql-action/upload-sarif@"))]
    assert [u["with"].get("path") or u["with"]["sarif_file"] for u in uploads] == ["codex.sarif", "codex.sarif"]


def test_the_docs_workflow_publishes_the_catalog_to_pages_and_the_review_workflow_links_it():
    docs = _load("ci/github/codex-docs.yml")
    assert docs[True] == {"push": {"branches": ["main"]}, "workflow_dispatch": None} and docs["permissions"] == {}
    build, deploy = docs["jobs"]["build"], docs["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"} and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    [line] = [s["run"] for s in build["steps"] if "-m codex_cli" in s.get("run", "")]
    args = build_parser().parse_args(_codex_args(line, {}))
    [upload] = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert (args.command, str(args.out), upload["with"]["path"]) == ("docs", "public", "public")
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"] and deploy["needs"] == "build"
    [install] = [s["run"] for s in build["steps"] if "pip" in s.get("run", "")]
    assert install.startswith("python -I -m pip install ")
    review = _load("ci/github/codex.yml")["jobs"]["codex"]
    assert review["env"] == {"CODEX_DOCS_URL": "${{ vars.CODEX_DOCS_URL }}"}  # the action's steps and the SARIF step see it


def test_action_and_workflows_validate_and_zizmor_finds_nothing_at_medium_or_above(tmp_path):
    action, workflow, docs = PROJECT_ROOT / "action.yml", PROJECT_ROOT / "ci" / "github" / "codex.yml", PROJECT_ROOT / "ci" / "github" / "codex-docs.yml"
    assert _validate("vendor.github-actions", action).stdout == "ok -- validation done\n"
    assert _validate("vendor.github-workflows", workflow, docs).stdout == "ok -- validation done\n"
    assert _zizmor(action, workflow, docs) == []
    weakened = tmp_path / "weakened" / "action.yml"  # the same audit catches what the hardening removed
    weakened.parent.mkdir()
    weakened.write_text(
        action.read_text(encoding="utf-8")
        .replace("persist-credentials: false", "")
        .replace("actions/checkout@11d5960a326750d5838078e36cf38b85af677262", "actions/checkout@v4"),
        encoding="utf-8",
    )
    assert _zizmor(weakened) == [("artipacked", "Medium"), ("unpinned-uses", "High")]


# --- GitLab ---------------------------------------------------------------------------------------------------------


def _component() -> tuple[dict, str]:
    """The component's ``spec`` header and its jobs document (text, inputs not yet substituted)."""
    header, jobs = (PROJECT_ROOT / "templates" / "codex.yml").read_text(encoding="utf-8").split("\n---\n")
    return yaml.safe_load(header), jobs


def _with_inputs(jobs: str, inputs: dict[str, object]) -> str:
    """The jobs with inputs interpolated as GitLab does (a boolean as ``true`` / ``false``)."""
    return INPUT.sub(lambda m: json.dumps(value) if isinstance(value := inputs[m.group(1)], bool) else str(value), jobs)


def test_the_component_declares_every_input_it_uses_and_installs_only_what_it_is_told(tmp_path):
    spec, jobs = _component()
    inputs = spec["spec"]["inputs"]
    assert set(INPUT.findall(jobs)) == set(inputs) == {"project", "install", "stage", "image", "max-comments", "pages", "docs-url"}
    assert "default" not in inputs["project"]  # required: GitLab refuses the pipeline without it
    assert [bool(re.fullmatch(inputs["project"]["regex"], p)) for p in ("g/codex", "a.b/sub-group/co_dex", "codex", "g/x; rm -rf /")] == [
        True,
        True,
        False,
        False,
    ]
    version = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert inputs["install"]["default"] == f"git+$CI_SERVER_URL/$CODEX_PROJECT.git@{version}"  # this release's tag, never a package name
    assert "codex-rfc" not in (PROJECT_ROOT / "templates" / "codex.yml").read_text(encoding="utf-8")
    assert inputs["max-comments"] == {"type": "number", "default": 25, "description": inputs["max-comments"]["description"]}


def test_the_component_validates_against_gitlab_ci_schema(tmp_path):
    spec, jobs = _component()
    defaults = {name: i.get("default", "g/codex") for name, i in spec["spec"]["inputs"].items()}
    header_file, jobs_file, broken_file = tmp_path / "spec.yml", tmp_path / "jobs.yml", tmp_path / "broken.yml"
    header_file.write_text(yaml.safe_dump(spec), encoding="utf-8")
    jobs_file.write_text(_with_inputs(jobs, defaults), encoding="utf-8")
    pages_file = tmp_path / "pages.yml"
    pages_file.write_text(_with_inputs(jobs, {**defaults, "pages": True, "docs-url": "https://docs.example/codex"}), encoding="utf-8")
    broken_file.write_text(_with_inputs(jobs, defaults).replace("  rules:\n    - if:", "  rules:\n    - iff:", 1), encoding="utf-8")
    assert _validate("vendor.gitlab-ci", header_file, jobs_file, pages_file).stdout == "ok -- validation done\n"
    refused = _validate("vendor.gitlab-ci", broken_file)
    assert refused.returncode == 1 and "$['codex-review'].rules[0]" in refused.stdout


def test_the_component_reviews_merge_requests_and_audits_the_default_branch():
    spec, jobs = _component()
    config = yaml.safe_load(_with_inputs(jobs, {"project": "g/codex", **{k: v["default"] for k, v in spec["spec"]["inputs"].items() if "default" in v}}))
    base = config[".codex-setup"]
    assert config[".codex"]["extends"] == ".codex-setup" and config["codex-pages"]["extends"] == ".codex-setup"
    assert base["variables"]["GIT_DEPTH"] == "0" and base["stage"] == "test" and base["image"] == "python:3.11"
    expanded = string.Template(base["variables"]["CODEX_INSTALL"]).substitute(  # as the runner expands variables in variables
        CI_SERVER_URL="https://gitlab.example.com", **base["variables"]
    )
    assert expanded == "git+https://gitlab.example.com/g/codex.git@0.1.0"
    assert base["before_script"][0] == 'python -I -m pip install --quiet --disable-pip-version-check "$CODEX_INSTALL"'
    assert config[".codex"]["artifacts"] == {"when": "always", "reports": {"codequality": "gl-code-quality-report.json"}}
    review, audit = config["codex-review"], config["codex-audit"]
    assert review["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert audit["rules"] == [{"if": '$CI_PIPELINE_SOURCE != "merge_request_event" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}]
    codex_lines = [line for line in review["script"] + audit["script"] if line.startswith("python -I -m codex_cli ")]
    parsed = [build_parser().parse_args(_codex_args(line, review["variables"])) for line in codex_lines]
    assert [(a.command, getattr(a, "all", None), getattr(a, "format", None)) for a in parsed] == [
        ("check", True, "gitlab"),
        ("review", None, None),
        ("check", True, "gitlab"),
    ]
    assert parsed[1].max_comments == 25
    assert {str(parsed[0].output), str(parsed[2].output)} == {config[".codex"]["artifacts"]["reports"]["codequality"]}


def test_the_audit_line_keeps_its_report_on_findings_and_fails_on_errors(git_repo):
    """The component's audit line, run by bash in a real repository: blocking findings (exit 1) leave the job green
    with the report written; a configuration error (exit 2) fails it."""
    spec, jobs = _component()
    [line] = yaml.safe_load(_with_inputs(jobs, {k: "x" for k in spec["spec"]["inputs"]}))["codex-audit"]["script"]
    command = line.replace("python -I -m codex_cli", f"{shlex.quote(sys.executable)} -m codex_cli")  # the codex under test
    repo = git_repo()
    repo.commit("base", {"app.py": "import requests\nrequests.get(url)\n"})
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    ran = subprocess.run(["bash", "-c", command], cwd=repo.path, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    report = json.loads((repo.path / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert [(r["check_name"], r["location"]["path"], r["location"]["lines"]["begin"]) for r in report] == [("CX0003", "app.py", 2)]
    (repo.path / "pyproject.toml").write_text("[tool.codex]\nno_such_key = 1\n", encoding="utf-8")
    failed = subprocess.run(["bash", "-c", command], cwd=repo.path, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert failed.returncode == 1, failed.stdout + failed.stderr


def test_the_pages_job_publishes_the_catalog_from_the_default_branch_only_when_asked():
    spec, jobs = _component()
    inputs = spec["spec"]["inputs"]
    assert (inputs["pages"]["type"], inputs["pages"]["default"], inputs["docs-url"]["default"]) == ("boolean", False, "")
    config = yaml.safe_load(_with_inputs(jobs, {k: v.get("default", "g/codex") for k, v in inputs.items()}))
    assert config[".codex-setup"]["variables"]["CODEX_PAGES"] == "false"
    pages = config["codex-pages"]
    assert pages["rules"] == [{"if": '$CODEX_PAGES == "true" && $CI_PIPELINE_SOURCE != "merge_request_event" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}]
    assert pages["pages"] is True and pages["artifacts"] == {"paths": ["public"]}
    [line] = pages["script"]
    args = build_parser().parse_args(_codex_args(line, {}))
    assert (args.command, str(args.out)) == ("docs", "public")


@pytest.mark.parametrize(
    "pages, docs_url, linked",
    [
        ("true", "", "https://g.pages.example/codex"),  # the Pages site
        ("true", "https://docs.example/codex", "https://docs.example/codex"),  # an address given wins
        ("false", "", ""),  # no catalog: no links
        ("false", "https://docs.example/codex", "https://docs.example/codex"),  # published elsewhere
    ],
)
def test_the_jobs_give_codex_the_catalog_s_address(pages, docs_url, linked):
    """The component's before_script, run by bash with the variables GitLab sets: what CODEX_DOCS_URL codex sees."""
    spec, jobs = _component()
    [_, line] = yaml.safe_load(_with_inputs(jobs, {k: "x" for k in spec["spec"]["inputs"]}))[".codex-setup"]["before_script"]
    env = {"PATH": os.environ["PATH"], "CODEX_PAGES": pages, "CODEX_DOCS_URL": docs_url, "CI_PAGES_URL": "https://g.pages.example/codex"}
    ran = subprocess.run(["bash", "-c", f'{line}\nprintf %s "$CODEX_DOCS_URL"'], env=env, capture_output=True, text=True, check=False)
    assert (ran.returncode, ran.stdout) == (0, linked), ran.stderr


def test_codex_links_findings_to_the_catalog_at_codex_docs_url(git_repo, run_codex, monkeypatch):
    from codex_testing.sarif import validate_sarif

    repo = git_repo()
    repo.commit("base", {"app.py": "import requests\nrequests.get(url)\n"})
    monkeypatch.setenv("CODEX_DOCS_URL", "https://g.pages.example/codex/")
    result = run_codex(["check", "--all", "--no-llm", "--no-history", "--format", "sarif"], cwd=repo.path)
    assert result.code == 1, result.err
    document = result.json()
    validate_sarif(document)
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://g.pages.example/codex/index.html"
    assert {r["id"]: r.get("helpUri") for r in driver["rules"]}["CX0003"] == "https://g.pages.example/codex/rules/CX0003.html"
    monkeypatch.setenv("CODEX_DOCS_URL", "public/")
    refused = run_codex(["check", "--all", "--no-llm", "--no-history", "--format", "sarif"], cwd=repo.path)
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.startswith("CODEX_DOCS_URL: 'public/': Value error, must be an http(s) URL a reader can open")
