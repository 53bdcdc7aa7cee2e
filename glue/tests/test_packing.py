import numpy as np

from cpt_data.packing import RowPacker


def test_rows_are_documents_in_order_each_after_bos():
    packer = RowPacker(length=4, bos_id=1)
    rows = packer.add([[10, 11], [20, 21, 22], [30]])
    assert rows.tolist() == [[1, 10, 11, 1], [20, 21, 22, 1]]
    assert packer.dropped_tokens == 1  # the last document's token waits for more
    rows = packer.add([[40, 41]])
    assert rows.tolist() == [[30, 1, 40, 41]]
    assert packer.dropped_tokens == 0


def test_eos_after_each_document_when_asked():
    packer = RowPacker(length=5, bos_id=1, eos_id=2)
    assert packer.add([[7, 8], [9]]).tolist() == [[1, 7, 8, 2, 1]]
    assert packer.dropped_tokens == 2


def test_counts_add_up_and_every_row_has_the_length():
    rng = np.random.default_rng(0)
    packer = RowPacker(length=64, bos_id=1)
    emitted = 0
    for _ in range(20):
        documents = [list(rng.integers(3, 32000, size=rng.integers(0, 200))) for _ in range(rng.integers(1, 30))]
        rows = packer.add(documents)
        assert rows.shape[1:] == (64,) and rows.dtype == np.int32
        emitted += len(rows)
    assert packer.rows == emitted
    assert packer.tokens == emitted * 64 + packer.dropped_tokens


def test_a_document_longer_than_several_rows_spans_them():
    packer = RowPacker(length=3, bos_id=1)
    assert packer.add([list(range(100, 108))]).tolist() == [[1, 100, 101], [102, 103, 104], [105, 106, 107]]
    assert packer.dropped_tokens == 0


def test_no_documents_no_rows():
    packer = RowPacker(length=8, bos_id=1)
    assert packer.add([]).shape == (0, 8)
