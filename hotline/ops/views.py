"""Admin API for the background machinery: /api/v1/admin/jobs/failed."""

from __future__ import annotations

from flask import Blueprint

from ..api.auth import actor, require, token_required
from ..api.helpers import ok, query
from ..api.openapi import doc
from . import permissions, queries, schemas

bp = Blueprint("ops_api", __name__, url_prefix="/api/v1/admin")


@bp.get("/jobs/failed")
@doc(
    summary="Failed background jobs (rq's failed registry and inline failures)",
    tags=["admin"],
    query=schemas.FailedJobsQuery,
    response=schemas.FailedJobListOut,
    roles="admin",
)
@token_required
def failed_jobs():
    require(
        permissions.can_view_failed_jobs(actor()), "Only admins see failed jobs.", "只有系统管理员可以查看失败任务。"
    )
    params = query(schemas.FailedJobsQuery)
    return ok(schemas.FailedJobListOut(items=[schemas.failed_job_out(f) for f in queries.failed_jobs(params.limit)]))
