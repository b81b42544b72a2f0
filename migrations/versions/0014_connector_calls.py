"""Service tasks' calls to outside systems, made by background jobs (webapp/connectors/calls.py), and
each dossier's standing on the national public service portal (webapp/connectors/portal_sync.py)."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40018'
down_revision = 'a1b2c3d40017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'connector_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=64), nullable=False),
        sa.Column('element_id', sa.String(length=120), nullable=False),
        sa.Column('connector', sa.String(length=80), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error_reason', sa.String(length=40), nullable=True),
        sa.Column('error_retryable', sa.Boolean(), nullable=True),
        sa.Column('error_message', sa.String(length=200), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dossier_id', 'task_id'),
    )
    op.create_index('ix_connector_calls_dossier_id', 'connector_calls', ['dossier_id'])
    op.create_table(
        'portal_sync',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('national_code', sa.String(length=40), nullable=True),
        sa.Column('synced_status', sa.Integer(), nullable=True),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dossier_id'),
    )


def downgrade():
    op.drop_table('portal_sync')
    op.drop_index('ix_connector_calls_dossier_id', table_name='connector_calls')
    op.drop_table('connector_calls')
