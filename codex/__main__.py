import sys

from codex.main import main

sys.exit(main())
