"""The knowledge base (知识库): articles with review and version history, and the Chinese
search operators use while the caller is on the line.

Wired into the app by :func:`init_app` (called from ``hotline.create_app``). It never
imports ``hotline.tickets``; tickets call :func:`knowledge_base.services.get_published`.
"""

from __future__ import annotations

import os

# Before any module of this package imports numpy (search scoring, vectors): numpy would
# otherwise start an OpenBLAS thread pool, whose threads and the semantic model's OpenMP
# ones then wait on each other, and embedding a question gets several times slower at p95
# on two cores (figures: README, "Benchmarks", "Figures behind the design").
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Before the semantic model's engine loads OpenMP: its threads sleep when they have nothing
# to do instead of spinning for a while, so an idle model takes no core from the web
# processes or the jobs beside it (figures: README, "Figures behind the design").
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def init_app(app) -> None:
    """Register the API blueprint, the ``kb`` commands, the periodic checks and the demo
    articles (from ``hotline.create_app``). Nothing is opened here."""
    from hotline.core.periodic import Periodic
    from hotline.core.wiring import register_api, register_cli, register_demo_section, register_periodic

    from . import changes
    from .cli import kb_cli
    from .views import bp

    changes.install()  # every change to an article moves the sequence hosts' indexes catch up from
    register_api(app, bp)  # bearer tokens only, like every API blueprint
    register_cli(app, kb_cli)
    register_periodic(
        app,
        # Articles past their review-by date are flagged for editors and their owner units
        # told: hourly, so a new day's due articles show within the hour (flagging or telling
        # twice adds nothing).
        Periodic(
            name="kb-review-due", path="knowledge_base.tasks.flag_review_due", every=3600, queue="default", timeout=300
        ),
        # Articles without a current semantic vector (a job lost, the model missing when they
        # changed, an import with --no-vectors) are queued for embedding: hourly.
        Periodic(
            name="kb-embed-missing",
            path="knowledge_base.tasks.embed_missing",
            every=3600,
            queue="kb_vectors",
            timeout=300,
        ),
    )
    register_demo_section(app, "knowledge_base.demo.seed_knowledge_base")
    from . import warmup

    warmup.install(app)
