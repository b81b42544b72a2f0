"""Initial schema: units, accounts, procedures and versions, dossiers, work items, documents, audit."""
from alembic import op
import sqlalchemy as sa


revision = 'de80fad579ad'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('identity_number', sa.String(length=12), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('identity_number', name=op.f('uq_accounts_identity_number')),
    sa.UniqueConstraint('username', name=op.f('uq_accounts_username'))
    )
    op.create_table('procedures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedures')),
    sa.UniqueConstraint('slug', name=op.f('uq_procedures_slug'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_tokens_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_account_id'), ['account_id'], unique=False)

    op.create_table('dossier_code_counters',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_dossier_code_counters_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', 'day', name=op.f('pk_dossier_code_counters'))
    )
    op.create_table('procedure_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_procedure_versions_created_by_id_accounts')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedures.id'], name=op.f('fk_procedure_versions_procedure_id_procedures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_versions')),
    sa.UniqueConstraint('procedure_id', 'content_hash', name=op.f('uq_procedure_versions_procedure_id'))
    )
    # procedures and procedure_versions point at each other: add the second link once both exist.
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_procedures_published_version', 'procedure_versions',
                                    ['published_version_id'], ['id'])
    with op.batch_alter_table('procedure_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_versions_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('role_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_role_assignments_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_role_assignments_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignments')),
    sa.UniqueConstraint('account_id', 'unit_id', 'role', name=op.f('uq_role_assignments_account_id'))
    )
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_assignments_account_id'), ['account_id'], unique=False)

    op.create_table('dossiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('procedure_version_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('receiving_unit_id', sa.Integer(), nullable=False),
    sa.Column('handling_unit_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Integer(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('form_data', sa.JSON(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('failure', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['accounts.id'], name=op.f('fk_dossiers_applicant_id_accounts')),
    sa.ForeignKeyConstraint(['handling_unit_id'], ['units.id'], name=op.f('fk_dossiers_handling_unit_id_units')),
    sa.ForeignKeyConstraint(['procedure_version_id'], ['procedure_versions.id'], name=op.f('fk_dossiers_procedure_version_id_procedure_versions')),
    sa.ForeignKeyConstraint(['receiving_unit_id'], ['units.id'], name=op.f('fk_dossiers_receiving_unit_id_units')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['accounts.id'], name=op.f('fk_dossiers_submitted_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossiers')),
    sa.UniqueConstraint('code', name=op.f('uq_dossiers_code')),
    sa.UniqueConstraint('submitted_by_id', 'idempotency_key', name='uq_dossiers_idempotency')
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossiers_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_handling_unit_id'), ['handling_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_procedure_version_id'), ['procedure_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_receiving_unit_id'), ['receiving_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_status'), ['status'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=80), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['accounts.id'], name=op.f('fk_audit_log_actor_id_accounts')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_audit_log_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_documents_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['accounts.id'], name=op.f('fk_documents_uploaded_by_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('step_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('element_id', sa.String(length=120), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('lane', sa.String(length=60), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['accounts.id'], name=op.f('fk_step_records_actor_id_accounts')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_step_records_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_records'))
    )
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_records_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('supplement_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_supplement_pauses_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplement_pauses'))
    )
    with op.batch_alter_table('supplement_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplement_pauses_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('work_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lane', sa.String(length=60), nullable=True),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['accounts.id'], name=op.f('fk_work_items_assignee_id_accounts')),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['accounts.id'], name=op.f('fk_work_items_claimed_by_id_accounts')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['accounts.id'], name=op.f('fk_work_items_completed_by_id_accounts')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_work_items_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_work_items_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_items')),
    sa.UniqueConstraint('dossier_id', 'task_id', name=op.f('uq_work_items_dossier_id'))
    )
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_items_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index('ix_work_items_queue', ['state', 'role', 'unit_id', 'due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_constraint('fk_procedures_published_version', type_='foreignkey')
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_queue')
        batch_op.drop_index(batch_op.f('ix_work_items_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_work_items_assignee_id'))

    op.drop_table('work_items')
    with op.batch_alter_table('supplement_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplement_pauses_dossier_id'))

    op.drop_table('supplement_pauses')
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_records_dossier_id'))

    op.drop_table('step_records')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_dossier_id'))

    op.drop_table('documents')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))

    op.drop_table('audit_log')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_status'))
        batch_op.drop_index(batch_op.f('ix_dossiers_receiving_unit_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_procedure_version_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_handling_unit_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_due_at'))
        batch_op.drop_index(batch_op.f('ix_dossiers_applicant_id'))

    op.drop_table('dossiers')
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_assignments_account_id'))

    op.drop_table('role_assignments')
    with op.batch_alter_table('procedure_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_versions_procedure_id'))

    op.drop_table('procedure_versions')
    op.drop_table('dossier_code_counters')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_account_id'))

    op.drop_table('api_tokens')
    op.drop_table('units')
    op.drop_table('procedures')
    op.drop_table('accounts')
