"""The `locker` command: click groups, the application context, errors to exit codes."""
