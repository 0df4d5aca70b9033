"""The protocol side of ``codex mcp``: the official SDK's low-level server over stdio, with the tools and resources
of ``_mcp_tools``. Arguments are validated by their pydantic models and results against their output schemas; any
failure inside a tool becomes a tool error with a plain message, and the server goes on serving."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.stdio import stdio_server
from pydantic import AnyUrl, BaseModel, ValidationError

from codex import __version__
from codex.problems import ProblemError
from codex_cli.commands._mcp_tools import (
    Arguments,
    CheckArguments,
    CheckResult,
    ExplainArguments,
    ExplainResult,
    NoArguments,
    Result,
    RfcTestArguments,
    RfcTestResult,
    RulesResult,
    Workspace,
)

logger = logging.getLogger("codex.mcp")
T = TypeVar("T")

INSTRUCTIONS = (
    "codex enforces this repository's engineering RFCs. Before writing code, `rules` lists what is required; "
    "`check` a file (or unsaved text as a file) before you finish, and follow each finding's remedy (`use`); "
    "`explain` a rule for its reasons and examples; `test` a draft RFC before proposing it."
)


@dataclass(frozen=True)
class Tool:
    """A tool: the :class:`Workspace` method of its name answers it."""

    description: str
    arguments: type[Arguments]
    result: type[Result]


TOOLS = {
    "rules": Tool("Every active rule: its statement (If you need X, use Y), severity, stage in force today, languages and RFC.", NoArguments, RulesResult),
    "explain": Tool(
        "A rule's page, as `codex explain ID` prints it: what it does, why, an example, what to use instead, stage and RFC. An RFC id gives the RFC's page.",
        ExplainArguments,
        ExplainResult,
    ),
    "check": Tool(
        "Check a file against the active rules: `content` as if it were the file at `path` (the file on disk when "
        "absent). Findings carry the rule, lines, statement, remedy, stage, RFC and a safe fix when the rule has one.",
        CheckArguments,
        CheckResult,
    ),
    "test": Tool(
        "Compile an RFC's markdown text (not written anywhere) and run its examples, as `codex test` would: compile "
        "problems with their lines, and each example's verdict.",
        RfcTestArguments,
        RfcTestResult,
    ),
}


class ToolFailure(Exception):
    """A request the server answers with an error: the message is what the client reads."""


def guarded(what: str, work: Callable[[], T]) -> T:
    """``work()``, its problems and any unexpected exception turned into a :class:`ToolFailure` with a plain message."""
    try:
        return work()
    except ProblemError as exc:
        raise ToolFailure("\n".join(map(str, exc.problems))) from None
    except Exception as exc:
        logger.exception("%s failed", what)
        raise ToolFailure(f"internal error in {what}: {type(exc).__name__}: {exc} (please report it)") from None


def plain(exc: ValidationError) -> str:
    """A validation error as ``argument: what is wrong`` pairs."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())


def build_server(workspace: Workspace) -> Server:
    server: Server = Server("codex", version=__version__, instructions=INSTRUCTIONS)
    busy = anyio.Lock()  # one check at a time: the engines and the result cache are not shared between threads

    async def in_thread(what: str, work: Callable[[], T]) -> T:
        async with busy:
            return await anyio.to_thread.run_sync(guarded, what, work)

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [
            types.Tool(
                name=name,
                description=tool.description,
                inputSchema=tool.arguments.model_json_schema(),
                outputSchema=tool.result.model_json_schema(),
                annotations=types.ToolAnnotations(readOnlyHint=True),
            )
            for name, tool in TOOLS.items()
        ]

    @server.call_tool(validate_input=False)  # the pydantic model validates, and names the argument at fault
    async def call_tool(name: str, arguments: dict[str, Any]) -> tuple[list[types.TextContent], dict[str, Any]]:
        tool = TOOLS.get(name)
        if tool is None:
            raise ToolFailure(f"no tool {name!r}: the tools are {', '.join(TOOLS)}")
        try:
            parsed: BaseModel = tool.arguments.model_validate(arguments)
        except ValidationError as exc:
            raise ToolFailure(f"bad arguments to {name}: {plain(exc)}") from None
        result: Result = await in_thread(name, lambda: getattr(workspace, name)(parsed))
        return [types.TextContent(type="text", text=result.text())], result.model_dump(mode="json")

    @server.list_resources()
    async def list_resources() -> list[types.Resource]:
        return [
            types.Resource(uri=AnyUrl(rfc.uri), name=rfc.id, title=rfc.title, mimeType="text/markdown", description=f"{rfc.id}: {rfc.title}")
            for rfc in await in_thread("resources/list", workspace.rfcs)
        ]

    @server.read_resource()
    async def read_resource(uri: AnyUrl) -> list[ReadResourceContents]:
        rfc = await in_thread("resources/read", lambda: workspace.rfc(str(uri)))
        return [ReadResourceContents(content=rfc.text, mime_type="text/markdown")]

    return server


def serve(workspace: Workspace) -> None:
    """Answer MCP requests on stdin/stdout until the client closes them."""
    anyio.run(_serve_stdio, build_server(workspace))


async def _serve_stdio(server: Server) -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
