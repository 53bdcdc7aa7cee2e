import numpy as np

from cpt_data import hashing


def test_document_unit_depends_on_text_and_seed_only():
    assert hashing.document_unit("Metformin lowers HbA1c.", 42) == hashing.document_unit("Metformin lowers HbA1c.", 42)
    assert hashing.document_unit("Metformin lowers HbA1c.", 42) != hashing.document_unit("Metformin lowers HbA1c.", 43)
    assert 0 <= hashing.document_unit("x", 0) < 1


def test_document_unit_is_uniform_enough_for_a_share():
    units = [hashing.document_unit(f"document {i}", 7) for i in range(20000)]
    assert abs(np.mean(np.array(units) < 0.1) - 0.1) < 0.01


def test_row_keys_are_deterministic_and_distinct_across_streams_and_partitions():
    a = hashing.row_hashes(42, 1, 0, 0, 1000)
    assert np.array_equal(a, hashing.row_hashes(42, 1, 0, 0, 1000))
    assert np.array_equal(a[500:], hashing.row_hashes(42, 1, 0, 500, 500))  # batches continue the sequence
    others = [
        hashing.row_hashes(42, 2, 0, 0, 1000),
        hashing.row_hashes(42, 1, 1, 0, 1000),
        hashing.row_hashes(43, 1, 0, 0, 1000),
    ]
    everything = np.concatenate([a, *others])
    assert len(np.unique(everything)) == len(everything)
    units = hashing.as_unit(a)
    assert units.min() >= 0 and units.max() < 1 and hashing.as_signed(a).dtype == np.int64
