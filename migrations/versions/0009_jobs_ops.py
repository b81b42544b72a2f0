"""Job operations: outbox leases and completion, failed jobs, per-worker job counters."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40009'
down_revision = 'a1b2c3d40006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dispatches', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_open', ['completed_at', 'lease_until'], unique=False)
    # Rows relayed before this release count as done: their jobs ran under the old rules.
    op.execute("UPDATE outbox SET completed_at = dispatched_at, dispatches = 1 WHERE dispatched_at IS NOT NULL")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('dispatches', server_default=None)

    op.create_table('failed_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('error_class', sa.String(length=120), nullable=False),
    sa.Column('error_message', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('retried_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retried_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_failed_jobs_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['retried_by_id'], ['accounts.id'], name=op.f('fk_failed_jobs_retried_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_jobs')),
    sa.UniqueConstraint('outbox_id', name=op.f('uq_failed_jobs_outbox_id'))
    )
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_jobs_last_failed_at'), ['last_failed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_failed_jobs_state'), ['state'], unique=False)

    op.create_table('job_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=80), nullable=False),
    sa.Column('worker', sa.String(length=160), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('latency_sum', sa.Float(), nullable=False),
    sa.Column('latency_buckets', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_stats')),
    sa.UniqueConstraint('job', 'worker', name=op.f('uq_job_stats_job'))
    )


def downgrade():
    op.drop_table('job_stats')
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_failed_jobs_last_failed_at'))
    op.drop_table('failed_jobs')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_open')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('completed_at')
        batch_op.drop_column('dispatches')
        batch_op.drop_column('lease_until')
