"""`kuafu.server.testing.LiveServer` itself: it leaves no file of its own open."""

from __future__ import annotations

import gc
import warnings

from kuafu.server.testing import LiveServer


def test_live_server_closes_its_log_file(tmp_path):
    log = tmp_path / "server.log"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        server = LiveServer(f"sqlite:///{tmp_path / 'kuafu.db'}", workers=1, log=log,
                            log_level="info")
        with server:
            pass
        del server
        gc.collect()
    assert log.read_bytes(), "the server's output goes to the log"
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)
                and str(log) in str(w.message)]
