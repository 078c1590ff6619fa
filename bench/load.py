"""A big city's peak, held: an open-loop mixed load on two web hosts and their workers, one
host and one worker killed in the middle, then the database checked for lost or doubled writes.

    .venv/bin/python bench/load.py                                # the 1,000,000-ticket city (bench/city.py)
    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/mycity \\
        --redis-url redis://127.0.0.1:6392/0 --step-seconds 20 --minutes 1
    .venv/bin/python bench/load.py --rate 120 --minutes 10        # skip the search, hold 120 requests/s

The city: bench/city.py's database hotline_bench_city (built, or re-used, by ``build_city``),
or an existing city named by ``--database-url`` (built by bench/city.py; this bench adds
tickets and events to it). Its users sign in with the password ``bench-12345``.

Two "hosts" on this machine, sharing only PostgreSQL and Redis as the README's deployment
describes: each a gunicorn (production configuration, ``--workers`` × ``--threads``
gthread, the repository's gunicorn.conf.py) with its own ``HOTLINE_DATA_DIR``, an rq worker
(``default notifications escalation``) and a ``scheduler`` (the leader lock lets one of the
two enqueue the minute's deadline sweep; the workers run it). One reverse proxy in front is
assumed: ``HOTLINE_TRUSTED_PROXIES=1`` and each citizen's Open311 read carries an address of
its own in ``X-Forwarded-For`` (Open311's per-address limit would otherwise refuse the load).

The load is open-loop: arrivals are a Poisson process at the rate asked, each drawn as one
kind of request by ``--weights``, independent of the answers; a request's latency counts
from its scheduled time, so a client that falls behind shows as latency, never as a lower
rate. Requests alternate between the live hosts (the load balancer). The kinds (default
weights: a big city's peak of 20 intakes/s and ten times that in page views, in requests/s):

    intake            POST /api/v1/tickets as an operator (an Idempotency-Key; a content tag of its own)
    kb-search         GET /api/v1/kb/search?q= (a phrase of a ticket)
    kb-suggest        POST /api/v1/kb/suggest (a ticket's whole text)
    dispatch-suggest  POST /api/v1/dispatch/suggest (a ticket's text)
    page-operator     web pages as an operator: ticket pages, the list, a search, the start page
    page-dispatcher   the dispatch queues, ticket pages, the start page
    page-unit         unit staff of several units: their inboxes, their tickets' pages, the start page
    page-supervisor   lists, ticket pages, the start page
    submit dispatch accept reply callback
                      the actions, each on a ticket in the right state: the city's open tickets
                      (of the --units units with the most held tickets) and the tickets the run
                      moves along (intake → submit → dispatch → accept → reply → callback)
    open311           GET /open311/v2/requests.json (public, per citizen address)

1. The search (unless --rate): steps of --step-seconds at rising rates (from --start-rate,
   ×--step-factor), until a step has an error or a p99 of 300 ms or more; the found rate is
   the last step that held.
2. The hold: --minutes at --rate (default: the found rate). At the middle, the second host's
   gunicorn (master and workers) and its rq worker are killed with SIGKILL; from then on every
   request goes to the first host. Requests in flight on the killed host are errors, never
   acknowledged.
3. The checks, in the database: every acknowledged intake (2xx, its number) is there once and
   its content tag once; every acknowledged action has its event once (ticket, action, user);
   no event doubled in the run (same ticket, action, states, actor, deadline point); no
   deadline point (warning, overdue, red) and no card recorded twice.

Printed: per phase the throughput, p50/p95/p99 and errors per kind, how late the client
started requests, the load average, and the CPU used by the client, each host, the workers
and schedulers, PostgreSQL (from /proc).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import queue
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import psycopg  # noqa: E402
from intake import free_port, percentile, wait_until_serving  # noqa: E402

PASSWORD = "bench-12345"
TARGET_P99_MS = 300.0
IDLE_SECONDS = 1.0  # below gunicorn's keepalive (2 s)
ACTIONS = ("submit", "dispatch", "accept", "reply", "callback")
# Requests per second at a big city's peak (issue 24): 20 intakes, ten times that in page views.
DEFAULT_WEIGHTS = {
    "intake": 20,
    "kb-search": 10,
    "kb-suggest": 5,
    "dispatch-suggest": 5,
    "page-operator": 80,
    "page-dispatcher": 30,
    "page-unit": 70,
    "page-supervisor": 20,
    "submit": 6,
    "dispatch": 6,
    "accept": 6,
    "reply": 5,
    "callback": 5,
    "open311": 10,
}
WORDS = ("噪音", "停水", "物业", "社保", "供暖", "路灯", "垃圾", "停车", "医保", "拖欠工资", "装修", "公交")


# -- the hosts --------------------------------------------------------------------------------


@dataclass
class Host:
    name: str
    port: int
    data_dir: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    alive: bool = True


def start_host(name: str, env: dict, args, logs: Path) -> Host:
    data_dir = tempfile.mkdtemp(prefix=f"hotline-load-{name}-")
    env = {**env, "HOTLINE_DATA_DIR": data_dir}
    port = free_port()
    host = Host(name, port, data_dir)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    commands = {
        "web": [
            *(sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", args.worker_class),
            *("--threads", str(args.threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"),
        ],
        "worker": [*flask, "worker", "default", "notifications", "escalation", "--name", f"load-{name}-{port}"],
        "scheduler": [*flask, "scheduler"],
    }
    # A new host builds its knowledge-base index (a cache of the database) before it joins
    # the balancer; left to the first search, 27,413 articles took the host's CPU for minutes
    # of the measured load.
    started = time.perf_counter()
    with open(logs / f"{name}-reindex.log", "w") as out:
        subprocess.run([*flask, "kb", "reindex"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    print(f"host {name}: knowledge-base index built in {time.perf_counter() - started:.0f} s", flush=True)
    for role, command in commands.items():
        out = open(logs / f"{name}-{role}.log", "w")  # noqa: SIM115 (kept open for the process's life)
        # A session of its own: the process and its children (gunicorn's workers, rq's work
        # horses) are killed together.
        host.processes[role] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    what = f"host {name}: gunicorn (see {logs / f'{name}-web.log'})"
    wait_until_serving(host.processes["web"], port, seconds=120, what=what)
    return host


def kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def stop_host(host: Host) -> None:
    for process in host.processes.values():
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                kill(process)
    shutil.rmtree(host.data_dir, ignore_errors=True)  # the logs stay


def cpu_by_group(groups: dict[str, set[int]]) -> dict[str, int]:
    """CPU ticks so far (user + system, children reaped included) of each group of sessions,
    of PostgreSQL's and Redis's processes and of this process."""
    ticks: dict[str, int] = defaultdict(int)
    owner = {sid: name for name, sids in groups.items() for sid in sids}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = sum(int(x) for x in fields[11:15])
        session = int(fields[3])
        if int(pid) == os.getpid():
            ticks["client"] += int(fields[11]) + int(fields[12])
        elif session in owner:
            ticks[owner[session]] += used
        elif comm.startswith("postgres"):
            ticks["PostgreSQL (all databases)"] += used
        elif comm.startswith("redis"):
            ticks["Redis"] += used
    return ticks


# -- the city's users and tickets -------------------------------------------------------------


class Pools:
    """Tickets waiting for each action, as (number, unit code); thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.waiting = {action: deque() for action in ACTIONS}

    def put(self, action: str, item) -> None:
        with self.lock:
            self.waiting[action].append(item)

    def take(self, action: str):
        with self.lock:
            return self.waiting[action].popleft() if self.waiting[action] else None

    def sizes(self) -> str:
        return " ".join(f"{a} {len(q)}" for a, q in self.waiting.items())


NEXT = {"submit": "dispatch", "dispatch": "accept", "accept": "reply", "reply": "callback"}


class City:
    def __init__(self, conninfo: str, units: int, rng: random.Random):
        self.rng = rng
        with psycopg.connect(conninfo) as conn:
            one = lambda sql, *p: conn.execute(sql, p).fetchone()[0]  # noqa: E731
            rows = conn.execute(
                "SELECT u.code FROM tickets t JOIN units u ON u.id = t.lead_unit_id "
                "WHERE t.status IN ('dispatched', 'accepted') GROUP BY u.code ORDER BY count(*) DESC, u.code LIMIT %s",
                (units,),
            ).fetchall()
            self.units = [r[0] for r in rows]
            if len(self.units) < units:  # a small city: more units from the list
                more = conn.execute(
                    "SELECT code FROM units WHERE code <> ALL(%s) AND is_active ORDER BY id LIMIT %s",
                    (self.units, units - len(self.units)),
                ).fetchall()
                self.units += [r[0] for r in more]
            self.staff = {code: code.lower() for code in self.units}
            self.operators = [r[0] for r in conn.execute("SELECT username FROM users WHERE role = 'operator'")]
            self.dispatchers = [r[0] for r in conn.execute("SELECT username FROM users WHERE role = 'dispatcher'")]
            self.supervisors = [r[0] for r in conn.execute("SELECT username FROM users WHERE role = 'supervisor'")]
            last = one("SELECT max(id) FROM tickets")
            # Recent tickets: what people open (numbers, texts, categories).
            recent = conn.execute(
                "SELECT t.number, t.content, c.code, u.code FROM tickets t JOIN categories c ON c.id = t.category_id "
                "LEFT JOIN units u ON u.id = t.lead_unit_id WHERE t.id > %s ORDER BY t.id DESC LIMIT 5000",
                (last - 20000,),
            ).fetchall()
            self.numbers = [r[0] for r in recent]
            self.texts = [r[1] for r in recent if r[1]]
            self.categories = sorted({r[2] for r in recent})
            self.unit_tickets = defaultdict(list)
            for code in self.units:
                self.unit_tickets[code] = [
                    r[0]
                    for r in conn.execute(
                        "SELECT t.number FROM tickets t JOIN units u ON u.id = t.lead_unit_id "
                        "WHERE u.code = %s ORDER BY t.id DESC LIMIT 50",
                        (code,),
                    )
                ]
            self.open = conn.execute(
                "SELECT t.number, t.status, u.code FROM tickets t LEFT JOIN units u ON u.id = t.lead_unit_id "
                "WHERE t.status IN ('new', 'pending_dispatch', 'returned', 'dispatched', 'accepted', 'replied') "
                "AND (t.status IN ('new', 'pending_dispatch', 'returned', 'replied') OR u.code = ANY(%s)) "
                "ORDER BY t.id DESC LIMIT 200000",
                (self.units,),
            ).fetchall()

    def fill(self, pools: Pools) -> None:
        action_of = {
            "new": "submit",
            "pending_dispatch": "dispatch",
            "returned": "dispatch",
            "dispatched": "accept",
            "accepted": "reply",
            "replied": "callback",
        }
        rows = list(self.open)
        self.rng.shuffle(rows)
        for number, status, unit in rows:
            pools.put(action_of[status], (number, unit))


class Session:
    """A signed-in user: an API token and/or a web session cookie (valid on every host)."""

    def __init__(self):
        self.tokens: dict[str, str] = {}
        self.cookies: dict[str, str] = {}

    def sign_in(self, port: int, users: set[str], web: set[str]) -> None:
        for user in sorted(users):
            status, body, _ = raw(port, "POST", "/api/v1/auth/token", {"username": user, "password": PASSWORD})
            if status != 200:
                raise RuntimeError(f"{user} could not sign in: {status} {body[:200]!r}")
            self.tokens[user] = json.loads(body)["token"]
        for user in sorted(web):
            status, body, cookies = raw(port, "GET", "/login")
            csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
            form = f"csrf_token={csrf.group(1).decode()}&username={user}&password={PASSWORD}".encode()
            status, body, cookies = raw(
                port,
                "POST",
                "/login",
                form,
                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies},
            )
            if status != 302:
                raise RuntimeError(f"{user} could not sign in on the web: {status}")
            self.cookies[user] = cookies


def raw(port: int, method: str, path: str, body=None, headers=None):
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    cookies = "; ".join(c.split(";", 1)[0] for k, c in response.getheaders() if k.lower() == "set-cookie")
    conn.close()
    return response.status, data, cookies


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    host: str
    scheduled: float
    started: float
    finished: float
    status: int  # 0: no answer (connection refused or cut)
    note: str = ""


class Load:
    def __init__(self, city: City, session: Session, pools: Pools, hosts: list[Host], run: str, seed: int):
        self.city, self.session, self.pools, self.hosts, self.run = city, session, pools, hosts, run
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.counter = 0
        self.acked_intakes: list[tuple[str, str]] = []  # (number, tag)
        self.acked_actions: list[tuple[str, str, str]] = []  # (number, action, user)
        self.unanswered_writes = 0
        self.next_host = 0
        self.local = threading.local()

    # Each request: (method, path, body, headers, after) or None (no ticket in that state).
    def make(self, kind: str, rng: random.Random):
        city = self.city
        if kind == "intake":
            with self.rng_lock:
                self.counter += 1
                i = self.counter
            tag = f"LD{self.run}-{i}"
            text = rng.choice(city.texts)[:400]
            body = {
                "caller_phone": f"13{rng.randrange(10**9):09d}",
                "request_type": rng.choice(("consultation", "complaint", "help", "suggestion")),
                "category": rng.choice(city.categories),
                "channel": "phone",
                "content": f"{text}（{tag}）",
            }
            headers = self.api(rng.choice(city.operators))
            headers["Idempotency-Key"] = tag

            def after(data, tag=tag):
                number = json.loads(data)["number"]
                self.acked_intakes.append((number, tag))
                self.pools.put("submit", (number, None))

            return "POST", "/api/v1/tickets", body, headers, after
        if kind == "kb-search":
            text = rng.choice(city.texts)
            start = rng.randrange(max(1, len(text) - 12))
            query = text[start : start + rng.randint(4, 12)]
            from urllib.parse import quote

            return "GET", f"/api/v1/kb/search?q={quote(query)}", None, self.api(rng.choice(city.operators)), None
        if kind == "kb-suggest":
            body = {"text": rng.choice(city.texts)[:2000], "limit": 5}
            return "POST", "/api/v1/kb/suggest", body, self.api(rng.choice(city.operators)), None
        if kind == "dispatch-suggest":
            body = {"content": rng.choice(city.texts)[:2000]}
            return "POST", "/api/v1/dispatch/suggest", body, self.api(rng.choice(city.dispatchers)), None
        if kind == "open311":
            path = rng.choice(
                (
                    "/open311/v2/requests.json",
                    "/open311/v2/requests.json?status=open",
                    f"/open311/v2/requests/{rng.choice(city.numbers)}.json",
                )
            )
            forwarded = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            return "GET", path, None, {"X-Forwarded-For": forwarded}, None
        if kind.startswith("page-"):
            return self.page(kind[5:], rng)
        return self.action(kind, rng)

    def api(self, user: str) -> dict:
        return {"Authorization": f"Bearer {self.session.tokens[user]}"}

    def page(self, role: str, rng: random.Random):
        city = self.city
        web_units = [u for u in city.units if city.staff[u] in self.session.cookies]
        if role == "unit":
            unit = rng.choice(web_units)
            user = city.staff[unit]
            mine = city.unit_tickets[unit] or city.numbers
            paths = [f"/tickets/{rng.choice(mine)}"] * 3 + [
                "/tickets?status=dispatched",
                "/tickets?status=accepted",
                "/tickets",
                "/",
            ]
        else:
            user = {"operator": city.operators, "dispatcher": city.dispatchers, "supervisor": city.supervisors}[role][0]
            ticket = f"/tickets/{rng.choice(city.numbers)}"
            paths = {
                "operator": [ticket] * 3 + ["/tickets", f"/tickets?q={rng.choice(WORDS)}", "/"],
                "dispatcher": [ticket] * 3 + ["/tickets?status=pending_dispatch", "/tickets?status=returned", "/"],
                "supervisor": [ticket] * 3 + ["/tickets", "/tickets?type=complaint&status=accepted", "/"],
            }[role]
        path = rng.choice(paths)
        if "?q=" in path:
            from urllib.parse import quote

            path = "/tickets?q=" + quote(path.split("=", 1)[1])
        return "GET", path, None, {"Cookie": self.session.cookies[user]}, None

    def action(self, kind: str, rng: random.Random):
        city = self.city
        item = self.pools.take(kind)
        if item is None:
            return None
        number, unit = item
        if kind == "submit":
            user, body = rng.choice(city.operators), {}
        elif kind == "dispatch":
            unit = rng.choice(city.units)
            user, body = rng.choice(city.dispatchers), {"lead_unit": unit}
        elif kind in ("accept", "reply"):
            user = city.staff[unit]
            body = {} if kind == "accept" else {"content": "已按政策答复，请按指引办理。", "confirm_warnings": True}
        else:
            user, body = rng.choice(city.operators), {"satisfaction": "satisfied", "resolved": True}

        def after(data, number=number, unit=unit, user=user):
            self.acked_actions.append((number, kind, user))
            if kind in NEXT:
                self.pools.put(NEXT[kind], (number, unit))

        return "POST", f"/api/v1/tickets/{number}/{kind}", body, self.api(user), after

    def pick_host(self) -> Host:
        live = [h for h in self.hosts if h.alive]
        with self.rng_lock:
            self.next_host += 1
            return live[self.next_host % len(live)]

    def send(self, host: Host, request) -> tuple[int, bytes]:
        method, path, body, headers, _ = request
        headers = dict(headers)
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        # Keep-alive connections, one per thread and host, as a load balancer keeps them; one
        # idle for longer than gunicorn keeps it open (its keepalive, 2 s) is opened again
        # rather than found closed by the request (which would count as the server's error).
        conns = self.local.__dict__.setdefault("conns", {})
        conn, last_used = conns.get(host.port, (None, 0.0))
        if conn is not None and time.monotonic() - last_used > IDLE_SECONDS:
            conn.close()
            conn = None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conns.pop(host.port, None)
            raise
        conns[host.port] = (conn, time.monotonic())
        return response.status, data

    def phase(self, rate: float, seconds: float, weights: dict[str, float], *, at_middle=None, threads=96):
        """Arrivals at ``rate`` per second for ``seconds``; the results."""
        kinds = list(weights)
        cumulative = list(itertools.accumulate(weights.values()))
        results: list[Result] = []
        work: queue.Queue = queue.Queue()

        def worker(seed):
            rng = random.Random(seed)
            while True:
                item = work.get()
                if item is None:
                    return
                scheduled, kind = item
                request = self.make(kind, rng)
                if request is None:
                    results.append(Result(kind, "", scheduled, scheduled, scheduled, -1))
                    continue
                host = self.pick_host()
                started = time.perf_counter()
                try:
                    status, data = self.send(host, request)
                    note = "" if status < 400 else data[:160].decode("utf-8", "replace")
                except (OSError, http.client.HTTPException) as exc:
                    status, data, note = 0, b"", f"{type(exc).__name__}: {exc}"[:160]
                    if request[0] == "POST":
                        with self.rng_lock:
                            self.unanswered_writes += 1
                finished = time.perf_counter()
                if 200 <= status < 300 and request[4] is not None:
                    request[4](data)
                results.append(Result(kind, host.name, scheduled, started, finished, status, note))

        pool = [threading.Thread(target=worker, args=(self.rng.random(),), daemon=True) for _ in range(threads)]
        for t in pool:
            t.start()
        begin = time.perf_counter()
        t = begin
        fired = False
        while True:
            t += self.rng.expovariate(rate)
            if t - begin >= seconds:
                break
            if at_middle and not fired and t - begin >= seconds / 2:
                at_middle()
                fired = True
            delay = t - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            work.put((t, self.rng.choices(kinds, cum_weights=cumulative)[0]))
        for _ in pool:
            work.put(None)
        for thread in pool:
            thread.join(60)
        return results, time.perf_counter() - begin


def summarize(title: str, results: list[Result], wall: float, cpu: dict, loadavg) -> dict:
    done = [r for r in results if r.status != -1]
    skipped = defaultdict(int)
    for r in results:
        if r.status == -1:
            skipped[r.kind] += 1
    by_kind = defaultdict(list)
    for r in done:
        by_kind[r.kind].append(r)
    latency = lambda rs: [(r.finished - r.scheduled) * 1000 for r in rs]  # noqa: E731
    errors = [r for r in done if not 200 <= r.status < 400]
    all_ms = latency(done)
    p99 = percentile(all_ms, 99)
    late = [(r.started - r.scheduled) * 1000 for r in done]
    print(
        f"\n{title}: {len(done)} requests in {wall:.0f} s = {len(done) / wall:.1f} req/s, errors {len(errors)}, "
        f"p50 {percentile(all_ms, 50):.0f} ms, p99 {p99:.0f} ms; client started requests late by "
        f"p50 {percentile(late, 50):.1f} ms, p99 {percentile(late, 99):.1f} ms; load average "
        f"{loadavg[0]:.2f} {loadavg[1]:.2f} {loadavg[2]:.2f}"
    )
    print(f"  {'kind':<18}{'count':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}{'skipped':>9}")
    for kind in sorted(by_kind, key=lambda k: -len(by_kind[k])):
        rs = by_kind[kind]
        ms = latency(rs)
        bad = sum(1 for r in rs if not 200 <= r.status < 400)
        print(
            f"  {kind:<18}{len(rs):>7}{len(rs) / wall:>8.1f}{percentile(ms, 50):>8.0f}{percentile(ms, 95):>8.0f}"
            f"{percentile(ms, 99):>8.0f}{bad:>8}{skipped.get(kind, 0):>9}"
        )
    samples = defaultdict(list)
    for r in errors:
        samples[(r.kind, r.status, r.host)].append(r.note)
    for (kind, status, host), notes in sorted(samples.items()):
        print(f"  error: {kind} on host {host}, status {status or 'no answer'} ×{len(notes)}: {notes[0]}")
    if cpu:
        tick = os.sysconf("SC_CLK_TCK")
        share = "  ".join(f"{name} {ticks / tick / wall * 100:.0f}%" for name, ticks in sorted(cpu.items()))
        print(f"  CPU (% of one core): {share}")
    return {"p99": p99, "errors": len(errors), "rate": len(done) / wall}


def cpu_delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) - before.get(k, 0) > 0}


# -- the checks -------------------------------------------------------------------------------


def check(conninfo: str, load: Load, since: datetime) -> bool:
    problems = []
    with psycopg.connect(conninfo) as conn:
        numbers = [n for n, _ in load.acked_intakes]
        found = dict(
            conn.execute(
                "SELECT number, count(*) FROM tickets WHERE number = ANY(%s) GROUP BY number", (numbers,)
            ).fetchall()
        )
        missing = [n for n in numbers if n not in found]
        tags = defaultdict(int)
        for (content,) in conn.execute("SELECT content FROM tickets WHERE content LIKE %s", (f"%LD{load.run}-%",)):
            match = re.search(rf"LD{load.run}-(\d+)", content)
            tags[match.group(0)] += 1
        doubled_tags = [t for t, c in tags.items() if c > 1]
        lost_tags = [t for _, t in load.acked_intakes if tags.get(t, 0) != 1]
        print(
            f"\nChecks: {len(numbers)} acknowledged intakes: {len(numbers) - len(missing)} in the database, "
            f"{len(missing)} missing; {len(tags)} tickets of this run in all "
            f"({len(tags) - len(numbers)} recorded without an answer), {len(doubled_tags)} recorded twice"
        )
        if missing or lost_tags or doubled_tags:
            problems.append(
                f"intakes: missing {missing[:5]}, tags not once {lost_tags[:5]}, doubled {doubled_tags[:5]}"
            )
        actions = load.acked_actions
        counts = {
            (n, a, u): c
            for n, a, u, c in conn.execute(
                "SELECT t.number, e.action, u.username, count(*) FROM ticket_events e "
                "JOIN tickets t ON t.id = e.ticket_id JOIN users u ON u.id = e.actor_id "
                "WHERE e.at >= %s AND t.number = ANY(%s) GROUP BY 1, 2, 3",
                (since, sorted({n for n, _, _ in actions})),
            )
        }
        not_once = [(key, counts.get(key, 0)) for key in actions if counts.get(key, 0) != 1]
        per_action = defaultdict(int)
        for _, a, _ in actions:
            per_action[a] += 1
        print(
            f"  {len(actions)} acknowledged actions ({', '.join(f'{a} {n}' for a, n in sorted(per_action.items()))}): "
            f"{len(actions) - len(not_once)} with their event exactly once, {len(not_once)} not"
        )
        if not_once:
            problems.append(f"actions without their event exactly once: {not_once[:5]}")
        doubled_events = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM ticket_events WHERE at >= %s GROUP BY ticket_id, action, "
            "from_status, to_status, actor_id, data->>'deadline_id', data->>'point_at' HAVING count(*) > 1) d",
            (since,),
        ).fetchone()[0]
        events, system = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE actor_id IS NULL) FROM ticket_events WHERE at >= %s", (since,)
        ).fetchone()
        doubled_points = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM deadline_records GROUP BY deadline_id, kind HAVING count(*) > 1) d"
        ).fetchone()[0]
        points = dict(
            conn.execute("SELECT kind, count(*) FROM deadline_records WHERE recorded_at >= %s GROUP BY kind", (since,))
        )
        doubled_cards = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM cards WHERE voided_at IS NULL "
            "GROUP BY deadline_id, color HAVING count(*) > 1) d"
        ).fetchone()[0]
        print(
            f"  {events} events in the run ({system} by the deadline watch and jobs): {doubled_events} doubled; "
            f"deadline points recorded in the run: {dict(sorted(points.items())) or 'none'}, "
            f"{doubled_points} recorded twice (ever); {doubled_cards} cards doubled (ever)"
        )
        if doubled_events or doubled_points or doubled_cards:
            problems.append(f"doubled: events {doubled_events}, points {doubled_points}, cards {doubled_cards}")
    print("  " + ("OK: nothing lost, nothing doubled" if not problems else "PROBLEMS: " + "; ".join(problems)))
    return not problems


def server_errors(logs: Path) -> None:
    """The servers' unhandled exceptions (Flask logs "Exception on <path>" before a 500)."""
    for log in sorted(logs.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        failures = [
            line
            for line in lines
            if "Exception on " in line or "ERROR rq." in line or "was sent SIG" in line or "Fatal Python" in line
        ]
        if failures:
            print(f"  {log.name}: {len(failures)} unhandled exception(s), e.g. {failures[0][:200]}")


# -- main -------------------------------------------------------------------------------------


def parse_weights(text: str | None) -> dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS)
    for part in (text or "").split(","):
        if part.strip():
            kind, _, value = part.partition("=")
            if kind.strip() not in weights:
                raise SystemExit(f"--weights: unknown kind {kind!r} (kinds: {', '.join(weights)})")
            weights[kind.strip()] = float(value)
    return {k: v for k, v in weights.items() if v > 0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing city built by bench/city.py (default: hotline_bench_city)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4", help="the Redis both hosts share")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn's worker class (sync needs --threads 1)")
    parser.add_argument("--units", type=int, default=24, help="units whose staff take part (accept, reply, pages)")
    parser.add_argument("--weights", help="kind=weight,... over the defaults (0 drops a kind)")
    parser.add_argument("--rate", type=float, help="requests/s of the hold (default: the rate the search found)")
    parser.add_argument("--start-rate", type=float, default=20.0)
    parser.add_argument("--step-factor", type=float, default=1.4)
    parser.add_argument("--step-seconds", type=float, default=45.0)
    parser.add_argument("--max-steps", type=int, default=12)
    parser.add_argument("--minutes", type=float, default=10.0, help="the hold's length")
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="no host or worker killed in the hold")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="an environment variable for the hosts"
    )
    args = parser.parse_args(argv)
    weights = parse_weights(args.weights)
    peak = sum(DEFAULT_WEIGHTS.values())

    if args.database_url:
        url = args.database_url
    else:
        from city import build_city

        url = build_city().url
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    sa_url = conninfo.replace("postgresql://", "postgresql+psycopg://", 1)
    rng = random.Random(args.seed)
    city = City(conninfo, args.units, rng)
    pools = Pools()
    city.fill(pools)
    logs = Path(tempfile.mkdtemp(prefix="hotline-load-logs-"))
    env = {
        **os.environ,
        "HOTLINE_ENV": "production",
        "HOTLINE_SECRET_KEY": secrets.token_hex(32),
        "HOTLINE_DATABASE_URL": sa_url,
        "HOTLINE_REDIS_URL": args.redis_url,
        "HOTLINE_TRUSTED_PROXIES": "1",
        "HOTLINE_SESSION_COOKIE_SECURE": "false",
        "PYTHONFAULTHANDLER": "1",  # a crashed process's Python stack, in its log
    }
    env.update(item.split("=", 1) for item in args.env)
    print(
        f"load: {city.numbers and len(city.open)} open tickets of the city in the action pools ({pools.sizes()}); "
        f"{len(city.units)} units; peak mix {peak:.0f} requests/s "
        f"({DEFAULT_WEIGHTS['intake']} intakes/s, "
        f"{sum(v for k, v in DEFAULT_WEIGHTS.items() if k.startswith('page-'))} page views/s); "
        f"2 hosts × {args.workers} gunicorn worker(s) × {args.threads} threads; cores {os.cpu_count()}; logs {logs}"
    )
    hosts: list[Host] = []
    ok = False
    try:
        for name in ("A", "B"):
            hosts.append(start_host(name, env, args, logs))
        session = Session()
        staff = {city.staff[u] for u in city.units}
        users = set(city.operators) | set(city.dispatchers) | staff
        web = {city.operators[0], city.dispatchers[0], city.supervisors[0]} | {city.staff[u] for u in city.units[:8]}
        session.sign_in(hosts[0].port, users, web)
        run = secrets.token_hex(3)
        load = Load(city, session, pools, hosts, run, args.seed)

        def groups():
            web = {f"host {h.name} web": {h.processes["web"].pid} for h in hosts}
            return web | {"workers+schedulers": {p.pid for h in hosts for r, p in h.processes.items() if r != "web"}}

        since = datetime.now(UTC)
        load.phase(5, 10, weights)  # warm-up, not reported
        rate = args.rate
        if rate is None:
            rate, held = args.start_rate, None
            for _ in range(args.max_steps):
                before = cpu_by_group(groups())
                results, wall = load.phase(rate, args.step_seconds, weights)
                got = summarize(
                    f"Step at {rate:.0f} req/s",
                    results,
                    wall,
                    cpu_delta(before, cpu_by_group(groups())),
                    os.getloadavg(),
                )
                if got["errors"] or got["p99"] >= TARGET_P99_MS:
                    break
                held = rate
                rate *= args.step_factor
            if held is None:
                print(
                    f"\nFound: no rate held (p99 < {TARGET_P99_MS:.0f} ms, no error), not even "
                    f"{args.start_rate:.0f} requests/s; a big city's peak is {peak:.0f} requests/s. "
                    f"The hold runs at {args.start_rate:.0f}."
                )
                held = args.start_rate
            else:
                print(
                    f"\nFound: the two hosts hold {held:.0f} requests/s of this mix "
                    f"({held * weights.get('intake', 0) / sum(weights.values()):.1f} intakes/s) with p99 < "
                    f"{TARGET_P99_MS:.0f} ms and no error; a big city's peak is {peak:.0f} requests/s "
                    f"({held / peak:.0%} of it)"
                )
            rate = held

        killed_at = []

        def kill_one_host():
            victim = hosts[1]
            victim.alive = False
            killed_at.append(time.perf_counter())
            kill(victim.processes["web"])
            kill(victim.processes["worker"])
            print(f"  [{time.strftime('%H:%M:%S')}] killed host B's gunicorn and its rq worker (SIGKILL)")

        print(
            f"\nHold: {args.minutes:g} min at {rate:.0f} requests/s"
            f"{', host B killed at the middle' if args.kill else ''}"
        )
        before = cpu_by_group(groups())
        results, wall = load.phase(rate, args.minutes * 60, weights, at_middle=kill_one_host if args.kill else None)
        summarize("Hold", results, wall, cpu_delta(before, cpu_by_group(groups())), os.getloadavg())
        for name in ("A", "B"):
            mine = [r for r in results if r.host == name]
            print(f"  host {name}: {len(mine)} requests, {sum(1 for r in mine if not 200 <= r.status < 400)} errors")
        if killed_at:
            cut = [r for r in results if r.host == "B" and r.status == 0 and r.started <= killed_at[0] <= r.finished]
            after = [
                r for r in results if r.started > killed_at[0] + 0.5 and r.status != -1 and not 200 <= r.status < 400
            ]
            print(
                f"  the kill: {len(cut)} requests in flight on host B cut (errors, not acknowledged); "
                f"{len(after)} errors among the requests sent after it"
            )
        print(f"  writes sent without an answer (not acknowledged): {load.unanswered_writes}; pools: {pools.sizes()}")
        time.sleep(3)  # the after-commit jobs queued last
        ok = check(conninfo, load, since)
        server_errors(logs)
    finally:
        for host in hosts:
            stop_host(host)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
