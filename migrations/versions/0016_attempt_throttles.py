"""Failed sign-in (and lookup) attempts per account name and per client, for the lockout (webapp/accounts/throttle.py)."""
from alembic import op
import sqlalchemy as sa


revision = 'c5e1a7f20016'
down_revision = 'a1b2c3d40019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attempt_throttles',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade():
    op.drop_table('attempt_throttles')
