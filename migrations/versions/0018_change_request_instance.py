"""change_request.instance_id: the process instance that raised a change request (the
auditor's link from a change request to its trace); filled for existing rows from the
review or requirement the request came from, and sla.instance_id from its requirement

Revision ID: 0018
Revises: 0012
Create Date: 2026-12-02 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('change_request') as batch:
        batch.add_column(sa.Column('instance_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_change_request_instance_id'), ['instance_id'],
                           unique=False)
    # existing rows: the review instance of the proposal, else the agreement instance of
    # the requirement whose design specification the request builds
    op.execute("""
        UPDATE change_request SET instance_id = (
            SELECT review.instance_id FROM improvement_proposal
            JOIN review ON review.id = improvement_proposal.review_id
            WHERE improvement_proposal.id = change_request.proposal_id)
        WHERE instance_id IS NULL AND proposal_id IS NOT NULL""")
    op.execute("""
        UPDATE change_request SET instance_id = (
            SELECT slr.instance_id FROM design_specification
            JOIN slr ON slr.id = design_specification.slr_id
            WHERE design_specification.id = change_request.design_spec_id)
        WHERE instance_id IS NULL AND design_spec_id IS NOT NULL""")
    op.execute("""
        UPDATE sla SET instance_id = (SELECT slr.instance_id FROM slr WHERE slr.id = sla.slr_id)
        WHERE instance_id IS NULL AND slr_id IS NOT NULL""")


def downgrade():
    with op.batch_alter_table('change_request') as batch:
        batch.drop_index(batch.f('ix_change_request_instance_id'))
        batch.drop_column('instance_id')
