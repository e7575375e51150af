"""embedkit vs faiss / gensim / hnswlib, measured side by side (``make bench``)."""
