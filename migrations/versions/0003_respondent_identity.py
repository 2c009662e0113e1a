"""a party's identity as a respondent: legal name, credit code, address, app, contract

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("legal_name", "credit_code", "address", "app_name", "contract")


# Plain ALTER TABLE ADD/DROP COLUMN (SQLite >= 3.35), not a batch copy of the table: other
# tables' foreign keys point at parties, and a copy-and-drop fails once they hold rows.


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("parties", sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("parties", name)
