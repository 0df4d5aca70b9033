"""How long an agent waits for ``check`` over MCP on a 1,000-line Python file: cold, changed, unchanged.

Usage: python bench/mcp_check.py [--runs 5] — starts ``python -m codex_cli mcp`` on this repository with the SDK's stdio
client and checks 1,000 lines of codex's own source as unsaved content (every run changes one line, so the per-file
result cache misses; the unchanged figure is the cache hit). Times are wall clock from the client's side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import anyio
from _common import REPO
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

LINES = 1000


def sample_source() -> str:
    """The first 1,000 lines of codex's own modules, one after another."""
    lines: list[str] = []
    for path in sorted((REPO / "reviewer").rglob("*.py")):
        lines += path.read_text(encoding="utf-8").splitlines()
        if len(lines) >= LINES:
            break
    return "\n".join(lines[:LINES]) + "\n"


async def measure(runs: int) -> dict[str, float]:
    source = sample_source()
    params = StdioServerParameters(command=sys.executable, args=["-m", "codex_cli", "mcp", "--root", str(REPO)], cwd=REPO)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()

        async def check(content: str) -> float:
            started = time.perf_counter()
            result = await session.call_tool("check", {"path": "bench/sample_1000_lines.py", "content": content})
            if result.isError:
                raise RuntimeError(f"check failed: {result.content}")
            return time.perf_counter() - started

        cold = await check(f"# cold {time.time()}\n{source}")
        edits = [f"# run {n} {time.time()}\n{source}" for n in range(runs)]
        changed = [await check(edit) for edit in edits]
        unchanged = [await check(edits[-1]) for _ in range(runs)]
    return {"cold": cold, "changed (median)": statistics.median(changed), "unchanged (median)": statistics.median(unchanged)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for label, seconds in anyio.run(measure, args.runs).items():
        print(f"{label:>20}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
