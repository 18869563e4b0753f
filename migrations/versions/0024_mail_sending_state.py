"""mail_message.status: 'sending' (handed to the SMTP server, its answer not yet recorded)
and 'uncertain' (its runner stopped while sending; never sent again)

Revision ID: 0024
Revises: 0027
Create Date: 2026-12-03 08:10:00
"""
from alembic import op

revision = '0024'
down_revision = '0027'
branch_labels = None
depends_on = None

NEW = "status IN ('pending', 'sending', 'sent', 'uncertain', 'failed')"
OLD = "status IN ('pending', 'sent', 'failed')"


def upgrade():
    with op.batch_alter_table('mail_message') as batch:
        batch.drop_constraint(op.f('ck_mail_message_status'), type_='check')
        batch.create_check_constraint('status', NEW)


def downgrade():
    # before 0024 a mail handed over was sent; one being handed over was pending
    op.execute("UPDATE mail_message SET status = 'sent' WHERE status = 'uncertain'")
    op.execute("UPDATE mail_message SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table('mail_message') as batch:
        batch.drop_constraint(op.f('ck_mail_message_status'), type_='check')
        batch.create_check_constraint('status', OLD)
