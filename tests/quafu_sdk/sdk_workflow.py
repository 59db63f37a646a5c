"""quafu-sdk 0.2.7's documented workflow, unmodified, against the server named by
QUAFU_BASE_URL with the key in QUAFU_API_KEY (nothing else configured).

Run by tests/quafu_sdk/test_sdk.py in the SDK's virtual environment (.venv-quafu-sdk);
prints one JSON object of what the SDK saw.
"""

import json

import quafu

H = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
BELL = H + ("qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q[0] -> c[0];\n"
            "measure q[1] -> c[1];\n")
X0 = H + "qreg q[3];\ncreg c[3];\nx q[0];\nmeasure q -> c;\n"
SWAPPED = H + "qreg q[2];\ncreg c[2];\nx q[1];\nmeasure q[1] -> c[0];\nmeasure q[0] -> c[1];\n"
TEMPLATE = H + "qreg q[1];\ncreg c[1];\nrx({{theta}}) q[0];\nmeasure q[0] -> c[0];\n"
out = {}


def error(call):
    try:
        call()
    except quafu.QuafuError as e:
        return {"type": type(e).__name__, "code": e.code, "status": e.status,
                "category": getattr(e, "category", None), "vars": getattr(e, "vars", None),
                "text": str(e)}
    return None


out["whoami"] = quafu.whoami()
out["devices"] = {d["name"]: d for d in quafu.devices()}
device = quafu.device("ScQ-P10")
out["device"] = {"name": device.name, "status": device.status, "n_qubits": device.n_qubits,
                 "queue": device.queue, "calibration_id": device.calibration_id}
cal = device.calibration()
out["calibration"] = {"id": cal.id, "chip": cal.chip, "calibrated_at": cal.calibrated_at,
                      "grid": cal.grid, "qubit0": cal.qubit(0), "coupler01": cal.coupler(1, 0),
                      "n_qubits": len(cal.qubits), "n_couplers": len(cal.couplers)}
out["calibration_by_id"] = quafu.calibration(cal.id).raw == cal.raw
out["calibration_136_grid"] = quafu.device("ScQ-P136").calibration().grid

job = quafu.submit(BELL, target="ScQ-P10", shots=1000, name="bell")
r = job.result(timeout=240)
out["bell"] = {"job_id": job.id, "n_tasks": job.n_tasks, "status": job.status(),
               "task_id": r.task_id, "counts": r.counts, "bit_order": r.bit_order,
               "n_clbits": r.n_clbits, "measurements": r.measurements,
               "executed": r.executed_qasm, "compiler": r.compiler,
               "calibration_id": r.calibration_id, "shots_requested": r.shots_requested,
               "shots_returned": r.shots_returned, "backend": r.backend,
               "z0z1": r.expectation_z([0, 1]), "by_qubit": r.counts_by_qubit(
                   [m["physical_qubit"] for m in r.measurements])}
out["calibration_of_result"] = quafu.calibration(r.calibration_id).id

many = quafu.submit([X0, SWAPPED, BELL], target="sim", shots=100)
rs = many.results(timeout=240)
out["collection"] = {"n_tasks": many.n_tasks, "status": many.status(),
                     "task_ids": [x.task_id for x in rs], "counts": [x.counts for x in rs],
                     "calibration_ids": [x.calibration_id for x in rs],
                     "n_clbits": [x.n_clbits for x in rs]}
out["noisy_sim"] = quafu.submit(X0, target="ScQ-P18-sim", shots=200).result(240).counts

points = [[0.0], [1.5707963267948966], [3.141592653589793], [-3.141592653589793]]
sweep = quafu.sweep(TEMPLATE, [("theta", "rad")], points, target="sim", shots=400)
table = sweep.table(timeout=240)
out["sweep"] = {"theta": table.column("theta"), "counts": table.counts, "status": table.status,
                "complete": table.complete, "bit_order": table.bit_order,
                "n_clbits": table.n_clbits, "rows": len(table),
                "parameter_values": [x.parameter_values for x in sweep.results()]}

# paging: more tasks than one page of results (the SDK pages by 200)
wide = quafu.sweep(TEMPLATE, [("theta", "rad")], [[0.0]] * 205, target="sim", shots=10)
page = wide.table(timeout=240)
out["paged"] = {"rows": len(page), "seq_last": page.seq[-1],
                "finished": sum(s == "Finished" for s in page.status)}

it = quafu.open_job("sim", template=TEMPLATE, parameters=[("theta", "rad")], shots=50)
out["iterative_open"] = {"open": it.open, "n_tasks": it.n_tasks}
first = it.append(points=[[0.0], [3.141592653589793]], iteration=0)
it.wait(240)
second = it.append(circuits=[X0], iteration=1)
it.wait(240)
snapshot = it.table(wait=False)
closed = it.close()
out["iterative"] = {"first": first, "second": second, "counts": snapshot.counts,
                    "iterations": snapshot.iterations, "closed": closed,
                    "append_after_close": error(lambda: it.append(points=[[1.0]]))}

again = quafu.job(job.id)
out["reattach"] = {"status": again.status(), "n_tasks": again.n_tasks,
                   "counts": again.result().counts == r.counts}
out["stats"] = quafu.stats(7)

out["errors"] = {
    "syntax": error(lambda: quafu.submit(H + "qreg q[2];\ncreg c[2];\nh q[0];\nfoo q[1];\n"
                                         "measure q -> c;\n", target="sim")),
    "syntax_in_collection": error(lambda: quafu.submit(
        [BELL, H + "qreg q[2];\ncreg c[2];\nh q[7];\nmeasure q -> c;\n"], target="sim")),
    "unknown_device": error(lambda: quafu.submit(BELL, target="Dongling")),
    "unknown_device_lookup": error(lambda: quafu.device("Dongling")),
    "too_wide_local": error(lambda: quafu.submit(H + "qreg q[11];\ncreg c[11];\n"
                                                 "measure q -> c;\n", target="ScQ-P10")),
    "shots_local": error(lambda: quafu.submit(BELL, target="sim", shots=10**7)),
    "no_measurement": error(lambda: quafu.submit(H + "qreg q[1];\nh q[0];\n", target="sim")),
    "undeclared_parameter": error(lambda: quafu.sweep(TEMPLATE, [("phi", "rad")], [[0.0]],
                                                      target="sim")),
    "unknown_calibration": error(lambda: quafu.calibration("ScQ-P10-000000000000")),
    "job_not_found": error(lambda: quafu.job("qj" + "0" * 30)),
    "not_iterative": error(lambda: quafu.job(job.id).append(circuits=[BELL])),
    "wrong_key": error(lambda: quafu.Client(api_key="qf_0000wrong").whoami()),
}
print(json.dumps(out))
