"""Sessions that end on the server: the account's session generation, bumped by logout and a new password."""
from alembic import op
import sqlalchemy as sa


revision = 'c5e1a7f20017'
down_revision = 'c5e1a7f20016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('session_generation')
