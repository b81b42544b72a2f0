"""Online fee payments: one row per attempt, at most one open or paid per fee due."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40006'
down_revision = 'a1b2c3d40010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('due_task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=120), nullable=False),
    sa.Column('fee_key', sa.String(length=80), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('txn_ref', sa.String(length=40), nullable=False),
    sa.Column('gateway_txn', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_payments_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['accounts.id'], name=op.f('fk_payments_requested_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('gateway_txn', name=op.f('uq_payments_gateway_txn')),
    sa.UniqueConstraint('txn_ref', name=op.f('uq_payments_txn_ref'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_dossier_id'), ['dossier_id'], unique=False)
        # A dossier is never paid twice: one requested or paid attempt per fee due.
        batch_op.create_index('uq_payments_one_open_per_due', ['dossier_id', 'due_task_id'], unique=True,
                              sqlite_where=sa.text("state != 'failed'"),
                              postgresql_where=sa.text("state != 'failed'"))


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('uq_payments_one_open_per_due')
        batch_op.drop_index(batch_op.f('ix_payments_dossier_id'))

    op.drop_table('payments')
