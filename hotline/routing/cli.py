"""`flask --app wsgi routing ...`: the dispatch suggestions' model."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core import clock
from ..extensions import db

routing_cli = AppGroup("routing", help="Dispatch suggestions: train and inspect the model.")


@routing_cli.command("train")
@click.option("--force", is_flag=True, help="Train even when the history did not change since the last model.")
def train_command(force):
    """Train the dispatch suggestions on the closed tickets and returns, and store the model."""
    from . import services

    row = services.retrain(now=clock.now(), trained_by="command", force=force)
    db.session.commit()
    if row is None:
        click.echo("没有新的历史工单，模型未重新训练（--force 强制训练）。")
        return
    click.echo(
        f"模型 {row.id}：{row.examples} 条样本，{row.categories} 个分类，{row.units} 个单位，"
        f"训练 {row.train_seconds:.1f} 秒，模型 {len(row.payload) / 1024:,.0f} KB（存于数据库）。"
    )


@routing_cli.command("status")
def status_command():
    """The stored models, newest first."""
    from .models import SuggestionModel

    rows = db.session.execute(
        select(
            SuggestionModel.id,
            SuggestionModel.created_at,
            SuggestionModel.trained_by,
            SuggestionModel.examples,
            SuggestionModel.categories,
            SuggestionModel.units,
            SuggestionModel.train_seconds,
        ).order_by(SuggestionModel.id.desc())
    ).all()
    if not rows:
        click.echo("还没有训练过的模型：派单建议只给出派单目录（分类默认主办单位）。")
    for r in rows:
        click.echo(
            f"{r.id}\t{clock.isoformat(r.created_at)}\t{r.trained_by}\t{r.examples} 条\t"
            f"{r.categories} 分类\t{r.units} 单位\t{r.train_seconds:.1f} 秒"
        )
