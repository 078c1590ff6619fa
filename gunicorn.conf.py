"""gunicorn's settings for this product, read from the working directory by default
(``gunicorn wsgi:app``; command-line options still override).

Each worker loads what the knowledge base's first search would wait for (jieba, the index,
the semantic model and the article vectors: ``knowledge_base.warmup``) after it is forked
and before it takes requests, so a worker that restarts in the middle of a shift never makes
an operator wait for a model to load.
"""


def post_worker_init(worker):
    from knowledge_base.warmup import warm_up_before_serving

    warm_up_before_serving(worker.wsgi)
