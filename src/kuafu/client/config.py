"""Where the client finds its server and token: arguments, environment, config file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import platformdirs

DEFAULT_URL = "http://127.0.0.1:8000"


def config_path() -> Path:
    """`KUAFU_CONFIG`, else `config.json` in the user's config directory."""
    override = os.environ.get("KUAFU_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("kuafu", appauthor=False)) / "config.json"


def load_config() -> dict[str, str]:
    """The url and token `kuafu login` saved (`config_path()`); empty when none."""
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("url", "token") and v}


def save_config(url: str, token: str) -> Path:
    """Write url and token for later sessions, readable by the user only."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps({"url": url, "token": token}, indent=2) + "\n")
    return path


def resolve(url: str | None, token: str | None) -> tuple[str, str | None]:
    """Arguments first, then `KUAFU_URL`/`KUAFU_TOKEN`, then the config file."""
    saved = load_config()
    url = url or os.environ.get("KUAFU_URL") or saved.get("url") or DEFAULT_URL
    token = token or os.environ.get("KUAFU_TOKEN") or saved.get("token")
    return url.rstrip("/"), token


def forget_token() -> tuple[Path, bool]:
    """Remove the saved token (the URL stays); returns the file and whether it held one."""
    path = config_path()
    saved = load_config()
    if "token" not in saved:
        return path, False
    path.write_text(json.dumps({k: v for k, v in saved.items() if k != "token"},
                               indent=2) + "\n")
    return path, True
