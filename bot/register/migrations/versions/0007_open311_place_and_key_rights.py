"""Open311 in full: where a matter is (location columns, a media URL), the token a post is
answered with, and api keys that can be revoked or granted the right to read everything.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("registrations", sa.Column("latitude", sa.Float))
    op.add_column("registrations", sa.Column("longitude", sa.Float))
    op.add_column("registrations", sa.Column("address", sa.String(500)))
    op.add_column("registrations", sa.Column("address_id", sa.String(100)))
    op.add_column("registrations", sa.Column("media_url", sa.String(2000)))
    op.add_column("registrations", sa.Column("open311_token", sa.String(32)))
    op.create_index("ix_registrations_open311_token", "registrations", ["open311_token"], unique=True)
    if op.get_bind().dialect.name != "sqlite":  # SQLite does not enforce VARCHAR lengths
        # name, e-mail (up to 254 characters) and phone of an Open311 post
        op.alter_column("registrations", "contact", type_=sa.Text)
    op.add_column("api_keys", sa.Column("read_all", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("api_keys", sa.Column("revoked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("read_all")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("registrations", "contact", type_=sa.String(200))
    op.drop_index("ix_registrations_open311_token", "registrations")
    with op.batch_alter_table("registrations") as batch:
        for column in ("open311_token", "media_url", "address_id", "address", "longitude", "latitude"):
            batch.drop_column(column)
