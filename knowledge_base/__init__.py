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


def init_app(app, csrf) -> None:
    """Register the API blueprint and the ``kb`` commands. Nothing is opened here."""
    from .cli import kb_cli
    from .views import bp

    csrf.exempt(bp)  # bearer tokens only, like every API blueprint
    app.register_blueprint(bp)
    app.cli.add_command(kb_cli)
