"""Part III, vector search (notebooks 11-18).

Finding the nearest vectors among millions, exactly and approximately, with faiss's
interface (``train``/``add``/``search -> (D, I)``, ``save``/``load``): ``index_base`` (the
interface, persistence, merging top-k lists), ``flat`` (exact search), ``kmeans`` and
``ivf`` (partition, then probe a few lists), the quantizers that shrink vectors
(``scalar_quantization``, ``binary_quantization``, ``pq`` with ``opq`` and the
``pq_index`` family, and ScaNN's score-aware ``anisotropic`` quantization with its
index ``ScaNNIndex``, lesson 17), hashing and trees (``lsh``, ``rptree``), graphs
(``hnsw``, and for lesson 17 ``graph_filter``, filtered walks in an HNSW graph,
``vamana``, DiskANN's flat graph, and ``diskann``, its SSD layout: vectors and links on
disk, PQ codes in RAM), the retrieval ``metrics`` that score them all (recall@k, MRR,
nDCG), and ``factory``, which builds any of them from a faiss-style description
(``"OPQ16,IVF256,PQ16"``), and
``tradeoffs``, which measures them on the recall / speed / memory frontier and chooses one.

Depends only on the core.
"""
from .anisotropic import AnisotropicPQ, ScaNNIndex, anisotropic_eta, anisotropic_loss
from .binary_quantization import BinaryIndex, BinaryQuantizer, hamming_distances
from .diskann import DiskANNIndex
from .factory import index_factory
from .flat import FlatIndex
from .hnsw import HNSWIndex
from .index_base import NotTrainedError
from .ivf import IVFIndex
from .kmeans import balanced_kmeans, kmeans, kmeans_plusplus
from .lsh import LSHIndex
from .metrics import mrr, ndcg_at_k, recall_at_k
from .opq import OPQ
from .pq import ProductQuantizer
from .pq_index import IVFPQIndex, PQIndex
from .rptree import RPForestIndex
from .scalar_quantization import ScalarQuantizer, SQIndex
from .tradeoffs import pareto_frontier, qps_at_recall, recommend_index, saved_size, sweep
from .vamana import VamanaIndex, robust_prune
