"""The tokenizer.json built from llama-tokenizer-js gives, through Hugging Face `tokenizers`, exactly the token ids
that package itself gives (its own test strings, "Hello world!", and sample documents)."""

from tokenizers import Tokenizer

from cpt_data.tokenizer import check_tokenizer


def test_ids_equal_the_packages_reference_vectors(llama_tokenizer):
    tokenizer = Tokenizer.from_file(llama_tokenizer["path"])
    reference = llama_tokenizer["reference"]
    assert len(reference) >= 70
    mismatches = [r["text"][:40] for r in reference if tokenizer.encode(r["text"]).ids != r["ids"]]
    assert mismatches == []


def test_hello_world_and_vocabulary(llama_tokenizer):
    tokenizer = Tokenizer.from_file(llama_tokenizer["path"])
    assert tokenizer.encode("Hello world!").ids == [1, 15043, 3186, 29991]
    assert tokenizer.get_vocab_size() == 32000
    assert (tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")) == (1, 2)


def test_the_job_accepts_it_and_records_its_hash(llama_tokenizer):
    raw = open(llama_tokenizer["path"], "rb").read()
    spec = check_tokenizer(raw, "test", add_eos=True)
    assert (spec.bos_id, spec.eos_id, spec.vocab_size) == (1, 2, 32000)
    assert len(spec.sha256) == 64
    # Without special tokens: the job adds BOS (and EOS) itself, once per document.
    assert spec.build().encode("Hello world!", add_special_tokens=False).ids == [15043, 3186, 29991]
