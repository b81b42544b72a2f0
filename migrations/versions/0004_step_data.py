"""Completed steps keep what their form said, for the slips the desk prints (forms 02, 03)."""
from alembic import op
import sqlalchemy as sa


revision = '86c2e1c64edf'
down_revision = 'b17149d8bcfd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.drop_column('data')

