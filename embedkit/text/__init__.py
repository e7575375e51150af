"""Part I, word embeddings from text (notebooks 02-07).

From a string to word vectors and how to judge them: tokenising and a vocabulary
(``tokenizer``, ``vocab``); counting words per document (``tfidf``: TF-IDF and LSA) and
per window, and factorising the counts (``cooccurrence``: PPMI + SVD); predicting them
(``word2vec``, with ``sgns_numpy`` as the readable numpy version); fitting their
logarithm (``glove``, with ``postprocess``: all-but-the-top); building words from character n-grams (``subword``); and the
gensim-like container every method returns (``word_vectors``: similarity, analogies,
benchmarks). The subword tokenisers of modern language models: ``bpe`` (byte-level BPE,
trained from scratch) and ``wordpiece`` (BERT's greedy encoding). Then what the vectors
carry and how to compare two spaces: ``bias`` (gender direction, WEAT, hard debiasing)
and ``alignment`` (Procrustes).

Depends only on the core (``similarity`` and the private helpers).
"""
from .alignment import align, procrustes
from .bpe import BPETokenizer
from .bias import gender_direction, hard_debias, project, weat_effect_size, weat_test
from .cooccurrence import cooccurrence_matrix, ppmi, svd_embeddings
from .glove import train_glove
from .postprocess import all_but_the_top
from .subword import SubwordVectors, char_ngrams, train_subword
from .tfidf import lsa, term_document_matrix, tfidf
from .tokenizer import tokenize
from .vocab import Vocabulary
from .word2vec import TrainingLog, train_word2vec
from .word_vectors import EvaluationResult, WordVectors
from .wordpiece import WordPieceTokenizer
