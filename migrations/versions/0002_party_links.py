"""party links (why a number is attributed to a party) and loan references

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("hold", sa.String(length=32), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_party_links_party_id_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_links")),
        sa.UniqueConstraint("number", "party_id", name="uq_party_links_number_party_id"),
    )
    with op.batch_alter_table("party_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_links_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_party_links_party_id"), ["party_id"], unique=False)

    op.create_table(
        "party_loan_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_party_loan_refs_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_loan_refs")),
    )
    with op.batch_alter_table("party_loan_refs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_loan_refs_party_id"), ["party_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("party_loan_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_loan_refs_party_id"))

    op.drop_table("party_loan_refs")
    with op.batch_alter_table("party_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_links_party_id"))
        batch_op.drop_index(batch_op.f("ix_party_links_number"))

    op.drop_table("party_links")
