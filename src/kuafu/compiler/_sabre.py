"""The SABRE routing kernel (numba): SWAP insertion with lookahead, decay and a release valve.

Works on integers only. Gates are the circuit's two-qubit gates in order, as virtual
qubit pairs (g0[i], g1[i]) with their dependency DAG in CSR form (the successors of gate
g are `succ_idx[succ_ptr[g]:succ_ptr[g + 1]]`; `npred[g]` gates must run before it). The
DAG may be commutation-aware: gates that commute (diagonal ones such as CZ and CP) need
not wait for each other. A layout `l2p` maps every
virtual qubit (ancillas included, so it is a permutation of the physical qubits) to a
physical one. The heuristic is LightSABRE's: the distance of the front layer (summed or
averaged) plus a weighted mean over an extended set of upcoming gates, scaled by a decay
factor that discourages moving the same qubits again and again; ties are broken at random.
The extended set holds the gates that become ready as the front runs, as in LightSABRE.
One addition: a SWAP on a pair that just ran a gate (nothing else on either qubit since)
gets a bonus (`absorb_bonus` is subtracted from its score), because block re-synthesis
merges the two into at most 3 CZs.

The kernel also estimates the CZs the routed circuit will need after block re-synthesis
(`cost`): it follows the two-qubit blocks (runs of gates and SWAPs on one pair) as it
emits them and charges each block what `consolidate_blocks` would leave, given each
gate's CZ count `gcost`: at most 3 for a block worth re-synthesising, 2 for a SWAP with a
single CX/CZ, 3 for a SWAP with anything else. Trials are compared by this estimate.

Heuristic parameters come as one float array `hp` (see `HP_*`), so that trials can use
different settings (a portfolio) in one call.
"""

from __future__ import annotations

import functools

import numba
import numpy as np

_jit = functools.partial(numba.njit, cache=True, nogil=True)


@_jit
def _grow(events, k):
    if k < events.shape[0]:
        return events
    bigger = np.empty((events.shape[0] * 2, 3), dtype=np.int64)
    bigger[: events.shape[0]] = events
    return bigger


@_jit
def _record(events, k, kind, a, b):
    """events[k] = (kind, a, b), `events` grown when full; returns `events`."""
    events = _grow(events, k)
    events[k, 0] = kind
    events[k, 1] = a
    events[k, 2] = b
    return events


@_jit
def _swap(p, q, l2p, p2l):
    """Swap the virtual qubits that sit on physical qubits p and q."""
    vp, vq = p2l[p], p2l[q]
    p2l[p], p2l[q] = vq, vp
    l2p[vp], l2p[vq] = q, p


@_jit
def _by_virtual(gates, count, g0, g1, l2p, dist, ptr, items):
    """Bucket gates[:count] by the virtual qubits they touch (CSR; swaps leave it valid);
    return their summed distance."""
    ptr[:] = 0
    total = 0.0
    for j in range(count):
        g = gates[j]
        ptr[g0[g] + 2] += 1
        ptr[g1[g] + 2] += 1
        total += dist[l2p[g0[g]], l2p[g1[g]]]
    for v in range(2, ptr.shape[0]):
        ptr[v] += ptr[v - 1]
    for j in range(count):
        g = gates[j]
        for v in (g0[g], g1[g]):
            items[ptr[v + 1]] = g
            ptr[v + 1] += 1
    return total


@_jit
def _delta(p, q, ptr, items, g0, g1, l2p, p2l, dist):
    """Change of the summed distance of the bucketed gates if physical p and q swap."""
    d = 0.0
    for x in (p, q):
        v = p2l[x]
        for t in range(ptr[v], ptr[v + 1]):
            g = items[t]
            a, b = l2p[g0[g]], l2p[g1[g]]
            if x == q and (a == p or b == p):
                continue  # a gate on both p and q was counted with p
            na = q if a == p else (p if a == q else a)
            nb = q if b == p else (p if b == q else b)
            d += dist[na, nb] - dist[a, b]
    return d


HP_EXT_SIZE, HP_EXT_WEIGHT, HP_DECAY_DELTA, HP_ABSORB, HP_FRONT_SUM, HP_DECAY_RESET = range(6)
"""Indices into the heuristic parameter array: extended-set size, its weight, decay step,
absorb bonus, 1.0 to sum the front layer's distances (0.0: their mean), and after how
many SWAPs without progress the decay resets (0: only on progress)."""


@_jit
def _block_cost(c, ng, s, resynth_min):
    """CZs a block of `ng` gates costing `c` CZs in all and `s` SWAPs needs after
    `consolidate_blocks`."""
    if s == 0:
        if ng >= 2 and c >= resynth_min:
            return min(3, c)
        return c
    if ng == 0:
        return 3 if s % 2 == 1 else 0
    if s % 2 == 1:
        return 2 if (ng == 1 and c == 1) else 3
    return min(3, c)


@_jit
def _close_block(p, partner, bc, bn, bs, resynth_min):
    """Close the block open on physical qubit p (if any); return its cost."""
    r = partner[p]
    if r < 0:
        return 0
    partner[p] = -1
    partner[r] = -1
    return _block_cost(bc[p], bn[p], bs[p], resynth_min)


@_jit
def _add_to_block(p, q, c, is_swap, partner, bc, bn, bs, resynth_min):
    """Record a gate (CZ cost c) or a SWAP on (p, q); return the cost of blocks it closed."""
    closed = 0
    if not (partner[p] == q and partner[q] == p):
        closed += _close_block(p, partner, bc, bn, bs, resynth_min)
        closed += _close_block(q, partner, bc, bn, bs, resynth_min)
        partner[p] = q
        partner[q] = p
        bc[p] = 0
        bn[p] = 0
        bs[p] = 0
    if is_swap:
        bs[p] += 1
    else:
        bc[p] += c
        bn[p] += 1
    bc[q] = bc[p]
    bn[q] = bn[p]
    bs[q] = bs[p]
    return closed


@_jit
def _swap_time(p, q, partner, bc, bn, bs, resynth_min):
    """CZ layers a SWAP on (p, q) adds to the block it joins (3 for a new block)."""
    if partner[p] != q:
        return 3.0
    before = _block_cost(bc[p], bn[p], bs[p], resynth_min)
    after = _block_cost(bc[p], bn[p], bs[p] + 1, resynth_min)
    return float(max(after - before, 0))


@_jit
def _advance(p, q, dt, ptime):
    """Both qubits busy until the later of them is free, plus `dt` CZ layers."""
    t = max(ptime[p], ptime[q]) + dt
    ptime[p] = t
    ptime[q] = t


@_jit
def sabre_route(nbr_ptr, nbr_idx, dist, g0, g1, succ_ptr, succ_idx, npred_init, gcost,
                l2p_init, seed, hp, resynth_min, record):
    """Route the gates; returns (events, num_events, final l2p, swaps, absorbed swaps,
    cost, depth).

    events[k] = (0, gate, 0) to run a gate, (1, p, q) to swap physical qubits p and q;
    cost is the estimated CZ count after block re-synthesis (see the module doc), depth
    the estimated CZ depth (each gate its CZ cost, each SWAP what it adds to its block).
    """
    np.random.seed(seed)
    ext_size = int(hp[HP_EXT_SIZE])
    ext_weight = hp[HP_EXT_WEIGHT]
    decay_delta = hp[HP_DECAY_DELTA]
    absorb_bonus = hp[HP_ABSORB]
    front_sum = hp[HP_FRONT_SUM] > 0.5
    decay_reset = int(hp[HP_DECAY_RESET])
    n = l2p_init.shape[0]
    m = g0.shape[0]
    l2p = l2p_init.copy()
    p2l = np.empty(n, dtype=np.int64)
    for v in range(n):
        p2l[l2p[v]] = v
    npred = npred_init.copy()
    events = np.empty((m + 64 if record else 1, 3), dtype=np.int64)
    k = 0
    front = np.empty(m + 1, dtype=np.int64)
    in_front = np.zeros(n, dtype=np.int64)
    active = np.empty(n, dtype=np.int64)
    nfront = 0
    for g in range(m):
        if npred[g] == 0:
            front[nfront] = g
            nfront += 1
    decay = np.ones(n)
    decayed = False  # whether any decay[p] differs from 1
    partner = np.full(n, -1, dtype=np.int64)  # the open block on each physical qubit
    bc = np.zeros(n, dtype=np.int64)
    bn = np.zeros(n, dtype=np.int64)
    bs = np.zeros(n, dtype=np.int64)
    cost = 0
    ptime = np.zeros(n)
    ext = np.empty(max(ext_size, 1), dtype=np.int64)
    queue = np.empty(m + 1, dtype=np.int64)
    seen = np.zeros(m, dtype=np.int64)
    waiting = np.zeros(m, dtype=np.int64)
    stamp = 0
    ext_stale = True
    next_ext = 0
    swaps = 0
    absorbed = 0
    since_progress = 0
    since_reset = 0
    done = 0
    release = 10 + 2 * int(dist.max())
    max_degree = 0
    for p in range(n):
        max_degree = max(max_degree, nbr_ptr[p + 1] - nbr_ptr[p])
    cand = np.empty((n * max_degree + 1, 2), dtype=np.int64)
    scores = np.empty(n * max_degree + 1)
    dfs = np.zeros(n * max_degree + 1)
    des = np.zeros(n * max_degree + 1)
    base_f = 0.0
    base_e = 0.0
    fptr = np.zeros(n + 2, dtype=np.int64)
    eptr = np.zeros(n + 2, dtype=np.int64)
    fitems = np.empty(2 * m + 2, dtype=np.int64)
    eitems = np.empty(2 * max(ext_size, 1) + 2, dtype=np.int64)
    while done < m:
        # run every front gate whose qubits are adjacent
        progressed = True
        while progressed:
            progressed = False
            j = 0
            while j < nfront:
                g = front[j]
                p, q = l2p[g0[g]], l2p[g1[g]]
                if dist[p, q] == 1.0:
                    if record:
                        events = _record(events, k, 0, g, 0)
                    k += 1
                    done += 1
                    _advance(p, q, gcost[g], ptime)
                    cost += _add_to_block(p, q, gcost[g], False, partner, bc, bn, bs,
                                          resynth_min)
                    front[j] = front[nfront - 1]
                    nfront -= 1
                    for t in range(succ_ptr[g], succ_ptr[g + 1]):
                        s = succ_idx[t]
                        npred[s] -= 1
                        if npred[s] == 0:
                            front[nfront] = s
                            nfront += 1
                    progressed = True
                    ext_stale = True
                    since_progress = 0
                    since_reset = 0
                    if decayed:
                        decay[:] = 1.0
                        decayed = False
                else:
                    j += 1
        if nfront == 0:
            break
        # extended set: the gates that become ready, layer by layer, as the front runs
        # (a successor joins once all of its predecessors are in the front or the set)
        if ext_stale:
            stamp += 1
            next_ext = 0
            head = 0
            tail = 0
            for j in range(nfront):
                queue[tail] = front[j]
                tail += 1
            while head < tail and next_ext < ext_size:
                g = queue[head]
                head += 1
                for t in range(succ_ptr[g], succ_ptr[g + 1]):
                    s = succ_idx[t]
                    if seen[s] != stamp:
                        seen[s] = stamp
                        waiting[s] = npred[s]
                    waiting[s] -= 1
                    if waiting[s] == 0 and next_ext < ext_size:
                        ext[next_ext] = s
                        next_ext += 1
                        queue[tail] = s
                        tail += 1
            # per virtual qubit, the front and extended-set gates on it: a swap changes
            # only the distances of those on the two qubits it moves
            base_f = _by_virtual(front, nfront, g0, g1, l2p, dist, fptr, fitems)
            base_e = _by_virtual(ext, next_ext, g0, g1, l2p, dist, eptr, eitems)
            ext_stale = False
        if since_progress > release:
            # release valve: walk the first front gate's qubits together along a shortest path
            g = front[0]
            p, q = l2p[g0[g]], l2p[g1[g]]
            while dist[p, q] > 1.0:
                best = -1
                for t in range(nbr_ptr[p], nbr_ptr[p + 1]):
                    r = nbr_idx[t]
                    if dist[r, q] == dist[p, q] - 1.0:
                        best = r
                        break
                _swap(p, best, l2p, p2l)
                _advance(p, best, _swap_time(p, best, partner, bc, bn, bs, resynth_min), ptime)
                cost += _add_to_block(p, best, 0, True, partner, bc, bn, bs, resynth_min)
                if record:
                    events = _record(events, k, 1, p, best)
                k += 1
                swaps += 1
                p = best
            since_progress = 0
            ext_stale = True
            continue
        # candidate swaps: every coupler touching a qubit of a front gate, once
        nc = 0
        nactive = 0
        stamp += 1
        for j in range(nfront):
            g = front[j]
            for p in (l2p[g0[g]], l2p[g1[g]]):
                if in_front[p] != stamp:
                    in_front[p] = stamp
                    active[nactive] = p
                    nactive += 1
        for j in range(nactive):
            p = active[j]
            for t in range(nbr_ptr[p], nbr_ptr[p + 1]):
                r = nbr_idx[t]
                if in_front[r] != stamp or r > p:
                    cand[nc, 0] = p
                    cand[nc, 1] = r
                    nc += 1
        front_scale = 1.0 if front_sum else 1.0 / nfront
        best_score = 1e300
        for c in range(nc):
            p, q = cand[c, 0], cand[c, 1]
            dfs[c] = _delta(p, q, fptr, fitems, g0, g1, l2p, p2l, dist)
            score = (base_f + dfs[c]) * front_scale
            if next_ext > 0:
                des[c] = _delta(p, q, eptr, eitems, g0, g1, l2p, p2l, dist)
                score += ext_weight * (base_e + des[c]) / next_ext
            score *= max(decay[p], decay[q])
            if partner[p] == q and bs[p] == 0 and bn[p] > 0:
                score -= absorb_bonus
            scores[c] = score
            if score < best_score:
                best_score = score
        # random choice among the (near-)best
        nbest = 0
        for c in range(nc):
            if scores[c] <= best_score + 1e-10:
                nbest += 1
        pick = np.random.randint(nbest)
        chosen = -1
        for c in range(nc):
            if scores[c] <= best_score + 1e-10:
                if pick == 0:
                    chosen = c
                    break
                pick -= 1
        p, q = cand[chosen, 0], cand[chosen, 1]
        base_f += dfs[chosen]
        if next_ext > 0:
            base_e += des[chosen]
        if partner[p] == q and bs[p] == 0 and bn[p] > 0:
            absorbed += 1
        _swap(p, q, l2p, p2l)
        _advance(p, q, _swap_time(p, q, partner, bc, bn, bs, resynth_min), ptime)
        cost += _add_to_block(p, q, 0, True, partner, bc, bn, bs, resynth_min)
        if record:
            events = _record(events, k, 1, p, q)
        k += 1
        swaps += 1
        since_progress += 1
        since_reset += 1
        if decay_reset > 0 and since_reset >= decay_reset:
            decay[:] = 1.0
            decayed = False
            since_reset = 0
        else:
            decay[p] += decay_delta
            decay[q] += decay_delta
            decayed = True
    for p in range(n):
        cost += _close_block(p, partner, bc, bn, bs, resynth_min)
    return events, k, l2p, swaps, absorbed, cost, ptime.max()


@_jit
def sabre_trials(nbr_ptr, nbr_idx, dist, fwd, rev, l2p_starts, seeds, iterations, hps,
                 resynth_min, depth_weight, cutoff):
    """SABRE layout: for each start layout, route forward and backward `iterations`
    times, then forward once more (heuristic `hps[i]`, seeds derived from `seeds[i]`).

    Every pass is a complete routing: a backward pass, read in reverse, routes the
    circuit too (from the layout it ends with). Passes are judged by their estimated CZ
    cost plus `depth_weight` times their estimated CZ depth. Returns, per trial, the
    estimated CZ cost and depth of its best pass, the layout that pass started from,
    its seed and whether it was a backward pass. A trial whose best pass still scores
    above `cutoff` after a forward-backward iteration stops there (early exit)."""
    g0, g1, sp, si, npred, gc = fwd
    r0, r1, rsp, rsi, rnpred, rgc = rev
    t = l2p_starts.shape[0]
    costs = np.empty(t)
    depths = np.empty(t)
    layouts = np.empty_like(l2p_starts)
    used = np.empty(t, dtype=np.int64)
    backward = np.zeros(t, dtype=np.bool_)
    for i in range(t):
        l2p = l2p_starts[i].copy()
        hp = hps[i]
        best = np.inf
        for it in range(iterations + 1):
            s = seeds[i] * 7919 + 2 * it
            _, _, out, _, _, c, d = sabre_route(nbr_ptr, nbr_idx, dist, g0, g1, sp, si, npred,
                                                gc, l2p, s, hp, resynth_min, False)
            if c + depth_weight * d < best:
                best = c + depth_weight * d
                costs[i] = c
                depths[i] = d
                layouts[i] = l2p
                used[i] = s
                backward[i] = False
            if it < iterations:
                _, _, l2p, _, _, c, d = sabre_route(nbr_ptr, nbr_idx, dist, r0, r1, rsp, rsi,
                                                    rnpred, rgc, out, s + 1, hp, resynth_min,
                                                    False)
                if c + depth_weight * d < best:
                    best = c + depth_weight * d
                    costs[i] = c
                    depths[i] = d
                    layouts[i] = out
                    used[i] = s + 1
                    backward[i] = True
                if best > cutoff:
                    break
    return costs, depths, layouts, used, backward
