"""Monthly service-quality indicators, computed by a background job (webapp/reports)."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40019'
down_revision = 'a1b2c3d40018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quality_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('final', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('period', 'scope'),
    )
    # The statistics job reads the dossiers finished since a month began, and the open ones.
    op.create_index('ix_dossiers_finished_at', 'dossiers', ['finished_at'])
    # Which dossiers reused data the State already held (the index's digitisation criterion).
    with op.batch_alter_table('dossiers') as batch:
        batch.add_column(sa.Column('reused_data', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('draft_attachments') as batch:
        batch.add_column(sa.Column('reused', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('draft_attachments') as batch:
        batch.drop_column('reused')
    with op.batch_alter_table('dossiers') as batch:
        batch.drop_column('reused_data')
    op.drop_index('ix_dossiers_finished_at', table_name='dossiers')
    op.drop_table('quality_snapshots')
