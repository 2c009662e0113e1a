"""Command modules; each exposes COMMANDS, the click commands it holds."""
