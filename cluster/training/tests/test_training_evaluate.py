"""evaluate_perplexity.py without torch: the token accounting and the aggregation, over real load_from_disk folders
(datasets 3.0.2, the layout of the tokenization job), with scorers whose perplexity is known exactly."""

import json
import math
import sys

import pytest

from training_sandbox import TRAINING

sys.path.insert(0, str(TRAINING))
import evaluate_perplexity as ev  # noqa: E402

datasets = pytest.importorskip("datasets")


def save_rows(path, rows, with_mask=True, with_labels=True):
    columns = {"input_ids": [r for r in rows]}
    if with_mask:
        columns["attention_mask"] = [[1] * len(r) for r in rows]
    if with_labels:
        columns["labels"] = [list(r) for r in rows]
    features = {"input_ids": datasets.Sequence(datasets.Value("int32"))}
    if with_mask:
        features["attention_mask"] = datasets.Sequence(datasets.Value("int8"))
    if with_labels:
        features["labels"] = datasets.Sequence(datasets.Value("int32"))
    datasets.Dataset.from_dict(columns, features=datasets.Features(features)).save_to_disk(str(path))
    return str(path)


def unigram_scorer(probabilities):
    """A model that predicts every token with the same distribution, whatever came before."""

    def score(input_ids, labels, attention_mask):
        targets = [t for t in ev.predicted_targets(labels, attention_mask) if t != ev.IGNORE_INDEX]
        return sum(-math.log(probabilities[t]) for t in targets), len(targets)

    return score


def test_each_position_predicts_the_next_label():
    assert ev.predicted_targets([5, 6, 7, 8], [1, 1, 1, 1]) == [6, 7, 8]
    assert ev.predicted_targets([5, 6, -100, 8], [1, 1, 1, 1]) == [6, -100, 8]
    assert ev.predicted_targets([5, 6, 7, 8], [1, 1, 1, 0]) == [6, 7, -100]
    assert ev.predicted_targets([5, 6], None) == [6]


def test_a_uniform_model_has_the_vocabulary_size_as_perplexity(tmp_path):
    path = save_rows(tmp_path / "set", [[1, 2, 3, 0, 1], [3, 3, 2, 1, 0]])
    result = ev.evaluate_rows(ev.load_rows(path, 10), unigram_scorer([0.25] * 4), 10)
    assert result["rows"] == 2 and result["tokens"] == 8
    assert result["perplexity"] == pytest.approx(4.0)
    assert result["meanNll"] == pytest.approx(math.log(4))


def test_mean_nll_is_over_tokens_not_rows(tmp_path):
    probabilities = [0.1, 0.2, 0.3, 0.4]
    rows = [[0, 1, 2, 3], [3, 3, 3, 3, 3, 3]]
    path = save_rows(tmp_path / "set", rows)
    result = ev.evaluate_rows(ev.load_rows(path, 10), unigram_scorer(probabilities), 10)
    targets = [1, 2, 3, 3, 3, 3, 3, 3]
    expected = sum(-math.log(probabilities[t]) for t in targets) / len(targets)
    assert result["tokens"] == 8 and result["meanNll"] == pytest.approx(expected)
    assert result["perplexity"] == pytest.approx(math.exp(expected))


def test_only_the_first_max_rows_are_scored(tmp_path):
    path = save_rows(tmp_path / "set", [[i % 4] * 5 for i in range(10)])
    seen = []

    def score(input_ids, labels, mask):
        seen.append(input_ids[0])
        return 1.0, 4

    result = ev.evaluate_rows(ev.load_rows(path, 3), score, 3)
    assert seen == [0, 1, 2] and result["rows"] == 3 and result["tokens"] == 12


def test_rows_without_labels_score_their_input_ids(tmp_path):
    path = save_rows(tmp_path / "set", [[0, 1, 2]], with_mask=False, with_labels=False)
    result = ev.evaluate_rows(ev.load_rows(path, 5), unigram_scorer([0.5, 0.25, 0.25]), 5)
    assert result["tokens"] == 2 and result["meanNll"] == pytest.approx(math.log(4))


def test_a_set_with_nothing_to_score_is_an_error(tmp_path):
    path = save_rows(tmp_path / "set", [[1]])
    with pytest.raises(ValueError, match="no token to score"):
        ev.evaluate_rows(ev.load_rows(path, 5), unigram_scorer([0.5, 0.5]), 5)


def test_the_command_writes_one_report_for_all_sets(tmp_path):
    domain = save_rows(tmp_path / "domain", [[0, 1, 0, 1]] * 3)
    general = save_rows(tmp_path / "general", [[2, 3, 2, 3]] * 2)
    built = []

    def factory(model_dir, device, dtype):
        built.append((model_dir, device, dtype))
        return unigram_scorer([0.25] * 4)

    output = tmp_path / "report.json"
    assert (
        ev.main(
            [
                "--model-dir",
                "/m",
                "--eval",
                f"domain={domain}",
                "--eval",
                f"general={general}",
                "--max-rows",
                "2",
                "--output",
                str(output),
            ],
            scorer_factory=factory,
        )
        == 0
    )
    assert built == [("/m", "cpu", "bfloat16")]  # the model is loaded once for every set
    report = json.loads(output.read_text())
    assert report["model"] == "/m" and set(report["sets"]) == {"domain", "general"}
    assert report["sets"]["domain"]["rows"] == 2 and report["sets"]["general"]["tokens"] == 6
    assert report["sets"]["domain"]["perplexity"] == pytest.approx(4.0)


@pytest.mark.parametrize(
    "argv",
    [
        ["--model-dir", "/m", "--eval", "nopath", "--output", "x"],
        ["--model-dir", "/m", "--eval", "a=/x", "--eval", "a=/y", "--output", "x"],
        ["--model-dir", "/m", "--eval", "a=/x", "--max-rows", "0", "--output", "x"],
    ],
)
def test_bad_arguments_are_refused(argv):
    with pytest.raises(SystemExit) as exit_info:
        ev.main(argv, scorer_factory=lambda *a: pytest.fail("no model should be loaded"))
    assert exit_info.value.code == 2
