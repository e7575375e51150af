"""Right and wrong answers for ``embedkit.exercises.ex09`` (sentence embeddings)."""
import numpy as np


def masked_mean(x, mask):
    m = mask[..., None].astype(np.float32)
    return (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)


def triplet(a, p, n, margin, *, squared=False, hinge=True, reduce="mean"):
    d_ap, d_an = np.linalg.norm(a - p, axis=1), np.linalg.norm(a - n, axis=1)
    if squared:
        d_ap, d_an = d_ap ** 2, d_an ** 2
    loss = d_ap - d_an + margin
    if hinge:
        loss = np.maximum(loss, 0.0)
    return float(loss.mean() if reduce == "mean" else loss.sum())


def info_nce(q, k, t, *, normalise=True, shift=True, times=False):
    if normalise:
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        k = k / np.linalg.norm(k, axis=1, keepdims=True)
    logits = q @ k.T * t if times else q @ k.T / t
    m = logits.max(axis=1, keepdims=True) if shift else np.zeros((len(logits), 1))
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - np.diag(logits)))


def info_nce_columns(q, k, t):
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    k = k / np.linalg.norm(k, axis=1, keepdims=True)
    logits = q @ k.T / t
    m = logits.max(axis=0, keepdims=True)
    lse = m[0] + np.log(np.exp(logits - m).sum(axis=0))      # softmax over the queries
    return float(np.mean(lse - np.diag(logits)))


def ndcg(I, rel, k, *, ideal_from="all", offset=1, guard=True, padding="zero"):
    ids = I[:, :k]
    if padding == "zero":
        gains = np.where(ids >= 0, np.take_along_axis(rel, np.maximum(ids, 0), axis=1), 0.0)
    else:
        gains = np.take_along_axis(rel, ids % rel.shape[1], axis=1)         # -1 reads the last item
    discount = 1.0 / np.log2(np.arange(1, k + 1) + offset)
    ideal = -np.sort(-(rel if ideal_from == "all" else gains), axis=1)[:, :k]
    dcg, idcg = gains @ discount, ideal @ discount
    if guard:
        return float(np.mean(np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 0.0)))
    return float(np.mean(dcg / idcg))


def remove_common(S, n, *, centre=False, which="last"):
    X = S - S.mean(axis=0) if centre else S
    Vt = np.linalg.svd(X, full_matrices=False)[2]
    top = Vt[:n] if which == "top" else Vt[len(Vt) - n:] if n else Vt[:0]
    return S - (S @ top.T) @ top


ANSWERS = {
    "ex09.q1": {"solution": masked_mean, "mutants": [
        ("plain mean over all L positions: padding leaks in", lambda x, mask: x.mean(axis=1)),
        ("masked sum divided by L", lambda x, mask: (x * mask[..., None]).sum(axis=1) / x.shape[1]),
        ("no guard: an all-padding row gives nan",
         lambda x, mask: (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)),
        ("divided by the number of real tokens in the whole batch",
         lambda x, mask: (x * mask[..., None]).sum(axis=1) / mask.sum()),
    ]},
    "ex09.q2": {"solution": triplet, "mutants": [
        ("squared distances", lambda *a: triplet(*a, squared=True)),
        ("no hinge: separated triplets give negative loss", lambda *a: triplet(*a, hinge=False)),
        ("sum over the batch instead of mean", lambda *a: triplet(*a, reduce="sum")),
    ]},
    "ex09.q3": {"solution": info_nce, "mutants": [
        ("unstable log-sum-exp (overflow at temperature 0.001)", lambda *a: info_nce(*a, shift=False)),
        ("rows not normalised: dot products instead of cosines", lambda *a: info_nce(*a, normalise=False)),
        ("softmax over the queries (columns) instead of the keys", info_nce_columns),
        ("logits multiplied by the temperature", lambda *a: info_nce(*a, times=True)),
    ]},
    "ex09.q4": {"solution": {"recall@1": 0.25, "recall@10": 0.75, "mrr": (1 + 1 / 3 + 1 / 2) / 4}, "mutants": [
        ("rank 11 counted in MRR as 1/11",
         {"recall@1": 0.25, "recall@10": 0.75, "mrr": (1 + 1 / 3 + 1 / 2 + 1 / 11) / 4}),
        ("rank 11 counted as found in recall@10", {"recall@1": 0.25, "recall@10": 1.0, "mrr": (1 + 1 / 3 + 1 / 2) / 4}),
        ("MRR averaged over the found queries only", {"recall@1": 0.25, "recall@10": 0.75, "mrr": (1 + 1 / 3 + 1 / 2) / 3}),
    ]},
    "ex09.q5": {"solution": ndcg, "mutants": [
        ("ideal DCG from the returned items only", lambda *a: ndcg(*a, ideal_from="returned")),
        ("discount log2(i + 2): positions counted from 1 twice", lambda *a: ndcg(*a, offset=2)),
        ("no guard: a query without relevant items gives nan", lambda *a: ndcg(*a, guard=False)),
        ("-1 padding reads the last item's relevance", lambda *a: ndcg(*a, padding="wrap")),
    ]},
    "ex09.q6": {"solution": lambda S, n: remove_common(S, n, which="top"), "mutants": [
        ("centred first (PCA instead of SIF's uncentred SVD)", lambda S, n: remove_common(S, n, centre=True, which="top")),
        ("removes the last singular directions, not the top ones", lambda S, n: remove_common(S, n, which="last")),
        ("subtracts the mean vector instead", lambda S, n: S - S.mean(axis=0) if n else S),
        ("always removes one direction, whatever n", lambda S, n: remove_common(S, 1, which="top")),
    ]},
}
