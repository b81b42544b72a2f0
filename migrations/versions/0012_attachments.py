"""Attachments on drafts: files the citizen attaches per dossier component before submitting."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40016'
down_revision = 'a1b2c3d40013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('draft_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('source_document_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_draft_attachments_draft_id_drafts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_document_id'], ['documents.id'],
                            name=op.f('fk_draft_attachments_source_document_id_documents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_attachments'))
    )
    with op.batch_alter_table('draft_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_attachments_draft_id'), ['draft_id'], unique=False)


def downgrade():
    with op.batch_alter_table('draft_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_attachments_draft_id'))
    op.drop_table('draft_attachments')
