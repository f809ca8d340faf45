"""Create the register: registrations, status history, reference counters.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("kind_predicted", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("service_id", sa.String(64)),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
        sa.Column("contact", sa.String(200)),
        sa.Column("access_code_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "status_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("registration_id", sa.Integer, sa.ForeignKey("registrations.id"), nullable=False, index=True),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reference_counters",
        sa.Column("letter", sa.String(1), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reference_counters")
    op.drop_table("status_history")
    op.drop_table("registrations")
