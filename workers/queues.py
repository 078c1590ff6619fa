"""The queues and the worker factory."""

from __future__ import annotations

from flask import Flask
from rq import Queue, SimpleWorker, Worker

from hotline.core.jobs import QUEUES
from hotline.core.redis import get_redis

from .context import AppJob, bind_app


def queues(app: Flask, names: tuple[str, ...] | list[str] = ()) -> list[Queue]:
    redis = get_redis(app)
    if redis is None:
        raise RuntimeError("HOTLINE_REDIS_URL is not set: jobs run inline, no worker is needed")
    names = tuple(names) or QUEUES
    unknown = [n for n in names if n not in QUEUES]
    if unknown:
        raise ValueError(f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(QUEUES)}")
    return [Queue(name, connection=redis, job_class=AppJob) for name in names]


def make_worker(app: Flask, names=(), *, simple: bool = False, name: str | None = None) -> Worker:
    """A worker bound to ``app``; ``simple`` runs jobs in-process (tests, debugging)."""
    bind_app(app)
    qs = queues(app, names)
    if "search_index" in [q.name for q in qs]:
        # Load jieba and its dictionaries once here, before rq forks a work-horse per job.
        from knowledge_base.indexing import get_index

        get_index(app)
    if "default" in [q.name for q in qs] and not simple:
        # Every intake queues its ticket's terms (hot topics) here: jieba and its IDF table,
        # loaded in the work-horse, took over a second of CPU per job (bench/load.py); loaded
        # once here, before rq forks a work-horse per job, a job takes milliseconds.
        from hotline.reports.topics_lexicon import analyse

        with app.app_context():
            analyse("市民来电反映噪音扰民")
    if "kb_vectors" in [q.name for q in qs]:
        from knowledge_base import vectors
        from knowledge_base.search import semantic

        # Embedding is CPU-bound for minutes: below the web processes, whose searches come
        # first (the work-horses inherit it). A simple worker runs jobs in the calling
        # process (tests, debugging), whose priority is left alone.
        if not simple:
            vectors.lower_priority(app)
        if app.config.get("KB_SEMANTIC"):
            semantic.available()  # the model too (its threads start on first use, in the horse)
    cls = SimpleWorker if simple else Worker
    return cls(qs, connection=get_redis(app), job_class=AppJob, name=name)
