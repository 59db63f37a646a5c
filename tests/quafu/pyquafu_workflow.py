"""pyquafu's documented workflow, unmodified, against the server at argv[1] with token argv[2].

Run by tests/quafu/test_pyquafu.py in the pyquafu virtual environment (.venv-quafu), with
HOME pointing at a fresh directory and MPLBACKEND=Agg; prints one JSON object of what pyquafu saw.
"""

import contextlib
import io
import json
import sys
import time

from quafu import QuantumCircuit, Task, User
from quafu.exceptions import QuafuError

url, token = sys.argv[1], sys.argv[2]
out = {}

# Save the token and the server's address as pyquafu keeps them (~/.quafu/api).
user = User(api_token=token)
user.save_apitoken()
with open(user.token_dir + "api") as f:
    saved = json.load(f)
saved["url"] = url.rstrip("/") + "/"
with open(user.token_dir + "api", "w") as f:
    json.dump(saved, f)

user = User()  # loads token and url from the file, as a user's script does
backends = user.get_available_backends(print_info=False)
out["backends"] = {name: {"system_id": b.system_id, "qubits": b.qubit_num,
                          "status": b.status, "queued": b.task_in_queue,
                          "valid_gates": b.get_valid_gates()}
                   for name, b in backends.items()}

info = backends["ScQ-P10"].get_chip_info(user)
full = info["full_info"]
out["chip"] = {"mapping": {str(k): v for k, v in info["mapping"].items()},
               "couplers": len(full["topological_structure"]),
               "Q1_Q2": full["topological_structure"]["Q1_Q2"]["cz"]["fidelity"],
               "qubits_info": sorted(full["qubits_info"])}

task = Task()
task.config(backend="ScQ-P10", shots=2000, compile=True)


def bell():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cnot(0, 1)
    qc.measure([0, 1])
    return qc


def describe(res):
    return {"task_id": res.taskid, "name": res.taskname, "status": res.task_status,
            "counts": dict(res.counts), "probabilities": res.probabilities,
            "openqasm": res.transpiled_openqasm}


# Synchronous: send(wait=True) answers with the counts.
res = task.send(bell(), name="bell", wait=True)
out["sync"] = describe(res)
out["sync"]["zz"] = res.calculate_obs([0, 1])

# X on qubit 0 only: pyquafu's bit order puts qubit 0 (classical bit 0) leftmost.
qc = QuantumCircuit(3)
qc.x(0)
qc.measure([0, 1, 2])
out["x0"] = describe(task.send(qc, wait=True))

# Measured into classical bits in another order than the qubits.
qc = QuantumCircuit(2)
qc.x(1)
qc.measure([1, 0], [0, 1])
out["swapped_cbits"] = describe(task.send(qc, wait=True))

# Asynchronous sends in a group, then retrieve and retrieve_group.
ids = []
for i in range(3):
    sent = task.send(bell(), name=f"async-{i}", group="sweep")
    ids.append(sent.taskid)
    out.setdefault("async_status", []).append(sent.task_status)
with contextlib.redirect_stdout(io.StringIO()):
    for _ in range(600):
        group = task.retrieve_group("sweep", verbose=False)
        if len(group) == len(ids):
            break
        time.sleep(0.2)
out["group"] = [describe(r) for r in group]
out["retrieved"] = describe(task.retrieve(ids[0]))
out["history"] = task.get_history()

# submit with observables: <ZZ> and <XX> on a Bell state are +1, <Z0> is 0.
qc = bell()
with contextlib.redirect_stdout(io.StringIO()):
    results, expectations = task.submit(qc, [["ZZ", [0, 1]], ["XX", [0, 1]], ["Z", [0]]])
out["observables"] = {"values": [float(v) for v in expectations], "runs": len(results)}

# Errors reach the user as pyquafu's exceptions, with the server's message.
errors = {}
no_shots = Task()
no_shots.config(backend="ScQ-P10", shots=0)
for label, action in {
    "no_shots": lambda: no_shots.send(bell(), wait=True),
    "bad_token": lambda: Task(User(api_token="kf_not-a-token")),
}.items():
    try:
        action()
        errors[label] = None
    except QuafuError as exc:
        errors[label] = [type(exc).__name__, exc.message]
    except Exception as exc:  # report what pyquafu raised
        errors[label] = [type(exc).__name__, str(exc)]
out["errors"] = errors
unknown = task.retrieve("0" * 32)
out["unknown_task"] = {"status": unknown.task_status, "task_id": unknown.taskid}
print(json.dumps(out))
