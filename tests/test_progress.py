"""Progress lines of `gan-studio run` and `render`: percentage and time left."""

import io

from gan_studio.progress import Progress, percent, time_left


def test_percent_and_time_left():
    assert percent(250, 1000) == "25 %" and percent(0, 0) == "100 %"
    assert time_left(500, 1000, 100.0) == "5 s left"
    assert time_left(0, 20_000, 100.0) == "3 min 20 s left"
    assert time_left(1000, 1000, 0.0) == "done" and time_left(1, 10, 0.0) == "time left unknown"


def test_a_progress_line_names_step_percentage_and_time_left():
    out = io.StringIO()
    bar = Progress(400, stream=out)
    bar.update(100, {"loss_d": 1.25, "loss_g": 0.5}, force=True)
    line = out.getvalue()
    assert line.startswith("step 100/400 (25 %)") and " s left" in line and "loss_d 1.25" in line
