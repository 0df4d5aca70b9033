"""What the benchmarks share: real source trees from PyPI sdists, and timing a command with its peak memory."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DJANGO = "django==5.1.4"  # Python: ~2,800 files, ~470k lines
RUFF = "ruff==0.8.4"  # Rust: ~1,400 .rs files, ~330k lines (and ~700 Python test fixtures)
# requests-heavy Python: 6,739 files, 172 of them importing requests (integrations calling web APIs); the largest
# sdist found on PyPI with that many requests users (SDKs checked: atlassian-python-api 24, jenkinsapi 23)
REQUESTS_HEAVY = "homeassistant==2024.3.3"
DEFAULT_CACHE = Path(os.environ.get("CODEX_BENCH_CACHE", Path.home() / ".cache" / "codex-bench"))
REPO = Path(__file__).resolve().parent.parent


def fetch(requirement: str, cache: Path) -> Path:
    """The unpacked sdist of ``requirement`` under ``cache/trees`` (downloaded once with pip)."""
    name, _, version = requirement.partition("==")
    tree = cache / "trees" / f"{name}-{version}"
    if tree.is_dir():
        return tree
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        # A maturin sdist (ruff) cannot have its metadata prepared offline (cargo needs crates.io), so pip
        # refuses to save it; --no-clean keeps the tree pip unpacked in its temporary directory.
        env = dict(os.environ, TMPDIR=tmp)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", "--no-clean", requirement, "-d", str(downloads)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        archives = [p for p in downloads.iterdir() if p.name.lower().startswith(f"{name.lower()}-{version}") and p.name.endswith(".tar.gz")]
        if archives:
            with tarfile.open(archives[0]) as archive:
                archive.extractall(tmp + "/x", filter="data")
            unpacked = next(Path(tmp, "x").iterdir())
        else:
            candidates = [p for p in Path(tmp).glob("pip-*/*") if (p / "PKG-INFO").is_file() or (p / "pyproject.toml").is_file()]
            if not candidates:
                raise SystemExit(f"could not download the sdist of {requirement} with pip")
            unpacked = candidates[0]
        tree.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked), tree)
    return tree


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_mb: float
    code: int


_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024, "code": code}))
"""


def measure(command: list[str], cwd: Path) -> Sample:
    """Run ``command`` in a fresh wrapper process: wall time, CPU of it and its children, largest child's peak RSS."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(cwd), *command], capture_output=True, text=True, check=True).stdout
    return Sample(**json.loads(out))


def median(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples), max(s.peak_mb for s in samples), samples[-1].code)


def machine() -> str:
    cpus = os.cpu_count()
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "?")
    semgrep = metadata.version("semgrep")  # `semgrep --version` may wait on the network for its version check
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    return (
        f"{cpus} CPUs, {int(mem) // 1024 // 1024 if mem.isdigit() else '?'} GiB RAM, Python {sys.version.split()[0]}, "
        f"semgrep {semgrep}, load average at start {load}"
    )
