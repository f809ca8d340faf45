"""An honest live signal: when the bot asked the kind instead of proposing one, nothing was
predicted (``kind_predicted`` NULL).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.alter_column("kind_predicted", existing_type=sa.String(20), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE registrations SET kind_predicted = kind WHERE kind_predicted IS NULL")
    with op.batch_alter_table("registrations") as batch:
        batch.alter_column("kind_predicted", existing_type=sa.String(20), nullable=False)
