"""codex's command line: argument parsing (main.py) and one small module per command (commands/), on top of
reviewer/ (running checks) and codex/ (the core)."""
