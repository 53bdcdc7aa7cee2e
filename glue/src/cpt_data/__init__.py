"""Tokenize raw corpora with the Llama 2 tokenizer and pack them into training rows (the Glue job's code)."""
