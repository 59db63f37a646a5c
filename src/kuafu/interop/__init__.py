"""Bridges to other quantum SDKs, as optional extras that the core never needs.

* `kuafu.interop.qiskit` (`pip install kuafu-cloud[qiskit]`): circuits both ways, and
  `KuafuBackend`, a Qiskit `BackendV2` whose `Target` is built from a Kuafu chip, so
  `qiskit.transpile(qc, backend)` and `backend.run(qc, shots=...)` run on a local emulated
  chip or on a Kuafu server.
* `kuafu.interop.cirq` (`pip install kuafu-cloud[cirq]`): circuits both ways.

Importing `kuafu.interop` loads neither SDK; each submodule imports its own.
"""
