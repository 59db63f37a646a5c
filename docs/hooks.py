"""MkDocs hooks that keep the site true to the code (mkdocs.yml, `hooks:`).

* Pages generated from the code: `<!-- kuafu:settings -->` becomes the configuration
  reference (every field of `kuafu.server.Settings` and every other `KUAFU_*`
  environment variable the source reads), `<!-- kuafu:openapi -->` the HTTP API (the
  server's OpenAPI schema), `<!-- kuafu:cli -->` the `kuafu` command's help.
* Checks that make a strict build (`mkdocs build --strict`, `make docs`) fail: a public
  function, class or method of a documented module without a docstring, a setting
  without a description, an environment variable the source reads but no page names.

A warning on a `mkdocs.*` logger is what `--strict` turns into a failed build.
This file is not a page: `exclude_docs` in mkdocs.yml leaves it out of the site.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.kuafu")

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
API_PAGES = "reference/api/"


def on_pre_build(config: Any) -> None:
    for problem in undocumented(_documented_modules(Path(config.docs_dir))):
        log.warning("no docstring: %s", problem)


# ----- generated pages ---------------------------------------------------------------------
MARKERS = {
    "<!-- kuafu:settings -->": lambda: settings_reference(),
    "<!-- kuafu:openapi -->": lambda: openapi_reference(),
    "<!-- kuafu:cli -->": lambda: cli_reference(),
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    for marker, make in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown


def settings_reference() -> str:
    """A table of every `Settings` field (and its `KUAFU_*` variable), then the other
    `KUAFU_*` variables the source reads, from `ENVIRONMENT` below."""
    from kuafu.server import Settings

    prefix = Settings.model_config.get("env_prefix", "")
    flags = _serve_flags(Settings.model_fields)
    rows = ["| environment variable (setting) | type | default | meaning |",
            "| --- | --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        if not field.description:
            log.warning("setting %s has no description (Field(description=...))", name)
        flag = f" `kuafu serve {flags[name]}`" if name in flags else ""
        rows.append(f"| `{(prefix + name).upper()}` ({name}){flag} | {_type(field.annotation)} "
                    f"| {_default(field)} | {_cell(field.description or '')}"
                    f"{_constraints(field.metadata)} |")
    known = {(prefix + name).upper() for name in Settings.model_fields}
    other = ["", "Read elsewhere (the client, the test suite), not by `Settings`:", "",
             "| environment variable | read by | meaning |", "| --- | --- | --- |"]
    for var in sorted(_environment_variables() - known):
        if var not in ENVIRONMENT:
            log.warning("environment variable %s is read by the source but not documented "
                        "(docs/hooks.py ENVIRONMENT)", var)
            continue
        where, meaning = ENVIRONMENT[var]
        other.append(f"| `{var}` | {where} | {meaning} |")
    return "\n".join(rows + other) + "\n"


ENVIRONMENT = {
    "KUAFU_URL": ("client, CLI", "the server (else the `kuafu login` file, else "
                  "http://127.0.0.1:8000)"),
    "KUAFU_TOKEN": ("client, CLI", "the API token (else the `kuafu login` file)"),
    "KUAFU_CONFIG": ("client, CLI", "the file `kuafu login` writes (default: `config.json` "
                     "in the user's config directory)"),
    "KUAFU_COMPILER_THREADS": ("compiler", "threads the SABRE layout and routing trials run "
                               "on (default: the usable cores, at most 8; the server's "
                               "workers set 1); the output does not depend on it"),
    "KUAFU_TEST_POSTGRES": ("test suite", "PostgreSQL admin URL for the store tests "
                            "(default `postgresql://postgres@127.0.0.1:5432/test`)"),
    "KUAFU_TEST_CHROMIUM": ("test suite", "the Chromium the browser tests drive "
                            "(default `/usr/bin/chromium`)"),
    "KUAFU_QUAFU_VENV": ("test suite", "the virtual environment with pyquafu 0.4.5 "
                         "(default `.venv-quafu`, made by `scripts/ensure-pyquafu.sh`)"),
    "KUAFU_QUAFU_SDK_VENV": ("test suite", "the virtual environment with quafu-sdk 0.2.7 "
                             "(default `.venv-quafu-sdk`, `scripts/ensure-quafu-sdk.sh`)"),
    "KUAFU_TEST_SESSION": ("test suite", "set by the suite itself to find processes it "
                           "left behind"),
}


def _serve_flags(fields: dict[str, Any]) -> dict[str, str]:
    """Setting -> the `kuafu serve` option that sets it (`--database` sets database_url)."""
    from kuafu.cli.serve import serve

    flags = {}
    for param in serve.params:
        for name in (param.name, f"{param.name}_url"):
            if name in fields and param.opts:
                flags[name] = param.opts[0]
    return flags


def _environment_variables() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        found |= set(re.findall(r"[\"'](KUAFU_[A-Z0-9_]+)[\"']", path.read_text("utf-8")))
    for path in (ROOT / "tests").rglob("*.py"):
        found |= set(re.findall(r"environ(?:\.get)?\(?\[?[\"'](KUAFU_[A-Z0-9_]+)[\"']",
                                path.read_text("utf-8")))
    return {v for v in found if v != "KUAFU_"}


def _type(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return f"`{text.replace('typing.', '').replace('pathlib.', '')}`"


def _default(field: Any) -> str:
    if field.default_factory is not None:
        doc = (field.default_factory.__doc__ or "").strip().split("\n")[0]
        return _cell(doc or f"`{field.default_factory.__name__}()`")
    return "none" if field.default is None else f"`{field.default!r}`"


def _constraints(metadata: list[Any]) -> str:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    parts = [f"{sign} {getattr(m, key)}" for m in metadata for key, sign in words.items()
             if getattr(m, key, None) is not None]
    return f" ({', '.join(parts)})" if parts else ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def openapi_reference() -> str:
    """Every path of the server's OpenAPI schema with its parameters, body and answers,
    then every schema with its fields; `$ref`s become links."""
    from kuafu.server import Settings, create_app

    spec = create_app(Settings(database_url="sqlite://")).openapi()
    lines = [f"OpenAPI {spec['openapi']}, {spec['info']['title']} {spec['info']['version']}; "
             "the schema itself: `/api/v1/openapi.json` on a running server, and the "
             "interactive page `/api/v1/docs`.", ""]
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((path, method, op))
    for tag, ops in by_tag.items():
        lines += [f"## {tag}", ""]
        for path, method, op in ops:
            lines += _operation(path, method, op)
    lines += ["## Schemas", ""]
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        lines += _schema(name, schema)
    return "\n".join(lines) + "\n"


def _operation(path: str, method: str, op: dict) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    summary = op.get("description") or op.get("summary") or ""
    if summary:
        lines += [summary.strip(), ""]
    params = op.get("parameters", [])
    if params:
        lines += ["| parameter | in | type | required | description |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{p['name']}` | {p['in']} | {_schema_type(p.get('schema', {}))} | "
                  f"{'yes' if p.get('required') else 'no'} | "
                  f"{_cell(p.get('description', ''))} |" for p in params]
        lines.append("")
    body = op.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            lines += [f"Body (`{media}`): {_schema_type(content.get('schema', {}))}", ""]
    answers = [f"`{code}` {_cell(r.get('description', ''))}"
               + "".join(f": {_schema_type(c.get('schema', {}))}"
                         for c in r.get("content", {}).values() if c.get("schema"))
               for code, r in op.get("responses", {}).items()]
    if answers:
        lines += ["Answers: " + "; ".join(answers) + ".", ""]
    return lines


def _schema(name: str, schema: dict) -> list[str]:
    lines = [f"### {name} {{ #schema-{name.lower()} }}", ""]
    if schema.get("description"):
        lines += [_cell(schema["description"]), ""]
    if "enum" in schema:
        lines += ["One of " + ", ".join(f"`{json.dumps(v)}`" for v in schema["enum"]) + ".", ""]
    props = schema.get("properties", {})
    if props:
        required = set(schema.get("required", []))
        lines += ["| field | type | required | description |", "| --- | --- | --- | --- |"]
        lines += [f"| `{field}` | {_schema_type(p)} | {'yes' if field in required else 'no'} | "
                  f"{_cell(p.get('description', ''))} |" for field, p in props.items()]
        lines.append("")
    return lines


def _schema_type(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(_schema_type(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_schema_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_schema_type(schema['additionalProperties'])}"
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    return f"`{kind}`" if kind != "null" else "`null`"


def cli_reference() -> str:
    """`kuafu --help` and each subcommand's help, as click prints it."""
    import click

    from kuafu.cli.main import main

    lines: list[str] = []

    def walk(command: click.Command, path: list[str], parent: click.Context | None) -> None:
        ctx = click.Context(command, info_name=" ".join(path), parent=None,
                            terminal_width=90, max_content_width=90)
        level = "#" * min(len(path) + 1, 4)
        lines.extend([f"{level} `{' '.join(path)}`", "", "```text",
                      command.get_help(ctx).rstrip(), "```", ""])
        if isinstance(command, click.Group):
            for name in sorted(command.list_commands(ctx)):
                walk(command.get_command(ctx, name), [*path, name], ctx)

    walk(main, ["kuafu"], None)
    return "\n".join(lines) + "\n"


# ----- the docstring check -----------------------------------------------------------------
def _documented_modules(docs: Path) -> list[str]:
    """The modules the API reference renders (`::: name` lines)."""
    names = []
    for page in sorted((docs / API_PAGES).glob("*.md")):
        names += re.findall(r"^::: ([\w.]+)", page.read_text("utf-8"), flags=re.M)
    return names


def undocumented(modules: list[str], package_name: str = "kuafu",
                 search_path: Path = SRC) -> list[str]:
    """Public objects of `modules` without a docstring: every name in a module's
    `__all__` (or, without one, every public name it defines), and each public method,
    property and nested class of a public class. Dunder methods are exempt; `__init__`
    is documented by its class's `Args:`."""
    import griffe

    package = griffe.load(package_name, search_paths=[str(search_path)],
                          allow_inspection=False)
    seen: set[str] = set()
    missing: list[str] = []
    for name in modules:
        module = (package if name == package_name
                  else package[name.removeprefix(f"{package_name}.")])
        for obj in _public_members(module):
            _check(obj, missing, seen, package_name)
    return missing


def _public_members(module: Any) -> list[Any]:
    if module.exports is not None:
        names = [n if isinstance(n, str) else n.name for n in module.exports]
        return [module[n] for n in names if n in module.members]
    return [m for n, m in module.members.items()
            if not n.startswith("_") and not m.is_alias and not m.is_module]


def _check(obj: Any, missing: list[str], seen: set[str], root: str) -> None:
    try:
        target = obj.final_target if obj.is_alias else obj
    except Exception:  # an alias to another package (e.g. a re-exported pydantic name)
        return
    if target.path in seen or not target.path.startswith(root):
        return
    seen.add(target.path)
    if target.is_module or target.is_attribute:
        return
    if target.docstring is None or not target.docstring.value.strip():
        missing.append(target.path)
    if target.is_class:
        for name, member in target.members.items():
            if name.startswith("_") or member.is_alias:
                continue
            _check(member, missing, seen, root)
