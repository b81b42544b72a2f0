"""The product's own reason (a withdrawal request, a late-result apology) is stored under
``reason``, not ``ly_do``: that name belongs to packages' forms. Rewrites the rows already stored.
Data only; the schema does not change."""
import sqlalchemy as sa
from alembic import op

revision = 'c5e1a7f20019'
down_revision = 'c5e1a7f20018'
branch_labels = None
depends_on = None

_ROWS = sa.table('step_records', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                 sa.column('data', sa.JSON))


def _rename(old, new):
    bind = op.get_bind()
    rows = bind.execute(sa.select(_ROWS.c.id, _ROWS.c.data).where(_ROWS.c.kind.in_(('apology', 'status')))).all()
    for row_id, data in rows:
        if isinstance(data, dict) and old in data and new not in data:
            changed = {(new if key == old else key): value for key, value in data.items()}
            bind.execute(_ROWS.update().where(_ROWS.c.id == row_id).values(data=changed))


def upgrade():
    _rename('ly_do', 'reason')


def downgrade():
    _rename('reason', 'ly_do')
