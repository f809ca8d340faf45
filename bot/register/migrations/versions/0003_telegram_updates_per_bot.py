"""Key processed Telegram update ids by the bot they came to.

Update ids count per bot, so a new bot token on the same database must not find its
updates already "seen". Ids kept so far belong to no known bot and are dropped: at
worst an update redelivered at the moment of the upgrade is handled twice.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("telegram_updates")
    op.create_table(
        "telegram_updates",
        sa.Column("bot_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("telegram_updates")
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
