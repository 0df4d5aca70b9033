"""What the tests share besides conftest's fixtures: RFC text to compile, sample reports, loopback stand-ins for
GitHub, GitLab and an LLM endpoint. Tests import these modules, never one another."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
