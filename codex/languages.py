"""Languages codex knows, by semgrep's names, and the file endings that select them."""

from __future__ import annotations

from pathlib import PurePath

EXTENSIONS: dict[str, tuple[str, ...]] = {
    "bash": (".sh", ".bash"),
    "c": (".c", ".h"),
    "cpp": (".cc", ".cpp", ".cxx", ".hpp", ".hh"),
    "csharp": (".cs",),
    "go": (".go",),
    "java": (".java",),
    "javascript": (".js", ".jsx", ".mjs", ".cjs"),
    "json": (".json",),
    "kotlin": (".kt", ".kts"),
    "lua": (".lua",),
    "php": (".php",),
    "python": (".py", ".pyi"),
    "ruby": (".rb",),
    "rust": (".rs",),
    "scala": (".scala",),
    "swift": (".swift",),
    "terraform": (".tf", ".hcl"),
    "typescript": (".ts", ".tsx"),
    "yaml": (".yml", ".yaml"),
}

_BY_EXTENSION = {ext: lang for lang, exts in EXTENSIONS.items() for ext in exts}


def language_of(path: str) -> str | None:
    return _BY_EXTENSION.get(PurePath(path).suffix.lower())


def default_filename(language: str) -> str:
    return "example" + EXTENSIONS[language][0]
