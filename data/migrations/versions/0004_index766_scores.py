"""Chỉ số 766: scores, portal code mapping, the score store; portal captures; on-time count

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COMPONENTS = ("total", "ckmb", "tdgq", "clgq", "tttt", "mdhl", "mdsh")


def upgrade() -> None:
    with op.batch_alter_table('dossier_stat') as batch_op:
        batch_op.add_column(sa.Column('in_time_total', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('load_batch') as batch_op:
        batch_op.add_column(sa.Column('capture_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('as_of', sa.Date(), nullable=True))
    op.create_table(
        'score_stat',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('source_ref', sa.Text(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('scope', sa.String(length=5), nullable=False),
        sa.Column('period_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('portal_code', sa.String(length=30), nullable=True),
        *[sa.Column(c, sa.Float(), nullable=True) for c in COMPONENTS],
        *[sa.Column(f'max_{c}', sa.Float(), nullable=True) for c in COMPONENTS],
        sa.Column('portal_rank', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['load_batch.id'], name='fk_score_stat_batch_id_load_batch',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_score_stat_unit_id_unit'),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name='fk_score_stat_agency_id_agency'),
        sa.ForeignKeyConstraint(['period_id'], ['period.id'], name='fk_score_stat_period_id_period'),
        sa.PrimaryKeyConstraint('id', name='pk_score_stat'),
    )
    op.create_index('ix_score_stat_unit_period', 'score_stat', ['unit_id', 'period_id'])
    op.create_index('ix_score_stat_batch', 'score_stat', ['batch_id'])
    op.create_table(
        'portal_unit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scheme', sa.String(length=10), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('level', sa.String(length=12), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('name_seen', sa.String(length=300), nullable=False),
        sa.Column('matched', sa.String(length=12), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_portal_unit_unit_id_unit'),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name='fk_portal_unit_agency_id_agency'),
        sa.PrimaryKeyConstraint('id', name='pk_portal_unit'),
        sa.UniqueConstraint('scheme', 'code', name='uq_portal_unit_scheme_code'),
    )
    op.create_table(
        'agg_score',
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('key', sa.Integer(), nullable=False),
        sa.Column('scheme', sa.String(length=10), nullable=False),
        sa.Column('parent', sa.Integer(), nullable=False),
        sa.Column('province', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('batches', sa.Text(), nullable=False),
        sa.Column('period_kind', sa.String(length=12), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('dataset', sa.String(length=5), nullable=False),
        *[sa.Column(c, sa.Float(), nullable=True) for c in COMPONENTS],
        *[sa.Column(f'max_{c}', sa.Float(), nullable=True) for c in COMPONENTS],
        *[sa.Column(f'rank_{c}', sa.Integer(), nullable=True) for c in COMPONENTS],
        sa.Column('rank_of', sa.Integer(), nullable=True),
        sa.Column('portal_rank', sa.Integer(), nullable=True),
        sa.Column('prev_total', sa.Float(), nullable=True),
        sa.Column('prev_rank', sa.Integer(), nullable=True),
        sa.Column('prev_as_of', sa.Date(), nullable=True),
        sa.Column('prev_label', sa.String(length=100), nullable=True),
        sa.UniqueConstraint('key', 'level', 'period_start', 'period_end', name='uq_agg_score_key'),
    )
    op.create_index('ix_agg_score_within', 'agg_score', ['level', 'province', 'period_end'])


def downgrade() -> None:
    op.drop_index('ix_agg_score_within', table_name='agg_score')
    op.drop_table('agg_score')
    op.drop_table('portal_unit')
    op.drop_index('ix_score_stat_batch', table_name='score_stat')
    op.drop_index('ix_score_stat_unit_period', table_name='score_stat')
    op.drop_table('score_stat')
    with op.batch_alter_table('load_batch') as batch_op:
        batch_op.drop_column('as_of')
        batch_op.drop_column('capture_key')
    with op.batch_alter_table('dossier_stat') as batch_op:
        batch_op.drop_column('in_time_total')
