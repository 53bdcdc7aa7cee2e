"""render_report.py: the HTML page of a run's perplexity report, read back with the standard library's HTML
parser (structure, chart geometry, escaping), its refusal of malformed reports (exit 2, the field named, nothing
written), and its atomic write. The sample report data/sample/evaluation/perplexity.json is the main input; the
browser test (test/report/report-render.test.ts) renders the same file in headless Chromium."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from training_sandbox import REPO, TRAINING

sys.path.insert(0, str(TRAINING))
import render_report  # noqa: E402
from report_page import formats  # noqa: E402

RENDERER = TRAINING / "render_report.py"
SAMPLE = REPO / "data" / "sample" / "evaluation" / "perplexity.json"
VOID = {"meta", "br", "img", "input", "link", "hr", "wbr", "source", "area", "base", "col", "embed", "param", "track"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.content, self.text = [], [], ""  # content: text and children, in order

    def matches(self, tag, attrs) -> bool:
        if tag is not None and self.tag != tag:
            return False
        for key, value in attrs.items():
            key = key.rstrip("_")
            actual = self.attrs.get(key)
            if key == "class" and (actual is None or value not in actual.split()):
                return False
            if key != "class" and actual != value:
                return False
        return True

    def find_all(self, tag=None, **attrs):
        found = []
        for child in self.children:
            if child.matches(tag, attrs):
                found.append(child)
            found += child.find_all(tag, **attrs)
        return found

    def all_text(self):
        return "".join(part if isinstance(part, str) else part.all_text() for part in self.content)


class Tree(HTMLParser):
    """A small DOM: every element with its attributes (entities decoded), children and text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [], None)
        self.current = self.root
        self.tags = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        self.current.content.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        self.current.content.append(element)

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"unbalanced </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.text += data
        self.current.content.append(data)


def sample() -> dict:
    return json.loads(SAMPLE.read_text())


def render(tmp_path, report, name="report.html"):
    source = tmp_path / "perplexity.json"
    source.write_text(json.dumps(report) if not isinstance(report, str) else report)
    output = tmp_path / name
    result = subprocess.run(
        [sys.executable, str(RENDERER), str(source), str(output)], capture_output=True, text=True, timeout=60
    )
    return result, output


def rendered(tmp_path, report) -> tuple:
    result, output = render(tmp_path, report)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text = output.read_text(encoding="utf-8")
    return text, Tree(text)


def points_of(polyline) -> list:
    return [tuple(map(float, pair.split(","))) for pair in polyline.attrs["points"].split()]


def chart_geometry(chart):
    [area] = chart.find_all("rect", class_="plot-area")
    x, y, w, h = (float(area.attrs[k]) for k in ("x", "y", "width", "height"))
    [series] = chart.find_all("polyline", class_="series")
    circles = chart.find_all("circle", class_="point")
    return (x, y, w, h), series, circles


# --- The sample report ---


def test_the_sample_is_a_realistic_report():
    report = sample()
    assert report["tokensPerStep"] == 2048 * 4096 and report["baseModel"] == "meta-llama/Llama-2-7b-hf"
    names = [m["name"] for m in report["models"]]
    assert names[0] == "base" and len(names) == 5
    domain = [m["sets"]["domain"]["perplexity"] for m in report["models"]]
    general = [m["sets"]["general"]["perplexity"] for m in report["models"]]
    assert domain == sorted(domain, reverse=True) and 7.8 < domain[0] < 8.0 and 5.5 < domain[-1] < 5.7
    assert general == sorted(general) and 6.0 < general[0] < 6.2 and 6.2 < general[-1] < 6.4
    for model in report["models"]:
        assert model["trainedTokens"] == model["step"] * report["tokensPerStep"]


def test_one_chart_per_set_with_one_point_per_model(tmp_path):
    report = sample()
    text, tree = rendered(tmp_path, report)
    charts = tree.root.find_all("svg", class_="chart")
    assert [c.attrs["data-set"] for c in charts] == ["domain", "general"]
    models = report["models"]
    for chart in charts:
        set_name = chart.attrs["data-set"]
        (x, y, w, h), series, circles = chart_geometry(chart)
        vertices = points_of(series)
        assert len(vertices) == len(circles) == len(models)
        assert [c.attrs["data-model"] for c in circles] == [m["name"] for m in models]
        for (px, py), circle in zip(vertices, circles):
            assert (float(circle.attrs["cx"]), float(circle.attrs["cy"])) == (px, py)
            assert x <= px <= x + w and y <= py <= y + h
        # x: trained tokens from 0 (the base model at the left edge), growing with each checkpoint.
        xs = [px for px, _ in vertices]
        assert xs[0] == x and xs == sorted(xs) and len(set(xs)) == len(xs)
        # y: screen coordinates grow downwards, so a falling perplexity has growing y.
        ys = [py for _, py in vertices]
        values = [m["sets"][set_name]["perplexity"] for m in models]
        assert sorted(range(len(ys)), key=lambda i: ys[i]) == sorted(range(len(values)), key=lambda i: -values[i])
        # The base model's level as a dashed line across the plot, at the base point's height.
        [base_line] = chart.find_all("line", class_="base-line")
        assert base_line.attrs["stroke-dasharray"]
        assert float(base_line.attrs["y1"]) == float(base_line.attrs["y2"]) == ys[0]
        assert float(base_line.attrs["x1"]) == x and float(base_line.attrs["x2"]) == x + w
        labels = [t.text for t in chart.find_all("text", class_="tick")]
        assert "0" in labels and "20 B" in labels and "80 B" in labels
        titles = [t.text for t in chart.find_all("text", class_="axis-title")]
        assert titles == ["Trained tokens (billions of tokens, linear scale)", "Perplexity (lower is better)"]
        value_labels = [t.text for t in chart.find_all("text", class_="value-label")]
        assert value_labels == [f"{v:.2f}" for v in values]
    # The two series have different colours.
    colours = {chart_geometry(c)[1].attrs["stroke"] for c in charts}
    assert len(colours) == 2


def test_the_table_and_the_header(tmp_path):
    report = sample()
    text, tree = rendered(tmp_path, report)
    rows = tree.root.find_all("tr", class_="model-row")
    assert [r.attrs["data-model"] for r in rows] == ["base", "step_2500", "step_5000", "step_7500", "step_10000"]
    last = [" ".join(cell.all_text().split()) for cell in rows[-1].children]
    assert last == [
        "step_10000",
        "10,000",
        "83.9 B",
        "5.610",
        "\u221229.1%",
        "32 / 131,040",
        "6.302",
        "+3.2%",
        "32 / 131,040",
    ]
    base = [" ".join(cell.all_text().split()) for cell in rows[0].children]
    assert base[:5] == ["base base", "0", "0", "7.914", "\u2014"]
    assert tree.root.find_all("title")[0].text == "Perplexity report: pubmed-v1"
    assert tree.root.find_all("h1")[0].text == "Perplexity report: pubmed-v1"
    meta = {
        " ".join(d.children[0].all_text().split()): " ".join(d.children[1].all_text().split())
        for d in tree.root.find_all("dl")[0].children
    }
    assert meta["Base model"] == "meta-llama/Llama-2-7b-hf"
    assert meta["Evaluated"] == "2026-10-28 14:32 UTC"
    assert meta["Rows per set"].startswith("32")
    assert meta["Tokens per step"].startswith("8.4 M") and "8,388,608" in meta["Tokens per step"]
    assert meta["Checkpoints"].startswith("4")
    # The headline of each set: base -> last checkpoint.
    headlines = [" ".join(p.all_text().split()) for p in tree.root.find_all("p", class_="headline")]
    assert headlines == ["7.91 \u2192 5.61 \u221229.1%", "6.11 \u2192 6.30 +3.2%"]


def test_the_page_is_self_contained(tmp_path):
    text, tree = rendered(tmp_path, sample())
    assert not [tag for tag, _ in tree.tags if tag in ("script", "link", "img", "iframe", "object", "embed")]
    for tag, attrs in tree.tags:
        assert not {"src", "href"} & set(attrs), tag
        assert not [name for name in attrs if name.startswith("on")], tag
    assert "url(" not in text and "@import" not in text and "@font-face" not in text
    assert not re.search(r"https?://", text)
    [csp] = [a for t, a in tree.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp["content"].startswith("default-src 'none'")


def test_the_output_is_the_same_every_time(tmp_path):
    first, _ = rendered(tmp_path, sample())
    second, _ = rendered(tmp_path, sample())
    assert first == second


def test_models_are_drawn_in_order_of_trained_tokens(tmp_path):
    report = sample()
    report["models"] = report["models"][::-1]
    text, tree = rendered(tmp_path, report)
    assert [r.attrs["data-model"] for r in tree.root.find_all("tr", class_="model-row")] == [
        "base",
        "step_2500",
        "step_5000",
        "step_7500",
        "step_10000",
    ]


def test_trained_tokens_come_from_tokens_per_step_when_a_model_lacks_them(tmp_path):
    report = sample()
    for model in report["models"]:
        del model["trainedTokens"]
    report["tokensPerStep"] = 1024 * 4096
    text, tree = rendered(tmp_path, report)
    cells = [" ".join(c.all_text().split()) for c in tree.root.find_all("tr", class_="model-row")[-1].children]
    assert cells[2] == "41.9 B"


# --- Escaping ---

HOSTILE = '</title><script>alert("x")</script><img src=x onerror=alert(1)>&amp;\'"'


def test_every_string_of_the_report_is_escaped(tmp_path):
    report = sample()
    report["run"] = HOSTILE
    report["baseModel"] = "meta-llama/" + HOSTILE
    report["evaluatedAt"] = HOSTILE
    report["evalPaths"]["domain"] = "/fsx/" + HOSTILE
    report["models"][1]["name"] = "step_2500" + HOSTILE
    report["models"][2]["model"] = HOSTILE
    report["models"][2]["device"] = HOSTILE
    for model in report["models"]:
        model["sets"]["general"]["path"] = HOSTILE
        model["sets"][HOSTILE] = dict(model["sets"]["domain"])  # a third set, named with markup
    text, tree = rendered(tmp_path, report)
    assert {tag for tag, _ in tree.tags} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "main",
        "header",
        "p",
        "h1",
        "h2",
        "h3",
        "dl",
        "div",
        "dt",
        "dd",
        "span",
        "section",
        "strong",
        "ul",
        "li",
        "svg",
        "line",
        "circle",
        "rect",
        "text",
        "polyline",
        "g",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "details",
        "summary",
        "footer",
    }
    for tag, attrs in tree.tags:
        assert not [name for name in attrs if name.startswith("on") or name in ("src", "href")], (tag, attrs)
    assert "<script" not in text and "<img" not in text
    # The strings are all there, as text, exactly as in the JSON.
    assert tree.root.find_all("h1")[0].text == f"Perplexity report: {HOSTILE}"
    assert tree.root.find_all("title")[0].text == f"Perplexity report: {HOSTILE}"
    charts = tree.root.find_all("svg", class_="chart")
    assert [c.attrs["data-set"] for c in charts] == ["domain", "general", HOSTILE]
    assert [r.attrs["data-model"] for r in tree.root.find_all("tr", class_="model-row")][1] == "step_2500" + HOSTILE
    page_text = tree.root.all_text()
    for expected in (f"meta-llama/{HOSTILE}", f"/fsx/{HOSTILE}", HOSTILE + " bfloat16"):
        assert expected in page_text


# --- Smaller reports ---


def test_a_report_without_a_general_set_has_one_chart(tmp_path):
    report = sample()
    report["evalPaths"]["general"] = None
    for model in report["models"]:
        del model["sets"]["general"]
    text, tree = rendered(tmp_path, report)
    assert [c.attrs["data-set"] for c in tree.root.find_all("svg", class_="chart")] == ["domain"]
    assert [s.attrs["data-set"] for s in tree.root.find_all("section", class_="set")] == ["domain"]
    assert len(tree.root.find_all("tr", class_="model-row")[0].children) == 3 + 3
    assert "general" not in tree.root.find_all("table")[0].all_text()


def test_a_report_of_the_base_model_alone(tmp_path):
    report = sample()
    report["models"] = report["models"][:1]
    text, tree = rendered(tmp_path, report)
    for chart in tree.root.find_all("svg", class_="chart"):
        (x, y, w, h), series, circles = chart_geometry(chart)
        assert len(points_of(series)) == len(circles) == 1
        cx, cy = float(circles[0].attrs["cx"]), float(circles[0].attrs["cy"])
        assert cx == x and y < cy < y + h
        assert "only the base model" in chart.find_all("text", class_="empty-note")[0].text
    assert len(tree.root.find_all("tr", class_="model-row")) == 1
    assert "7.914 (base model only)" in " ".join(tree.root.find_all("p", class_="headline")[0].all_text().split())


def test_a_report_with_an_old_file_without_a_date(tmp_path):
    report = sample()
    del report["evaluatedAt"]
    text, tree = rendered(tmp_path, report)
    assert "not recorded" in tree.root.find_all("dl")[0].all_text()


def test_small_runs_get_token_units_that_fit(tmp_path):
    report = sample()
    report["tokensPerStep"] = 16 * 4096
    for index, model in enumerate(report["models"]):
        model["step"] = index * 2
        model["trainedTokens"] = model["step"] * report["tokensPerStep"]
    text, tree = rendered(tmp_path, report)
    [chart, _] = tree.root.find_all("svg", class_="chart")
    assert [t.text for t in chart.find_all("text", class_="axis-title")][
        0
    ] == "Trained tokens (thousands of tokens, linear scale)"
    labels = [t.text for t in chart.find_all("text", class_="tick") if t.text.endswith("K")]
    assert labels and all(re.fullmatch(r"[\d,.]+ K", label) for label in labels)


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, "0"),
        (999, "999"),
        (65_536, "65.5 K"),
        (8_388_608, "8.4 M"),
        (20_971_520_000, "21.0 B"),
        (83_886_080_000, "83.9 B"),
        (250_000_000_000, "250 B"),
        (1_500_000_000_000, "1.5 T"),
    ],
)
def test_token_counts_are_in_readable_units(value, expected):
    assert formats.fmt_tokens(value) == expected


# --- Malformed reports: exit 2, the field named, nothing written ---


def drop_set(report):
    del report["models"][1]["sets"]["general"]


def set_value(path, value):
    def change(report):
        target = report
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def delete(path):
    def change(report):
        target = report
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def rename_base(report):
    report["models"][0]["name"] = "step_0"


MALFORMED = [
    (set_value(["models"], []), "models: must be a non-empty list"),
    (delete(["models"]), "models: must be a non-empty list"),
    (rename_base, 'models: no model named "base"'),
    (drop_set, "models[1] (step_2500).sets.general: missing"),
    (delete(["models", 0, "sets", "domain"]), "(base).sets.domain: missing"),
    (
        set_value(["models", 2, "sets", "domain", "perplexity"], "5.98"),
        'models[2] (step_5000).sets.domain.perplexity: must be a positive number (got "5.98")',
    ),
    (
        set_value(["models", 2, "sets", "domain", "perplexity"], None),
        "models[2] (step_5000).sets.domain.perplexity: must be a positive number (got null)",
    ),
    (
        set_value(["models", 2, "sets", "domain", "perplexity"], True),
        "models[2] (step_5000).sets.domain.perplexity: must be a positive number (got true)",
    ),
    (set_value(["models", 2, "sets", "domain", "perplexity"], 0), "models[2] (step_5000).sets.domain.perplexity"),
    (
        set_value(["models", 3, "sets", "general", "perplexity"], float("nan")),
        "models[3] (step_7500).sets.general.perplexity: must be a positive number (got NaN)",
    ),
    (
        set_value(["models", 3, "sets", "general", "perplexity"], float("inf")),
        "models[3] (step_7500).sets.general.perplexity",
    ),
    (set_value(["models", 1, "sets", "domain", "rows"], "32"), "models[1] (step_2500).sets.domain.rows"),
    (set_value(["models", 1, "step"], -1), "models[1] (step_2500).step: must be an integer of at least 0"),
    (set_value(["models", 1, "name"], "base"), "models[1] (base).name: appears twice"),
    (set_value(["models", 1, "sets"], {}), "models[1] (step_2500).sets: must be an object"),
    (
        set_value(["models", 1, "sets", "legal"], {"perplexity": 3.0, "rows": 1, "tokens": 4095}),
        "models[1] (step_2500).sets.legal: not scored for the base model",
    ),
    (set_value(["models", 4], "step_10000"), "models[4]: must be an object"),
    (delete(["run"]), "run: must be a non-empty string (got null)"),
    (set_value(["maxRowsPerSet"], "32"), "maxRowsPerSet: must be an integer of at least 1"),
    (set_value(["evalPaths"], ["/fsx/x"]), "evalPaths: must be an object"),
]


@pytest.mark.parametrize("change, message", MALFORMED, ids=[m for _, m in MALFORMED])
def test_a_malformed_report_is_refused_naming_the_field(tmp_path, capsys, change, message):
    report = sample()
    change(report)
    source = tmp_path / "perplexity.json"
    source.write_text(json.dumps(report))
    output = tmp_path / "report.html"
    assert render_report.main([str(source), str(output)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"render_report: {source}: ") and message in error, error
    assert error.count("\n") == 1  # one line, no traceback
    assert not output.exists() and os.listdir(tmp_path) == ["perplexity.json"]


def test_no_tokens_per_step_and_no_trained_tokens_is_refused(tmp_path, capsys):
    report = sample()
    del report["tokensPerStep"]
    del report["models"][1]["trainedTokens"]
    (tmp_path / "p.json").write_text(json.dumps(report))
    assert render_report.main([str(tmp_path / "p.json"), str(tmp_path / "r.html")]) == 2
    assert "tokensPerStep: missing, and models[1] (step_2500) has no trainedTokens" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
        ("[1, 2]", "the report must be a JSON object (got list)"),
        ("", "not JSON"),
    ],
)
def test_a_file_that_is_not_a_report_is_refused(tmp_path, text, message):
    result, output = render(tmp_path, text)
    assert result.returncode == 2 and message in result.stderr and not output.exists()


def test_the_command_line(tmp_path):
    missing = subprocess.run(
        [sys.executable, str(RENDERER), str(tmp_path / "nope.json"), str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "nope.json: cannot read the report: No such file or directory" in missing.stderr
    for argv in ([], [str(SAMPLE)], [str(SAMPLE), "a", "b"], ["--help"]):
        usage = subprocess.run([sys.executable, str(RENDERER), *argv], capture_output=True, text=True)
        assert usage.returncode == 2 and usage.stderr.startswith("usage: render_report.py PERPLEXITY_JSON OUTPUT_HTML")
    result, output = render(tmp_path, sample())
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# --- The write ---


def test_the_page_replaces_the_old_one_in_one_rename(tmp_path):
    output = tmp_path / "report.html"
    output.write_text("old page")
    before = os.stat(output).st_ino
    text, _ = rendered(tmp_path, sample())
    assert os.stat(output).st_ino != before  # a new file renamed over the old one, not rewritten in place
    assert oct(os.stat(output).st_mode & 0o777) == "0o644"
    assert sorted(os.listdir(tmp_path)) == ["perplexity.json", "report.html"]


def test_a_failed_write_leaves_the_old_page_and_no_temporary_file(tmp_path, monkeypatch, capsys):
    output = tmp_path / "report.html"
    output.write_text("old page")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render_report.os, "fsync", broken_fsync)
    assert render_report.main([str(SAMPLE), str(output)]) == 1
    error = capsys.readouterr().err
    assert f"cannot write {output}" in error and "No space left on device" in error
    assert output.read_text() == "old page"
    assert os.listdir(tmp_path) == ["report.html"]


def test_a_malformed_report_leaves_the_old_page(tmp_path):
    result, output = render(tmp_path, {"run": "r", "models": []}, name="report.html")
    assert result.returncode == 2
    output.write_text("old page")
    result, output = render(tmp_path, {"run": "r", "models": []}, name="report.html")
    assert result.returncode == 2 and output.read_text() == "old page"


def test_the_renderer_is_standard_library_only():
    """It runs with the cluster's system python3: the standard library, its modules (report_page/) and the helpers
    next to it (the same), and nothing else."""

    def imports(path):
        return set(re.findall(r"^(?:from|import) (\w+)", path.read_text(), re.MULTILINE))

    def python_files(name):  # a module next to the renderer, or a package's modules; none for any other name
        folder, module = RENDERER.with_name(name), RENDERER.with_name(f"{name}.py")
        return sorted(folder.glob("*.py")) if folder.is_dir() else [module] if module.is_file() else []

    local, other, todo = set(), set(), ["render_report"]
    while todo:  # every module the renderer imports, and theirs
        name = todo.pop()
        local.add(name)
        for imported in set().union(*map(imports, python_files(name))) - local:
            if python_files(imported):
                todo.append(imported)
            else:
                other.add(imported)
    assert "report_page" in local and "html" in other
    assert other <= sys.stdlib_module_names, other - sys.stdlib_module_names
