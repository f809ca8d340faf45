"""Privacy: contacts encrypted at rest, the anonymous client's hash for the hourly cap, and
a token generation per staff login (logging out revokes its tokens).

Existing contacts are encrypted here with the key the register uses for delivery addresses
(derived from PALIGS_SECRET, or data/secret.key): run the migration with the same settings
as the bot (``make run`` and ``python -m bot.register.migrate`` do).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FERNET_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80, then the timestamp)


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.alter_column("contact", type_=sa.Text, existing_type=sa.String(200))
        batch.add_column(sa.Column("client_hash", sa.String(32)))
        batch.create_index("ix_registrations_client_hash", ["client_hash"])
    with op.batch_alter_table("staff_members") as batch:
        batch.add_column(sa.Column("token_generation", sa.Integer, nullable=False, server_default="0"))
    _encrypt_contacts()


def _encrypt_contacts() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, contact FROM registrations WHERE contact IS NOT NULL AND contact NOT LIKE :sealed"
    ), {"sealed": FERNET_PREFIX + "%"}).all()
    if not rows:
        return
    from bot import settings
    from bot.register.outbox import AddressBox

    box = AddressBox(settings.load().derived_secret("delivery-address"))
    for row in rows:
        conn.execute(sa.text("UPDATE registrations SET contact = :sealed WHERE id = :id"),
                     {"sealed": box.seal({"contact": row.contact}), "id": row.id})


def downgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.drop_column("token_generation")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_index("ix_registrations_client_hash")
        batch.drop_column("client_hash")
