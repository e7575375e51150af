"""Right and wrong answers for ``embedkit.exercises.ex13`` (scalar and binary quantization)."""
import numpy as np


def sq8_encode(x, vmin, vmax, *, clip=True, rounding=np.rint, levels=255, dtype=np.uint8):
    step = (vmax - vmin) / levels
    codes = rounding((x - vmin) / step)
    if clip:
        codes = np.clip(codes, 0, 255)
    return codes.astype(dtype)


def sq8_decode(codes, vmin, vmax, *, levels=255, offset=True, centre=0.0):
    step = (vmax - vmin) / levels
    return (vmin if offset else 0.0) + (codes.astype(np.float64) + centre) * step


def hamming(a, b, *, op="xor", unit="bits"):
    x = a[:, None, :] ^ b[None, :, :] if op == "xor" else a[:, None, :] & b[None, :, :]
    if unit == "bits":
        return np.bitwise_count(x).sum(-1)
    if unit == "bytes":
        return (x != 0).sum(-1)
    return x.astype(np.int64).sum(-1)


def sq_mse(vmin, vmax, bits, *, levels="minus-one", denom=12.0, reduce="sum", square=True):
    n = 2 ** bits - 1 if levels == "minus-one" else 2 ** bits
    step = (vmax - vmin) / n
    e = step ** 2 if square else step
    return float((np.sum(e) if reduce == "sum" else np.mean(e)) / denom)


def _ham(qc, xc):
    return np.bitwise_count(qc[:, None, :] ^ xc[None, :, :]).sum(-1)


def rescored_search(q_codes, x_codes, Q, X, shortlist, k, *, rescore=True, order="sorted", ham_ties="lower"):
    H = _ham(q_codes, x_codes)
    if ham_ties == "lower":
        cand = np.argsort(H, axis=1, kind="stable")[:, :shortlist]
    else:                                      # ties go to the higher id
        cand = (H.shape[1] - 1 - np.argsort(H[:, ::-1], axis=1, kind="stable"))[:, :shortlist]
    if not rescore:
        return cand[:, :k]
    scores = np.einsum("qcd,qd->qc", X[cand], Q)
    best = np.take_along_axis(cand, np.argsort(-scores, axis=1, kind="stable")[:, :k], axis=1)
    return np.sort(best, axis=1) if order == "unordered" else best


def exact_top_k(q_codes, x_codes, Q, X, shortlist, k):
    return np.argsort(-(Q @ X.T), axis=1, kind="stable")[:, :k]


ANSWERS = {
    "ex13.q1": {"solution": sq8_encode, "mutants": [
        ("no clipping: -1 wraps around to 255", lambda *a: sq8_encode(*a, clip=False)),
        ("floor instead of rounding", lambda *a: sq8_encode(*a, rounding=np.floor)),
        ("256 steps instead of 255", lambda *a: sq8_encode(*a, levels=256)),
        ("codes returned as int64, not uint8", lambda *a: sq8_encode(*a, dtype=np.int64)),
    ]},
    "ex13.q2": {"solution": sq8_decode, "mutants": [
        ("256 steps instead of 255", lambda *a: sq8_decode(*a, levels=256)),
        ("vmin offset forgotten", lambda *a: sq8_decode(*a, offset=False)),
        ("bin centre (code + 0.5): a floor encoder's decoder", lambda *a: sq8_decode(*a, centre=0.5)),
    ]},
    "ex13.q3": {"solution": lambda x: np.packbits(x > 0, axis=1), "mutants": [
        ("x >= 0: zeros become 1 bits", lambda x: np.packbits(x >= 0, axis=1)),
        ("little-endian bit order", lambda x: np.packbits(x > 0, axis=1, bitorder="little")),
        ("bits not packed: (n, d) booleans", lambda x: x > 0),
        ("packed as int64 bytes", lambda x: np.packbits(x > 0, axis=1).astype(np.int64)),
    ]},
    "ex13.q4": {"solution": hamming, "mutants": [
        ("sum of the XOR byte values, not bits", lambda a, b: hamming(a, b, unit="values")),
        ("counts differing bytes, not bits", lambda a, b: hamming(a, b, unit="bytes")),
        ("AND instead of XOR (shared ones)", lambda a, b: hamming(a, b, op="and")),
    ]},
    "ex13.q5": {"solution": {"float32": 3072, "int8": 768, "4-bit": 384, "binary": 96}, "mutants": [
        ("binary counted as one byte per dimension", {"float32": 3072, "int8": 768, "4-bit": 384, "binary": 768}),
        ("4-bit counted as a full byte", {"float32": 3072, "int8": 768, "4-bit": 768, "binary": 96}),
        ("float32 counted as 32 bytes per component", {"float32": 768 * 32, "int8": 768, "4-bit": 384, "binary": 96}),
    ]},
    "ex13.q6": {"solution": sq_mse, "mutants": [
        ("2**bits steps instead of 2**bits - 1", lambda *a: sq_mse(*a, levels="power")),
        ("step^2 / 4 (the worst case, not the mean)", lambda *a: sq_mse(*a, denom=4.0)),
        ("mean over dimensions instead of the sum", lambda *a: sq_mse(*a, reduce="mean")),
        ("step / 12, not squared", lambda *a: sq_mse(*a, square=False)),
    ]},
    "ex13.q7": {"solution": rescored_search, "mutants": [
        ("no rescoring: the Hamming order itself", lambda *a: rescored_search(*a, rescore=False)),
        ("every vector rescored: exact search, not the short list", exact_top_k),
        ("the right k in no particular order (argpartition without the final sort)",
         lambda *a: rescored_search(*a, order="unordered")),
        ("Hamming ties broken towards the higher id", lambda *a: rescored_search(*a, ham_ties="higher")),
    ]},
}
