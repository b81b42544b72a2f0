"""Officers' notes on a dossier, shown beside the work item (never to the citizen)."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40017'
down_revision = 'a1b2c3d40016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dossier_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['accounts.id']),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_dossier_notes_dossier_id', 'dossier_notes', ['dossier_id'])


def downgrade():
    op.drop_index('ix_dossier_notes_dossier_id', table_name='dossier_notes')
    op.drop_table('dossier_notes')
