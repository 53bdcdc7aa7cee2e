"""The training log: step lines of tp_zero1_llama_hf_pretrain.py in their real format (metrics_sandbox.log_line is
Logger.log's f-string), behind srun's and torchrun's prefixes, among noise; incremental reading of the file."""

import os
import time

import pytest

from metrics_sandbox import NOISE, TRACEBACK, asctime, label, log_line, log_reader, training_log

WHEN = time.mktime((2025, 3, 20, 9, 47, 11, 0, 0, -1))


def test_every_field_of_a_step_line():
    line = log_line(0, 10, 2.34123, 1.5e-05, 12.4131, WHEN)
    assert (
        line == "LOG Thu Mar 20 09:47:11 2025 - (0, 10) step_loss : 2.3412 learning_rate : 1.50e-05 "
        "throughput : 12.41 seq/s "
    )
    parsed = training_log.parse_step_line(line)
    assert parsed == training_log.StepLine(
        epoch=0, step=10, loss=2.3412, learning_rate=1.5e-05, throughput=12.41, time=WHEN, grad_norm=None
    )


def test_a_single_digit_day_is_padded_by_asctime_and_still_parses():
    when = time.mktime((2025, 4, 3, 7, 5, 9, 0, 0, -1))
    line = log_line(1, 2500, 2.0871, 1.5e-04, 81.23, when)
    assert "Thu Apr  3 07:05:09 2025" in line
    assert training_log.parse_step_line(line).time == when


def test_the_grad_norm_of_print_grad_norm_is_read_too():
    parsed = training_log.parse_step_line(log_line(0, 120, 2.1034, 1.5e-04, 80.97, WHEN, grad_norm=0.4412109375))
    assert (parsed.step, parsed.loss, parsed.grad_norm) == (120, 2.1034, 0.4412109375)


@pytest.mark.parametrize(
    "prefix",
    [
        "",  # the script on its own
        "0: ",  # srun --label, fewer than 11 tasks
        " 0: ",  # srun --label, 11 to 100 tasks (16 nodes: width 2)
        "  0: ",  # 101 tasks or more
        "[default0]:",  # torchrun --tee 3
        " 0: [default0]:",  # both
        "[rank0]: ",  # torchrun's log_line_prefix_template style
        "P0 0: ",  # srun --label of a heterogeneous job
    ],
)
def test_prefixes_of_srun_and_torchrun_are_skipped(prefix):
    parsed = training_log.parse_step_line(prefix + log_line(0, 1230, 2.1034, 1.5e-04, 81.23, WHEN))
    assert (parsed.step, parsed.loss, parsed.learning_rate, parsed.throughput) == (1230, 2.1034, 1.5e-04, 81.23)


def test_srun_labels_have_the_width_of_the_largest_task_number():
    assert [label(0, 8), label(0, 16), label(15, 16), label(3, 128)] == ["0: ", " 0: ", "15: ", "  3: "]


@pytest.mark.parametrize(
    "line",
    NOISE
    + TRACEBACK
    + [
        "",
        "BLOG Thu Mar 20 09:47:11 2025 - (0, 10) step_loss : 2.3412 learning_rate : 1.50e-05 throughput : 12.41 seq/s ",
        "LOG Thu Mar 20 09:47:11 2025 - (0, 10) step_loss : 2.3412",  # cut short
        "Epoch 0 step 10 end Thu Mar 20 09:47:12 2025 loss 2.3412 perf 12.41 seq/sec (at train microstep 40 time "
        "1742464032.1 from beginning time 1742463600.2)",
        '    f"LOG {time_now} - ({epoch}, {step}) step_loss : {step_loss:.4f} "',
    ],
)
def test_noise_is_not_a_step_line(line):
    assert training_log.parse_step_line(line) is None
    assert training_log.parse_step_line(label(3) + line) is None


def test_a_nan_loss_parses_and_is_kept_out_of_the_metrics_later():
    parsed = training_log.parse_step_line(log_line(0, 40, float("nan"), 1.5e-04, 80.0, WHEN))
    assert parsed.step == 40 and parsed.loss != parsed.loss


# --- Reading the file incrementally ---


def write(path, text, mode="a"):
    with open(path, mode, encoding="utf-8") as handle:
        handle.write(text)


def test_lines_are_read_once_and_a_partial_last_line_waits_for_its_newline(tmp_path):
    path = tmp_path / "train-103.out"
    first = log_line(0, 10, 2.3412, 1.5e-05, 12.41, WHEN)
    second = log_line(0, 20, 2.2971, 3.0e-05, 80.12, WHEN + 250)
    write(path, NOISE[0] + "\n" + label(0) + first + "\n" + label(0) + second[:40])
    lines, cursor, note = log_reader.read_new_lines(str(path), log_reader.Cursor())
    assert note is None
    assert lines == [NOISE[0], label(0) + first]
    assert cursor.offset == len((NOISE[0] + "\n" + label(0) + first + "\n").encode())

    again, cursor2, _ = log_reader.read_new_lines(str(path), cursor)
    assert again == [] and cursor2 == cursor  # the partial line is still partial

    write(path, second[40:] + "\n")
    lines, cursor3, _ = log_reader.read_new_lines(str(path), cursor2)
    assert lines == [label(0) + second]
    assert training_log.parse_step_line(lines[0]).step == 20
    assert cursor3.offset == path.stat().st_size


def test_a_truncated_file_is_read_again_from_its_start(tmp_path):
    path = tmp_path / "train-103.out"
    write(path, "".join(f"{label(0)}{log_line(0, s, 2.2, 1.5e-04, 81.0, WHEN + s)}\n" for s in (10, 20, 30)))
    _, cursor, _ = log_reader.read_new_lines(str(path), log_reader.Cursor())
    write(path, f"{label(0)}{log_line(0, 40, 2.1, 1.5e-04, 81.0, WHEN + 40)}\n", mode="w")
    lines, cursor, note = log_reader.read_new_lines(str(path), cursor)
    assert note.startswith("truncated")
    assert [training_log.parse_step_line(line).step for line in lines] == [40]


def test_a_file_rewritten_past_the_old_offset_is_read_again(tmp_path):
    path = tmp_path / "train-103.out"
    write(path, "first attempt\n" * 3)
    _, cursor, _ = log_reader.read_new_lines(str(path), log_reader.Cursor())
    # Same inode, longer than before, but other content: rewritten in place (e.g. `> file` and a fast writer).
    write(path, "second try...\n" * 5, mode="w")
    lines, _, note = log_reader.read_new_lines(str(path), cursor)
    assert note.startswith("rewritten") and len(lines) == 5


def test_a_rotated_file_new_inode_is_read_from_its_start(tmp_path):
    path = tmp_path / "train-103.out"
    write(path, "old line\n" * 10)
    _, cursor, _ = log_reader.read_new_lines(str(path), log_reader.Cursor())
    os.rename(path, tmp_path / "train-103.out.1")
    write(path, "new line\n" * 20)
    lines, cursor, note = log_reader.read_new_lines(str(path), cursor)
    assert note == "replaced (new inode)" and lines == ["new line"] * 20


def test_a_missing_file_gives_nothing_and_keeps_the_cursor(tmp_path):
    cursor = log_reader.Cursor(inode=5, offset=10, head="x")
    assert log_reader.read_new_lines(str(tmp_path / "none.out"), cursor) == ([], cursor, None)


def test_reading_is_bounded_per_sample_and_resumes(tmp_path):
    path = tmp_path / "train-103.out"
    write(path, "".join(f"{label(0)}{log_line(0, s, 2.2, 1.5e-04, 81.0, WHEN + s)}\n" for s in range(10, 210, 10)))
    cursor, steps = log_reader.Cursor(), []
    for _ in range(30):
        lines, cursor, _ = log_reader.read_new_lines(str(path), cursor, limit=500)
        steps += [training_log.parse_step_line(line).step for line in lines]
    assert steps == list(range(10, 210, 10))


def test_an_endless_unterminated_line_does_not_stop_reading(tmp_path):
    path = tmp_path / "train-103.out"
    write(path, "x" * (log_reader.MAX_PARTIAL_LINE + 10))
    _, cursor, _ = log_reader.read_new_lines(str(path), log_reader.Cursor())
    write(path, "\n" + log_line(0, 10, 2.3, 1.5e-05, 12.0, WHEN) + "\n")
    lines, _, _ = log_reader.read_new_lines(str(path), cursor)
    assert training_log.parse_step_line(lines[-1]).step == 10


def test_bytes_that_are_not_utf8_do_not_break_reading(tmp_path):
    path = tmp_path / "train-103.out"
    path.write_bytes(b"\xff\xfe garbage\n" + (log_line(0, 10, 2.3, 1.5e-05, 12.0, WHEN) + "\n").encode())
    lines, _, _ = log_reader.read_new_lines(str(path), log_reader.Cursor())
    assert training_log.parse_step_line(lines[1]).step == 10


def test_asctime_helper_matches_the_scripts_time_now():
    # time.asctime() with no argument is what the script calls: same text as asctime(localtime(now)).
    now = time.time()
    assert asctime(now)[:10] == time.asctime()[:10]


@pytest.mark.parametrize("planted", ["link", "fifo"])
def test_a_link_or_fifo_in_place_of_the_log_is_not_read(tmp_path, planted):
    # The agent runs as root; the run's logs/ is the jobs' user's, who could plant either.
    secret = tmp_path / "secret"
    secret.write_text(log_line(0, 10, 2.3, 1.5e-05, 12.4, WHEN) + "\n")
    log = tmp_path / "train-1.out"
    if planted == "link":
        log.symlink_to(secret)
    else:
        os.mkfifo(log)
    cursor = log_reader.Cursor()
    lines, after, note = log_reader.read_new_lines(str(log), cursor)
    assert (lines, after) == ([], cursor) and note.startswith("not read: ")
