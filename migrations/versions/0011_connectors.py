"""Connectors: the public-post tracking number of a result sent by post, on the dossier."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40013'
down_revision = 'a1b2c3d40011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_number', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('tracking_number')
