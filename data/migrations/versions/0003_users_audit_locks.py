"""users, scopes, audit log, period locks; who loaded a batch and who set a target

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 15:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'app_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('password_changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_app_user'),
        sa.UniqueConstraint('name', name='uq_app_user_name'),
    )
    op.create_table(
        'user_unit',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_user_unit_user_id_app_user',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_user_unit_unit_id_unit'),
        sa.PrimaryKeyConstraint('user_id', 'unit_id', name='pk_user_unit'),
    )
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_name', sa.String(length=80), nullable=True),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_audit_log'),
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'])
    op.create_index('ix_audit_log_action_at', 'audit_log', ['action', 'at'])
    op.create_table(
        'period_lock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('locked_by', sa.String(length=80), nullable=False),
        sa.Column('locked_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_period_lock_unit_id_unit'),
        sa.PrimaryKeyConstraint('id', name='pk_period_lock'),
    )
    op.create_index('ix_period_lock_unit', 'period_lock', ['unit_id'])
    with op.batch_alter_table('load_batch') as batch_op:
        batch_op.add_column(sa.Column('loaded_by', sa.String(length=80), nullable=True))
    with op.batch_alter_table('target') as batch_op:
        batch_op.add_column(sa.Column('set_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('set_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('target') as batch_op:
        batch_op.drop_column('set_at')
        batch_op.drop_column('set_by')
    with op.batch_alter_table('load_batch') as batch_op:
        batch_op.drop_column('loaded_by')
    op.drop_index('ix_period_lock_unit', table_name='period_lock')
    op.drop_table('period_lock')
    op.drop_index('ix_audit_log_action_at', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('user_unit')
    op.drop_table('app_user')
