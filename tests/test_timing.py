"""cnn_course.widgets.timing prints one format, and the nbval sanitizers really neutralise it."""

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

from cnn_course.widgets import timing

SANITIZE_CFG = Path(__file__).with_name("nbval_sanitize.cfg")


def sanitize(text):
    """Apply tests/nbval_sanitize.cfg exactly as nbval does (same parser, same order)."""
    for regex, replace in get_sanitize_patterns(SANITIZE_CFG.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("seconds, expected", [
    (1.234, "1.23 s"), (12.34, "12.3 s"), (0.0456, "45.6 ms"), (7.89e-4, "789 us"),
    (1.2e-8, "12.0 ns"), (0.99996, "1.00 s"), (0.5, "500 ms"), (2000.4, "2000 s"),
])
def test_format_seconds_uses_three_significant_digits_and_a_unit(seconds, expected):
    assert timing.format_seconds(seconds) == expected


def test_format_seconds_rejects_negative_and_nan():
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="must be >= 0"):
            timing.format_seconds(bad)


def test_timer_measures_and_prints_one_time_line(capsys):
    with timing.Timer("naive conv2d") as t:
        sum(range(1000))
    out = capsys.readouterr().out
    assert t.seconds > 0
    assert re.fullmatch(r"\[time\] naive conv2d: [0-9.]+ (s|ms|us|ns)\n", out)


def test_unnamed_timer_prints_nothing(capsys):
    with timing.Timer() as t:
        pass
    assert capsys.readouterr().out == "" and t.seconds >= 0


def test_report_speedup_returns_the_ratio_a_over_b(capsys):
    ratio = timing.report_speedup("loops", 2.0, "im2col", 0.02)
    assert ratio == pytest.approx(100.0)
    assert capsys.readouterr().out == "[time] loops: 2.00 s | im2col: 20.0 ms | speedup: 100.0x\n"


def test_report_speedup_rejects_names_that_would_break_the_format():
    with pytest.raises(ValueError, match="names may not contain"):
        timing.report_speedup("a: b", 1.0, "c", 1.0)


def test_best_time_calls_the_function_repeat_times_number():
    calls = []
    assert timing.best_time(lambda: calls.append(1), repeat=3, number=2) >= 0
    assert len(calls) == 6


@pytest.mark.parametrize("seconds_a, seconds_b", [(1.234, 0.0123), (123.0, 4.5e-7), (0.8, 1.1)])
def test_sanitizer_makes_two_speedup_reports_identical(capsys, seconds_a, seconds_b):
    timing.report_speedup("loops", seconds_a, "im2col", seconds_b)
    timing.report_speedup("loops", 1.0, "im2col", 1.0)
    first, second = capsys.readouterr().out.splitlines()
    assert first != second
    assert sanitize(first) == sanitize(second) == (
        "[time] loops: <TIME> | im2col: <TIME> | speedup: <RATIO>x")


def test_sanitizer_makes_two_timer_lines_identical_but_keeps_the_name(capsys):
    for _ in range(2):
        with timing.Timer("forward pass"):
            pass
    print("[time] forward pass: 3.21 s")
    lines = capsys.readouterr().out.splitlines()
    assert {sanitize(line) for line in lines} == {"[time] forward pass: <TIME>"}
    assert sanitize("[time] backward pass: 1.00 s") != sanitize(lines[0])


def test_sanitizer_leaves_other_numbers_alone():
    text = "loss 0.123 after 3 s\naccuracy: 97.5 %\n[time] typed by hand 3 s\n"
    assert sanitize(text) == text


def test_sanitizer_replaces_image_bytes_inside_html_but_keeps_the_markup():
    a = '<img class="cnn-widget-frame" src="data:image/png;base64,iVBORw0KGgoAAA+/=">'
    b = '<img class="cnn-widget-frame" src="data:image/png;base64,iVBORw0KGgoBBB/+=">'
    assert sanitize(a) == sanitize(b) == (
        '<img class="cnn-widget-frame" src="data:image/png;base64,<IMAGE-BYTES>">')
    assert sanitize(a.replace("cnn-widget-frame", "other")) != sanitize(a)


def test_sanitizer_replaces_tqdm_times_but_keeps_counts_and_postfix():
    a = "100%|##########| 10/10 [00:03<00:00,  2.95it/s, loss=0.231]"
    b = "100%|##########| 10/10 [01:12<00:00,  7.10s/it, loss=0.231]"
    assert sanitize(a) == sanitize(b)
    assert "10/10" in sanitize(a) and "loss=0.231" in sanitize(a)
    assert sanitize(a) != sanitize(a.replace("loss=0.231", "loss=0.232"))


def _tiers_result(with_torch=True):
    tiers = {"naive": 20.0, "reference": 0.18, "fast": 0.06, "torch": 0.05}
    if not with_torch:
        del tiers["torch"]
    times = {"conv": dict(tiers), "pool": {k: v / 2 for k, v in tiers.items()}}
    ratios = {op: {k: v / t["fast"] for k, v in t.items()} for op, t in times.items()}
    return {"date": "2026-12-01", "ms_per_image": times, "ratio_to_fast": ratios,
            "versions": {"numpy": "2.4.6", **({"torch": "2.13.0"} if with_torch else {})},
            "machine": {"cpu": "Test CPU", "blas": {"architecture": "Haswell"}},
            "naive_note": "the loops ran on 2 images"}


def test_tier_table_shows_every_stored_tier_with_its_time_and_ratio():
    table = timing.tier_table(_tiers_result())
    rows = table.splitlines()
    assert "fast" in rows[0] and "conv" in rows[0]
    naive = next(r for r in rows if r.startswith("loops"))
    assert "20.0 ms" in naive and "333x" in naive and "10.0 ms" in naive
    fast = next(r for r in rows if r.startswith("fast tier"))
    assert "60.0 us" in fast and fast.count("1.00x") == 2
    torch = next(r for r in rows if r.startswith("PyTorch"))
    assert torch.count("0.83x") == 2
    assert "PyTorch" in table and "torch 2.13.0" in table
    assert "Test CPU" in table and "Haswell" in table and "2026-12-01" in table


def test_tier_table_leaves_out_pytorch_when_it_was_not_measured():
    table = timing.tier_table(_tiers_result(with_torch=False))
    assert "PyTorch" not in table and "torch" not in table
    assert len([r for r in table.splitlines() if r.endswith("x")]) == 3


def test_load_measured_reads_the_stored_json_and_names_a_missing_file(tmp_path):
    import json
    (tmp_path / "demo.json").write_text(json.dumps({"a": 1}), encoding="utf-8")
    assert timing.load_measured("demo", folder=tmp_path) == {"a": 1}
    with pytest.raises(FileNotFoundError, match="missing.json"):
        timing.load_measured("missing", folder=tmp_path)


def test_the_stored_conv_tiers_measurement_makes_a_table():
    result = timing.load_measured("conv_tiers")
    table = timing.tier_table(result)
    for tier in ("naive", "reference", "fast"):
        assert tier in result["ms_per_image"]["conv"]
    assert "im2col (functional)" in table


def test_the_stored_conv_tiers_back_what_chapter_5_says_of_them():
    """Chapter 5.8: the big step is loops -> one matrix product; the fast tier is a further,
    smaller step. The stored measurement must say so, for the convolution and the pooling."""
    times = timing.load_measured("conv_tiers")["ms_per_image"]
    for op in ("conv", "pool"):
        t = times[op]
        assert t["naive"] / t["reference"] > t["reference"] / t["fast"] > 1, (op, t)


def _step_result():
    row = {"layer": "Conv2D(1, 6, kernel_size=5, stride=1, padding=2)", "numpy_forward_ms": 6.5,
           "numpy_backward_ms": 5.25, "torch_forward_ms": 4.75, "torch_backward_ms": 10.5}
    return {"date": "2026-12-02", "cpu": "Test CPU", "batch": 256, "numpy": "2.4.6",
            "openblas_kernel": "SkylakeX", "torch": "2.13.0+cpu",
            "step_ms": {"cpu": {"layers": 28.0, "fused": 19.6, "torch": 39.2}},
            "ratio": {"layers": {"cpu": 28.0 / 39.2}, "fused": {"cpu": 0.5}}, "layers": [row]}


def test_step_table_shows_both_networks_their_ratios_and_every_layer():
    from cnn_course.widgets.timing import step_table
    text = step_table(_step_result())
    lines = text.splitlines()

    assert "28.0 ms" in lines[1] and lines[1].endswith("0.71x")
    assert "19.6 ms" in lines[2] and lines[2].endswith("0.50x")
    assert lines[3].startswith("PyTorch eager") and lines[3].endswith("1.00x")
    layer = next(line for line in lines if line.startswith("Conv2D(1, 6"))
    assert layer.split()[-4:] == ["6.50", "4.75", "5.25", "10.50"]
    footer = " ".join(lines[-4:])
    assert footer.startswith("Measured by the course's maintainers on 2026-12-02")
    assert "batch 256) on Test CPU," in footer
    assert footer.endswith("numpy 2.4.6, OpenBLAS SkylakeX kernel, torch 2.13.0+cpu.")
