"""How long after a save `codex lsp` publishes the diagnostics of a changed 1,000-line Python file.

Usage: python bench/lsp_latency.py [--saves 9] [--lines 1000] [--clean | --session] — a real `codex lsp` process (stdio) in a fresh git
repository with the shipped codex, driven by pygls's client. Each save first changes the file (a new line in the
middle, so no cached result answers it), then sends didSave at once; the time is from didSave to the
publishDiagnostics of that version. The first open (engines starting cold) is reported apart. Target: median under 1 s.
One function in eight calls requests without a timeout (8 CX0003 findings), and the file reads YAML (``yaml.safe_load``):
CX0003's screen lets it through and CPython's ast settles it (every such call is ``requests.post`` on the imported
module), CX0006's screen sees no load function, so libcst does not parse the file. ``--clean`` gives every call a
timeout and reads JSON instead: no finding, no libcst screen passes. ``--session`` makes the functions methods of a
client class that holds a ``requests.Session()`` in ``self.session`` (set in ``__init__``) and calls
``self.session.get(..., timeout=10)``, one method in eight ``self.session.post(...)`` without a timeout: CX0003 must
follow the session's attribute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parent.parent
FUNCTION = '''def fetch_{n}(session, url, retries=3):
    """Fetch item {n}, retrying on connection errors."""
    for attempt in range(retries):
        try:
            response = {call}
            response.raise_for_status()
            return response.json()
        except requests.ConnectionError as exc:
            log.warning("attempt %s failed: %s", attempt, exc)
    data = {loader}(open("settings.yml"))
    total = sum(item["size"] for item in data.get("items", []))
    if total > {n}:
        raise ValueError(f"too large: {{total}}")
    return subprocess.run(["ls", url], check=True, capture_output=True)


'''

METHOD = "".join(f"    {line}\n" if line else "\n" for line in FUNCTION.replace("(session, url,", "(self, url,").split("\n")[:-2])
CLIENT = '''class Client:
    """A client of the items service: one session, so connections are reused."""

    def __init__(self, token):
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

'''


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its waited-for children (semgrep), from /proc (Linux): unlike wall time, not
    stretched by other work on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def source(lines: int, edit: int, clean: bool = False, session: bool = False) -> str:
    """About ``lines`` lines of Python in functions of 16 lines (methods of 15, ``session``), with ``edit`` as a comment in
    the middle line."""
    text = f"import {'json' if clean else 'yaml'}\nimport logging\nimport subprocess\n\nimport requests\n\nlog = logging.getLogger(__name__)\n\n\n"
    holder = "self.session" if session else "requests"
    calls = (f"{holder}.get(url, timeout=10)", f"{holder}.post(url, json={{}})")  # one function in eight lacks a timeout (CX0003)
    loader = "json.load" if clean else "yaml.safe_load"
    text += CLIENT if session else ""
    template = METHOD if session else FUNCTION
    count = -(-(lines - text.count("\n")) // template.count("\n"))
    text += "".join(template.format(n=n, call=calls[n % 8 == 0 and not clean], loader=loader) for n in range(count))
    body = text.split("\n")
    body.insert(len(body) // 2, f"# edit {edit}")
    return "\n".join(body)


async def measure(root: Path, saves: int, lines: int, clean: bool, session: bool) -> tuple[float, list[float], list[float], dict[int, int]]:
    """The seconds from open to diagnostics, from each save to its diagnostics (wall and the server's CPU), and how
    many diagnostics each version had."""
    client = LanguageClient("codex-bench", "1")
    published: dict[int, float] = {}
    found: dict[int, int] = {}
    arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published[params.version or 0] = time.perf_counter()
        found[params.version or 0] = len(params.diagnostics)
        arrived.set()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams) -> None:
        pass

    async def diagnostics_of(version: int) -> float:
        while version not in published:
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 120)
        return published[version]

    await client.start_io(sys.executable, "-m", "codex_cli", "lsp", cwd=root, env={**os.environ, "PYTHONPATH": str(REPO)})
    drain = asyncio.ensure_future(client._server.stderr.read())  # the server's log: never left to fill the pipe
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=False))
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities, root_uri=root.as_uri()))
    client.initialized(types.InitializedParams())
    path = root / "app" / "service.py"
    uri = path.as_uri()
    path.write_text(source(lines, 0, clean, session))
    started = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=path.read_text()))
    )
    cold = await diagnostics_of(1) - started
    samples, cpu = [], []
    pid = client._server.pid
    for version in range(2, saves + 2):
        text = source(lines, version, clean, session)
        path.write_text(text)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        saved, cpu_before = time.perf_counter(), cpu_seconds(pid)
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        samples.append(await diagnostics_of(version) - saved)
        cpu.append(cpu_seconds(pid) - cpu_before)
        await asyncio.sleep(0.5)  # an editor's pace: the next save comes later
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drain.cancel()
    return cold, samples, cpu, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=9)
    parser.add_argument("--lines", type=int, default=1000)
    variant = parser.add_mutually_exclusive_group()
    variant.add_argument("--clean", action="store_true", help="no finding and no libcst: every requests call has a timeout, JSON instead of YAML")
    variant.add_argument("--session", action="store_true", help="methods calling a session held in self.session: CX0003 follows the attribute")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="codex-lsp-bench-") as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "--quiet", str(root)], check=True)
        (root / "app").mkdir()
        cold, samples, cpu, found = asyncio.run(measure(root, args.saves, args.lines, args.clean, args.session))
    lines = len(source(args.lines, 0, args.clean, args.session).split("\n"))
    print(f"codex lsp, {lines}-line Python file, shipped codex, {os.cpu_count()} CPUs, load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"first open (cold): {cold:.2f} s; diagnostics per version: {sorted(set(found.values()))}")
    print(
        f"save -> diagnostics over {len(samples)} saves: median {statistics.median(samples):.2f} s, "
        f"min {min(samples):.2f} s, max {max(samples):.2f} s  ({', '.join(f'{s:.2f}' for s in samples)})"
    )
    print(f"server CPU per save (with semgrep): median {statistics.median(cpu):.2f} s")
    return 0 if statistics.median(samples) < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
