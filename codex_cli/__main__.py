"""``python -m codex_cli``. Python puts the working directory first on ``sys.path``: a ``markdown_it.py`` or ``yaml.py``
in the checked repository would be imported in place of the library, so the directory is dropped before any import."""

import sys

if not sys.flags.safe_path and sys.path:  # -P or PYTHONSAFEPATH already leave it out
    del sys.path[0]

from codex_cli.main import main

sys.exit(main())
