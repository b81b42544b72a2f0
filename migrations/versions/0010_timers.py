"""Timers and deadlines: the BPMN timer schedule beat claims from, officers' deadline alerts."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40011'
down_revision = 'a1b2c3d40009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('timer_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_timer_schedule_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer_schedule')),
    sa.UniqueConstraint('dossier_id', 'kind', name=op.f('uq_timer_schedule_dossier_id'))
    )
    with op.batch_alter_table('timer_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timer_schedule_due_at'), ['due_at'], unique=False)

    op.create_table('deadline_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_deadline_alerts_account_id_accounts')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_deadline_alerts_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_alerts')),
    sa.UniqueConstraint('dossier_id', 'account_id', 'kind', 'due_at', name=op.f('uq_deadline_alerts_dossier_id'))
    )
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_alerts_inbox', ['account_id', 'read_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_alerts_dossier_id'), ['dossier_id'], unique=False)


def downgrade():
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_alerts_dossier_id'))
        batch_op.drop_index('ix_deadline_alerts_inbox')
    op.drop_table('deadline_alerts')
    with op.batch_alter_table('timer_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timer_schedule_due_at'))
    op.drop_table('timer_schedule')
