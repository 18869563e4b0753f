"""Conversations: comments per subject (requirement, SLA, review, change request) and
their attachments; when each measurement was imported (stored reports say when their data
changed)

Revision ID: 0010
Revises: 0015
Create Date: 2026-12-02 16:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.Column('author_organisation', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("subject_type in ('requirement', 'sla', 'review', 'change_request')", name=op.f('ck_comment_subject_type')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_comment_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    op.create_index('ix_comment_subject', 'comment', ['subject_type', 'subject_id', 'id'], unique=False)
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_attachment_comment_id_comment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    op.create_index(op.f('ix_attachment_comment_id'), 'attachment', ['comment_id'], unique=False)
    op.add_column('measurement', sa.Column('imported_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('measurement') as batch:
        batch.drop_column('imported_at')
    op.drop_index(op.f('ix_attachment_comment_id'), table_name='attachment')
    op.drop_table('attachment')
    op.drop_index('ix_comment_subject', table_name='comment')
    op.drop_table('comment')
