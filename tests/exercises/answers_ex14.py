"""Right and wrong answers for ``embedkit.exercises.ex14`` (product quantization)."""
import numpy as np


def encode_subspace(x_sub, centroids, *, squared=True, pick="argmin"):
    d = ((x_sub[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
    if not squared:
        d = np.abs(x_sub[:, None, :] - centroids[None, :, :]).sum(-1)       # L1
    return d.argmin(axis=1) if pick == "argmin" else d.argmax(axis=1)


def pq_encode(x, codebooks, *, blocks="contiguous"):
    m, K, dsub = codebooks.shape
    cols = [slice(j * dsub, (j + 1) * dsub) if blocks == "contiguous" else slice(j, m * dsub, m) for j in range(m)]
    return np.stack([encode_subspace(x[:, c], codebooks[j]) for j, c in enumerate(cols)], axis=1)


def adc_table(q, codebooks, *, squared=True, blocks="contiguous"):
    m, K, dsub = codebooks.shape
    pieces = q.reshape(m, 1, dsub) if blocks == "contiguous" else q.reshape(dsub, m).T[:, None, :]
    d2 = ((pieces - codebooks) ** 2).sum(-1)
    return d2 if squared else np.sqrt(d2)


def adc_distances(table, codes):
    return table[np.arange(table.shape[0]), codes].sum(axis=1)


def train_codebooks(X, init, n_iter, *, joint=False, empty="keep", blocks="contiguous", in_place=False):
    C = init if in_place else init.astype(float)
    m, K, dsub = C.shape
    cols = [slice(j * dsub, (j + 1) * dsub) if blocks == "contiguous" else slice(j, m * dsub, m) for j in range(m)]
    for _ in range(n_iter):
        if joint:                       # one assignment per vector from the summed distance
            total = sum(((X[:, c][:, None, :] - C[j][None]) ** 2).sum(-1) for j, c in enumerate(cols))
            assign = [total.argmin(1)] * m
        else:
            assign = [encode_subspace(X[:, c], C[j]) for j, c in enumerate(cols)]
        for j, c in enumerate(cols):
            sub = X[:, c]
            for k in range(K):
                members = sub[assign[j] == k]
                if len(members) or empty == "nan":
                    C[j, k] = members.mean(0)
    return C


def ivfpq_encode(x, coarse, codebooks, *, residual=True, sign=1.0):
    lists = ((x[:, None, :] - coarse[None, :, :]) ** 2).sum(-1).argmin(1)
    target = x - sign * coarse[lists] if residual else x
    return lists, pq_encode(target, codebooks)


ANSWERS = {
    "ex14.q1": {"solution": encode_subspace, "mutants": [
        ("farthest centroid (argmax)", lambda x, c: encode_subspace(x, c, pick="argmax")),
        ("L1 distance instead of squared L2", lambda x, c: encode_subspace(x, c, squared=False)),
        ("argmin over the wrong axis", lambda x, c: ((x[:, None, :] - c[None]) ** 2).sum(-1).argmin(0)),
    ]},
    "ex14.q2": {"solution": pq_encode, "mutants": [
        ("interleaved sub-vectors x[:, j::m] instead of blocks", lambda x, cb: pq_encode(x, cb, blocks="interleaved")),
        ("codebook 0 used for every sub-space",
         lambda x, cb: np.stack([encode_subspace(x[:, j * cb.shape[2]:(j + 1) * cb.shape[2]], cb[0])
                                 for j in range(cb.shape[0])], axis=1)),
        ("transposed: (m, n)", lambda x, cb: pq_encode(x, cb).T),
    ]},
    "ex14.q3": {"solution": adc_table, "mutants": [
        ("distances, not squared distances", lambda q, cb: adc_table(q, cb, squared=False)),
        ("interleaved query pieces", lambda q, cb: adc_table(q, cb, blocks="interleaved")),
        ("transposed: (K, m)", lambda q, cb: adc_table(q, cb).T),
    ]},
    "ex14.q4": {"solution": adc_distances, "mutants": [
        ("each vector's first code used in every sub-space",
         lambda t, codes: t[np.arange(t.shape[0]), codes[:, [0]]].sum(axis=1)),
        ("only the first sub-space looked up", lambda t, codes: t[0, codes[:, 0]]),
        ("mean instead of sum over the m look-ups", lambda t, codes: t[np.arange(t.shape[0]), codes].mean(axis=1)),
    ]},
    "ex14.q5": {"solution": {"float32": 4_096_000_000, "pq": 8_000_000 + 256 * 1024 * 4}, "mutants": [
        ("codebooks forgotten", {"float32": 4_096_000_000, "pq": 8_000_000}),
        ("codebooks counted once per vector", {"float32": 4_096_000_000, "pq": 1_000_000 * (8 + 256 * 1024 * 4)}),
        ("codes counted as 8 bits = 8 bytes each", {"float32": 4_096_000_000, "pq": 64_000_000 + 256 * 1024 * 4}),
    ]},
    "ex14.q6": {"solution": train_codebooks, "mutants": [
        ("one shared assignment per vector (summed distances): k-means on whole vectors",
         lambda *a: train_codebooks(*a, joint=True)),
        ("an empty cluster's centroid becomes nan", lambda *a: train_codebooks(*a, empty="nan")),
        ("interleaved sub-spaces x[:, j::m]", lambda *a: train_codebooks(*a, blocks="interleaved")),
        ("trains the caller's init in place", lambda *a: train_codebooks(*a, in_place=True)),
    ]},
    "ex14.q7.a": {"solution": ivfpq_encode, "mutants": [
        ("PQ codes of x itself, not of the residual", lambda *a: ivfpq_encode(*a, residual=False)),
        ("residual x + c instead of x - c", lambda *a: ivfpq_encode(*a, sign=-1.0)),
        ("list ids only, codes missing",
         lambda x, coarse, cb: (((x[:, None, :] - coarse[None]) ** 2).sum(-1).argmin(1), None)),
    ]},
    "ex14.q7.b": {"solution": lambda q, c, cb: adc_table(q - c, cb), "mutants": [
        ("the plain table of q, as without IVF", lambda q, c, cb: adc_table(q, cb)),
        ("q + c instead of q - c", lambda q, c, cb: adc_table(q + c, cb)),
        ("the table of the centroid, not of the query", lambda q, c, cb: adc_table(c, cb)),
    ]},
}
