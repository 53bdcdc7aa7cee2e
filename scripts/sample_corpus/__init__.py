"""The sample corpus generator's modules (scripts/make-sample-corpus.py is the entry): the vocabulary read from
data/sample-corpus/, the sentence templates and the document builders."""
