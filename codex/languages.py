"""Languages codex knows, by semgrep's names, and the file endings that select them."""

from __future__ import annotations

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
    """The language of a "/"-separated path by its file ending, as ``PurePath.suffix`` finds it (without building a
    path: this runs once per file of a tree)."""
    name = path.rstrip("/").rpartition("/")[2]
    dot = name.rfind(".")
    return _BY_EXTENSION.get(name[dot:].lower()) if 0 < dot < len(name) - 1 else None


def default_filename(language: str) -> str:
    return "example" + EXTENSIONS[language][0]
