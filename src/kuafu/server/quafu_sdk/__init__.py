"""today's QUAFU client, quafu-sdk 0.2.7, served beside Kuafu's own API under
`/api/v1` (docs/quafu.md).

`routes` holds the endpoints, `routing` decides which requests on a path the native API
shares are quafu-sdk's, `groups` maps quafu-sdk's jobs (groups of tasks: single,
collection, sweep, iterative) onto Kuafu's job rows and lifecycle, `devices` the targets
and calibrations, `errors` quafu-sdk's error bodies.
"""

from .routes import router as sdk_router

__all__ = ["sdk_router"]
