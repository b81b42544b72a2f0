"""Drafts remember which fields were prefilled and from where (once-only), to tell the citizen."""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40010'
down_revision = 'a1b2c3d40007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('drafts') as batch:
        batch.add_column(sa.Column('prefilled', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('drafts') as batch:
        batch.drop_column('prefilled')
