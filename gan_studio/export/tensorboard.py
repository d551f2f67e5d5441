"""``gan-studio run --tensorboard DIR``: a Recorder that tees a run's rows and events into TensorBoard event files.

It satisfies the runner's ``Recorder`` protocol, so the run loop stays one: every row goes to the inner recorder
(the run folder's ``RunWriter``) first, then each of its values becomes a scalar tagged ``panel/column`` after the
column registry (``w1/w1_fast``, ``losses/loss_d``; a column drawn in no panel: ``other/name``); each event
becomes a text summary under ``events``; every ``picture_every`` logged rows, and at the end, the data view is
drawn with NumPy (``pictures.data_picture``) as an image under ``data/view``.

Written with the ``tensorboard`` package's own event writer and protos (no torch, no TensorFlow): install with
``pip install gan-studio[tensorboard]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gan_studio import columns
from gan_studio.config import ConfigError

if TYPE_CHECKING:
    from gan_studio.frames import Frame

PICTURE_EVERY = 50  # logged rows between pictures: a 20,000-step run at log_every 10 logs 2,000 rows, 40 pictures
PICTURE_TAG = "data/view"
EVENTS_TAG = "events"


class Recorder(Protocol):
    """The runner's Recorder protocol (``runner.Recorder``), restated so this module does not import the runner."""

    def row(self, row: dict) -> None: ...

    def event(self, event: dict) -> None: ...


class _NoRecorder:
    def row(self, row: dict) -> None:
        pass

    def event(self, event: dict) -> None:
        pass


def _writer_modules():
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
        from tensorboard.plugins.text import metadata as text_metadata
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise ConfigError("--tensorboard: the tensorboard package is not installed; "
                          "pip install 'gan-studio[tensorboard]'") from None
    return event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2, text_metadata, EventFileWriter


def scalar_tag(name: str, kind: str) -> str:
    """The TensorBoard tag of metrics column ``name`` on ``kind`` data: its time-series panel, then its name."""
    column = columns.lookup(name, kind)
    panel = column.panel if column is not None and column.panel else "other"
    return f"{panel}/{name}"


class TensorBoardRecorder:
    """Tees rows and events into ``inner`` and into an event file in ``logdir``.

    ``kind``: "1d", "2d" or "image" (picks each column's registry entry). ``frame_source``: returns the trainer's
    current Frame, for the data view picture every ``picture_every`` rows (None: no pictures). Taking a frame
    uses the measurement's own random streams, so the metrics are the same with or without pictures.
    """

    def __init__(self, logdir: str | Path, inner: Recorder | None = None, kind: str = "2d",
                 frame_source: Callable[[], Frame] | None = None, picture_every: int = PICTURE_EVERY):
        (self._event_pb2, self._summary_pb2, self._tensor_pb2, self._shape_pb2, self._types_pb2,
         self._text_metadata, writer_class) = _writer_modules()
        try:
            Path(logdir).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"--tensorboard: cannot create folder '{logdir}': {err.strerror or err}") from None
        self.logdir = Path(logdir)
        self.inner = inner if inner is not None else _NoRecorder()
        self.kind = kind
        self.frame_source = frame_source
        self.picture_every = max(1, int(picture_every))
        self.rows = 0
        self.last_picture_step: int | None = None
        self._pending: dict | None = None  # the newest row, written when the next one (or the final one) comes
        self._writer = writer_class(str(logdir), filename_suffix=".gan-studio")

    # -- the Recorder protocol --------------------------------------------------------------------------------
    def row(self, row: dict) -> None:
        """Record ``row`` in the inner recorder, then write its values as scalars (and a picture when due)."""
        self.inner.row(row)
        self._flush_pending()
        self._pending = row  # held, so that a final row of the same step replaces it (one point a step)
        self.rows += 1
        if self.frame_source is not None and self.rows % self.picture_every == 0:
            self.picture(int(row["step"]), self.frame_source())

    def event(self, event: dict) -> None:
        """Record ``event`` in the inner recorder, then write it as a text summary at its step."""
        self.inner.event(event)
        new = event.get("new")
        text = event["what"] if new is None else f"{event['what']}: {event.get('old')} → {new}"
        self._add(int(event["step"]), self._text_value(EVENTS_TAG, text))

    # -- writing ----------------------------------------------------------------------------------------------
    def scalars(self, row: dict) -> None:
        """One scalar per measured value of ``row`` (empty cells, None, are skipped) at the row's step."""
        values = []
        for name, value in row.items():
            if name == "step" or value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            values.append(self._summary_pb2.Summary.Value(tag=scalar_tag(name, self.kind), simple_value=number))
        if values:
            self._add(int(row["step"]), *values)

    def picture(self, step: int, frame: Frame) -> None:
        """The data view of ``frame`` as an image summary at ``step``."""
        from gan_studio.export.pictures import data_picture, png_bytes  # NumPy and Pillow: only when drawing

        picture = data_picture(frame)
        image = self._summary_pb2.Summary.Image(height=picture.shape[0], width=picture.shape[1], colorspace=3,
                                                encoded_image_string=png_bytes(picture))
        self._add(step, self._summary_pb2.Summary.Value(tag=PICTURE_TAG, image=image))
        self.last_picture_step = step

    def final(self, row: dict, frame: Frame | None = None) -> None:
        """The run's last row (carrying every metric) and the final picture; it replaces a held row of the same
        step, keeping that row's values where it has none, as ``RunWriter.final_row`` does in metrics.csv (the
        inner recorder's final row is the caller's business)."""
        pending, self._pending = self._pending, None
        if pending is not None and pending["step"] == row["step"]:
            row = {**pending, **{name: value for name, value in row.items() if value is not None}}
        elif pending is not None:
            self.scalars(pending)
        self.scalars(row)
        if frame is not None and self.last_picture_step != int(row["step"]):
            self.picture(int(row["step"]), frame)

    def close(self) -> None:
        """Write the held row, flush and close the event file."""
        self._flush_pending()
        self._writer.close()

    def _flush_pending(self) -> None:
        if self._pending is not None:
            self.scalars(self._pending)
            self._pending = None

    def _text_value(self, tag: str, text: str):
        tensor = self._tensor_pb2.TensorProto(dtype=self._types_pb2.DT_STRING,
                                              tensor_shape=self._shape_pb2.TensorShapeProto(),
                                              string_val=[text.encode("utf-8")])
        metadata = self._text_metadata.create_summary_metadata(display_name=tag, description="")
        return self._summary_pb2.Summary.Value(tag=tag, metadata=metadata, tensor=tensor)

    def _add(self, step: int, *values) -> None:
        summary = self._summary_pb2.Summary(value=list(values))
        self._writer.add_event(self._event_pb2.Event(step=step, wall_time=time.time(), summary=summary))

