"""Reading the code blocks of a documentation page, as `test_examples.py` runs them.

A page is a list of fenced blocks, in order:

* ` ```python ` runs; a ` ```text ` block right after it is what it prints (compared as
  doctest does, `...` standing for text that varies from run to run);
* ` ```python title="with pyquafu" ` / ` title="with quafu-sdk" ` runs in that SDK's own
  virtual environment, as a Quafu user's script;
* ` ```console ` runs each `$ ` line in a shell; the lines under it (to the next `$ `)
  are what it prints, compared the same way;
* ` ```qasm title="NAME" ` (or any block with a title that names a file, such as
  `title="sweep.json"`) is written to the page's working folder as NAME before the
  blocks after it run;
* ` ```bash ` is shown, not run: it may only hold commands that install, build or start
  a long-running server (`SHOWN_ONLY`), which the tests do in their own way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>[^\n`]*)\n"
                   r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S)
SHOWN_ONLY = ("pip install", "make ", "kuafu serve", "git clone", "cd ", "python -m venv",
              "dask ", "alembic ", "pg_dump", "pg_restore", "sqlite3 ", "systemctl",
              "kuafu admin", "curl ", "export ", "#", "kuafu login",
              "python -m kuafu.backends.remote", "/opt/kuafu/bin/pip")
"""Commands a `bash` block may show without running them."""


@dataclass
class Block:
    lang: str
    title: str | None
    body: str
    line: int

    @property
    def where(self) -> str:
        return f"line {self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        info = match["info"].strip()
        lang = info.split()[0].lstrip(".{") if info else ""
        title = re.search(r'title="([^"]*)"', info)
        indent = len(match["indent"])
        body = "\n".join(line[indent:] for line in match["body"].splitlines())
        found.append(Block(lang, title[1] if title else None, body + "\n",
                           text.count("\n", 0, match.start()) + 1))
    return found


def console_commands(body: str) -> list[tuple[str, str]]:
    """`(command, expected output)` for each `$ ` line of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return [(cmd, "\n".join(out).strip() + ("\n" if out else "")) for cmd, out in steps]
