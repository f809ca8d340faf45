"""Mail intake: a letter's subject and an unsure kind on the registration, the applicants'
later messages, attachments, the letters read from the mailbox and the Message-IDs we sent.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("subject", sa.String(300)))
        batch.add_column(sa.Column("kind_unsure", sa.Boolean, nullable=False, server_default="0"))
    op.create_table(
        "applicant_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("registration_id", sa.Integer, sa.ForeignKey("registrations.id"), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_hash", sa.String(64)),
        sa.Column("subject", sa.String(300)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source_key", sa.String(64), unique=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("registration_id", sa.Integer, sa.ForeignKey("registrations.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("note", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("registration_id", "position"),
    )
    op.create_table(
        "mail_letters",
        sa.Column("letter_key", sa.String(64), primary_key=True),
        sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("registration_id", sa.Integer, sa.ForeignKey("registrations.id")),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "mail_sent",
        sa.Column("message_id_hash", sa.String(64), primary_key=True),
        sa.Column("registration_id", sa.Integer, sa.ForeignKey("registrations.id"), nullable=False, index=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mail_sent")
    op.drop_table("mail_letters")
    op.drop_table("attachments")
    op.drop_table("applicant_messages")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("kind_unsure")
        batch.drop_column("subject")
