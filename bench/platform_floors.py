"""Do the lower bounds pyproject.toml sets for PyGithub and python-gitlab work with codex?

Usage: python bench/platform_floors.py [--cache DIR] [REQUIREMENT ...]

Installs each floor (``PyGithub==<bound>``, ``python-gitlab==<bound>`` read from pyproject.toml, or the
requirements given, e.g. ``PyGithub==2.9.0`` to try another version) with pip into one directory under the cache
(outside the repository; default ~/.cache/codex-bench or $CODEX_BENCH_CACHE), with the dependencies pip chooses
for them, then runs the platform tests, which drive every PyGithub and python-gitlab call codex makes against
the loopback GitHub and GitLab, with those versions first on the import path. It prints the versions imported and
pytest's summary, and exits 1 when a test fails. Needs the network (PyPI) the first time; not part of the suite.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from _common import DEFAULT_CACHE, REPO

LIBRARIES = {"pygithub": "github", "python-gitlab": "gitlab"}  # distribution → the package codex imports
TESTS = ["tests/test_platforms_github.py", "tests/test_platforms_gitlab.py"]


def floors() -> list[str]:
    """``name==bound`` of each platform library's ``>=`` bound in pyproject.toml."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    found = []
    for requirement in dependencies:
        bound = re.fullmatch(r"([\w.-]+)>=([\w.]+)", requirement.split(";")[0].strip())
        if bound and bound.group(1).lower() in LIBRARIES:
            found.append(f"{bound.group(1)}=={bound.group(2)}")
    if len(found) != len(LIBRARIES):
        raise SystemExit(f"pyproject.toml does not bound {' and '.join(LIBRARIES)} from below with >=: {found}")
    return found


def install(requirements: list[str], cache: Path) -> Path:
    """``requirements`` and their dependencies in a directory of their own under ``cache/floors``."""
    target = cache / "floors" / "+".join(sorted(r.replace("==", "-") for r in requirements))
    if not target.is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--only-binary",
                ":all:",
                "--target",
                str(target),
                *requirements,
            ],
            check=True,
        )
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", nargs="*", help="name==version to try instead of the floors in pyproject.toml")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    requirements = args.requirements or floors()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(install(requirements, args.cache)), str(REPO)]))
    probe = "; ".join(f"import importlib.metadata as m; print('{d}', m.version('{d}'), __import__('{p}').__file__)" for d, p in LIBRARIES.items())
    print(subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout, end="")
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-n", "0", "-p", "no:cacheprovider", *TESTS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print("\n".join(line for line in tests.stdout.splitlines() if re.match(r"(FAILED|ERROR)\b|=*\s*\d+ (passed|failed)", line)))
    return 0 if tests.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
