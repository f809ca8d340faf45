"""One registration per form submission: a unique submission key makes saving idempotent.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("registrations", sa.Column("submission_key", sa.String(64)))
    op.create_index("ix_registrations_submission_key", "registrations", ["submission_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_registrations_submission_key", "registrations")
    op.drop_column("registrations", "submission_key")
