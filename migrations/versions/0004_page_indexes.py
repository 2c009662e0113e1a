"""indexes a page of events or findings is read through (the web page at 100,000 events)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each replaces an index it starts with, so writes keep as many indexes to update as before:
# events (at) → (at, kind): counts per day and kind read the index alone, never the rows with
# their text; findings (category) → (category, at, strength, status) of the current findings only:
# a category's page in time order and the counts per category and status read the index alone.


def upgrade() -> None:
    op.drop_index("ix_events_at", table_name="events")
    op.create_index("ix_events_at_kind", "events", ["at", "kind"], unique=False)
    op.drop_index("ix_findings_category", table_name="findings")
    op.create_index(
        "ix_findings_listed",
        "findings",
        ["category", "at", "strength", "status"],
        unique=False,
        sqlite_where=sa.text("current IS 1"),
        postgresql_where=sa.text("current IS true"),
    )
    # The few current findings decided or suggested (evidence.schema.NOT_PLAIN_AUTO), counted
    # by status without reading the many that are plainly "auto".
    op.create_index(
        "ix_findings_decided",
        "findings",
        ["category", "status", "strength"],
        unique=False,
        sqlite_where=sa.text("current IS 1 AND (status != 'auto' OR strength = 'suggestion')"),
        postgresql_where=sa.text("current IS true AND (status != 'auto' OR strength = 'suggestion')"),
    )


def downgrade() -> None:
    op.drop_index("ix_findings_decided", table_name="findings")
    op.drop_index("ix_findings_listed", table_name="findings")
    op.create_index("ix_findings_category", "findings", ["category"], unique=False)
    op.drop_index("ix_events_at_kind", table_name="events")
    op.create_index("ix_events_at", "events", ["at"], unique=False)
