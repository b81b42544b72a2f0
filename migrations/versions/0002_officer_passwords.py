"""Officer accounts get a password hash (scrypt); citizens keep logging in with OIDC."""
from alembic import op
import sqlalchemy as sa


revision = '8a6c4c7704d8'
down_revision = 'de80fad579ad'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=200), nullable=True))



def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('password_hash')

