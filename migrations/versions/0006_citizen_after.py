"""After submitting: satisfaction ratings (one per dossier) and the public lookup's failure counter."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40007'
down_revision = '5ad03f0569e9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dossier_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_dossier_ratings_score_range')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_dossier_ratings_account_id_accounts')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_ratings_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_ratings')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_dossier_ratings_dossier_id'))
    )
    with op.batch_alter_table('dossier_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_ratings_account_id'), ['account_id'], unique=False)

    op.create_table('lookup_throttles',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_lookup_throttles'))
    )


def downgrade():
    op.drop_table('lookup_throttles')
    with op.batch_alter_table('dossier_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_ratings_account_id'))

    op.drop_table('dossier_ratings')
