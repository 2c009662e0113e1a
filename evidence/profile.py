"""The complainant's details, kept in the encrypted database like everything else."""

from __future__ import annotations

from sqlalchemy import select

from evidence import custody
from evidence.errors import UsageError
from evidence.schema import ProfileField
from evidence.store import Store

FIELDS = ("name", "id_number", "phone", "address")


def set_profile(store: Store, values: dict[str, str | None]) -> dict[str, str]:
    changed = {k: v.strip() for k, v in values.items() if v is not None}
    unknown = set(changed) - set(FIELDS)
    if unknown:
        raise UsageError(f"unknown profile field: {', '.join(sorted(unknown))}")
    if not changed:
        raise UsageError("give at least one of --name, --id-number, --phone, --address")
    with store.transaction() as s:
        for field, value in changed.items():
            row = s.get(ProfileField, field)
            if row is None:
                s.add(ProfileField(field=field, value=value))
            else:
                row.value = value
        # The log says which fields changed, never their values (the log goes into bundles).
        custody.append(s, "profile", {"fields": sorted(changed)}, store.now())
    return get_profile(store)


def get_profile(store: Store) -> dict[str, str]:
    with store.transaction() as s:
        return {r.field: r.value for r in s.scalars(select(ProfileField))}
