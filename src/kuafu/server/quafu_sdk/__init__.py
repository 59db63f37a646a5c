"""today's QUAFU client, quafu-sdk 0.2.7, served beside Kuafu's own API under
`/api/v1` (docs/quafu.md).

`routes` holds the endpoints, `routing` decides which requests on a path the native API
shares are quafu-sdk's, `groups` maps quafu-sdk's jobs (groups of tasks: single,
collection, sweep, iterative) onto Kuafu's job rows and lifecycle, `devices` the targets
and calibrations, `errors` quafu-sdk's error bodies, `oauth` the browser login
(OAuth 2.0 authorization code with PKCE).
"""

from fastapi import APIRouter

from . import oauth
from .routes import router as sdk_router

sdk_router.include_router(oauth.api)

oauth_pages = APIRouter()
"""The browser login's pages: `/oauth/authorize`, `/oauth/code`, `/console/oauth/…`."""
oauth_pages.include_router(oauth.pages)
oauth_pages.include_router(oauth.console_pages)

__all__ = ["oauth_pages", "sdk_router"]
