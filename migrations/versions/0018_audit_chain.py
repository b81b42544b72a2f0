"""A tamper-evident audit log: each entry's hash chains it to the one before (webapp/audit/chain.py);
triggers refuse UPDATE and DELETE on audit_log (PostgreSQL: UPDATE and DELETE; SQLite: UPDATE)."""
from alembic import op
import sqlalchemy as sa


revision = 'c5e1a7f20018'
down_revision = 'c5e1a7f20017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
            END $$""")
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()""")
    else:
        # DELETE stays possible on SQLite (the test suite empties its tables between tests); the chain shows it.
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_is_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_append_only")
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_column('hash')
        batch.drop_column('prev_hash')
