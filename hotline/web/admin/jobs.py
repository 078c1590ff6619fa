"""Failed background jobs (失败任务): rq's failed registry with Redis, the inline failures
table without it (the embedded default), each with a retry."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from ...core import clock
from ...core.redis import get_redis
from ...extensions import db
from ...ops import permissions, queries, services
from . import admin_required, bp, render

# What each job does, in words (the job's dotted path is shown small beside it).
JOB_LABELS = {
    "hotline.notifications.jobs.deliver": "发送消息",
    "hotline.notifications.jobs.requeue_stuck": "重发滞留消息",
    "hotline.sla.jobs.sweep": "时限巡检（预警、黄牌、红牌）",
    "hotline.supervision.jobs.deliver": "推送电子监察系统",
    "hotline.supervision.jobs.requeue_stuck": "重推滞留的电子监察记录",
    "hotline.reports.topics_terms.write_terms": "提取工单关键词",
    "hotline.reports.topics_terms.backfill_job": "补提工单关键词",
    "hotline.reports.topics_spikes.detect_job": "热点突增检测",
    "hotline.reports.topics_snapshots.refresh_job": "热点快照更新",
    "hotline.reports.bulletins.check_published": "核对已发布通报",
    "knowledge_base.tasks.index_articles": "更新知识库索引",
    "knowledge_base.tasks.reindex": "重建知识库索引",
    "knowledge_base.tasks.flag_review_due": "标记到期复核的知识条目",
    "knowledge_base.tasks.embed_missing": "补算知识条目向量",
}
QUEUE_LABELS = {
    "default": "常规",
    "notifications": "消息发送",
    "escalation": "时限与督办",
    "search_index": "工单检索索引",
    "kb_vectors": "知识库向量",
}
SOURCE_LABELS = {"rq": "任务队列（Redis）", "inline": "内置模式"}


@bp.get("/jobs", endpoint="jobs")
@admin_required
def list_jobs():
    return render(
        "admin/jobs.html",
        items=queries.failed_jobs(200),
        redis=get_redis() is not None,
        jobs=JOB_LABELS,
        queues=QUEUE_LABELS,
        sources=SOURCE_LABELS,
    )


@bp.post("/jobs/<source>/<job_id>/retry")
@admin_required
def retry_job(source, job_id):
    """Run the job again (jobs are idempotent: what was done already is not done twice)."""
    if not permissions.can_retry_failed_jobs(current_user):
        abort(403)
    now = clock.now()
    if source == "inline":
        row = queries.inline_failure(job_id)
        if row is None:
            abort(404)
        services.retry_inline(row, actor=current_user, now=now)
    elif source == "rq":
        failure = queries.rq_failure(job_id)
        if failure is None:
            abort(404)
        services.retry_rq(failure, actor=current_user, now=now)
    else:
        abort(404)
    db.session.commit()  # the job is submitted after this commit
    flash("已重新提交任务；如再次失败，会重新出现在列表中。", "success")
    return redirect(url_for("web_admin.jobs"), 303)
