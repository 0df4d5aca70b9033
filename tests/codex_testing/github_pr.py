"""A pull request on a local stand-in for GitHub: a repository with a target and a feature branch, and the Actions
environment that describes it."""

from __future__ import annotations

import json

from codex.model import Ruleset
from codex_testing.fake_github import FakeGitHub

TOKEN = "ghs_SECRETtoken1234567890"


class PullRequest:
    """A repository with a target branch and a feature branch, and the Actions environment for its pull request."""

    def __init__(self, git_repo, tmp_path, ruleset: Ruleset, fake: FakeGitHub, base_files: dict[str, str] | None = None):
        self.repo, self.fake = git_repo(), fake
        self.base = self.repo.commit(
            "base",
            {
                "pyproject.toml": "[tool.codex]\nshipped = false  # rules/ holds the rules under test alone\n",
                "rules/ruleset.json": ruleset.to_json(),
                "app/client.py": "import requests\n",
                **(base_files or {}),
            },
        )
        self.repo.branch("feature")
        self.event = tmp_path / "event.json"

    def push(self, files: dict[str, str]) -> str:
        head = self.repo.commit("change", files)
        self.fake.set_diff(self.base, head, self.repo.diff(f"{self.base}...{head}"))
        self.event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"sha": self.base}, "head": {"sha": head}}}))
        return head

    def env(self, monkeypatch, token: str | None = TOKEN) -> None:
        for key, value in {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(self.event),
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": "https://github.example",
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("GITLAB_CI", raising=False)
        if token:
            monkeypatch.setenv("GITHUB_TOKEN", token)
        else:
            monkeypatch.delenv("GITHUB_TOKEN", raising=False)
