"""Check README.md and docs/*.md: every relative link or image resolves, every #anchor exists.

Run from the repository: `python3 scripts/check_docs.py`.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")


def anchors(path: pathlib.Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for line in path.read_text().split("\n"):
        m = re.match(r"#{1,6} (.*)", line)
        if m:
            heading = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(heading.replace(" ", "-"))
    return out


def main() -> int:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    checked = broken = 0
    for f in files:
        text = re.sub(r"```.*?```", "", f.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"https?:", target):
                continue
            checked += 1
            path, _, frag = target.partition("#")
            dest = (f.parent / path).resolve() if path else f
            if not dest.exists():
                print(f"{f.relative_to(ROOT)}: missing {target}")
                broken += 1
            elif frag and frag not in anchors(dest):
                print(f"{f.relative_to(ROOT)}: no anchor {target}")
                broken += 1
    print(f"{checked} links checked, {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
