"""The application layer: one function per use case, shared by the command line and the local web page.

A use case does its whole job (the custody entry, the attribution and findings refresh)
and returns plain result dataclasses; it never prints and never prompts. What only the
person can give (a passphrase, a backup password, a detail left out) comes in as a value or
as a callable the interface supplies; progress and warnings go out through callables too.

A use case that needs the locker takes `open_store` and calls it only once its own
arguments are checked, so a wrong option is reported before a passphrase is asked for. The
command line passes `AppContext.store`; the web page, its already unlocked store.

Errors are `evidence.errors`' (re-exported here, so an interface imports nothing else).
"""

from __future__ import annotations

from collections.abc import Callable

from evidence.errors import ExitCode, LockerError, UsageError
from evidence.store import Store

OpenStore = Callable[[], Store]
Notify = Callable[[str], None]  # one line of status or warning for the person, never personal data

__all__ = ["ExitCode", "LockerError", "Notify", "OpenStore", "Store", "UsageError"]
