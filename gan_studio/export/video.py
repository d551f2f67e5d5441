"""Video and GIF files written frame by frame (``gan-studio render --video``): frames stream to ffmpeg, none is kept.

ffmpeg comes with the ``imageio-ffmpeg`` wheel (no system package): ``pip install gan-studio[video]``. An MP4 is
H.264 in yuv420p (plays everywhere; sides cropped to even pixel counts, as yuv420p needs); a GIF gets a palette of
its own per frame (ffmpeg's palettegen/paletteuse, one frame at a time, so memory stays bounded), looping.

Every frame must have the first frame's size: a smaller or larger one is padded with white or cropped, so a
widget that changes size by a pixel mid-run does not end the video. No Qt and no torch here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gan_studio.config import ConfigError

DEFAULT_FRAMES = 150  # 5 s at 30 fps: enough to watch a run unfold, a GIF of a data view stays a few MB
DEFAULT_FPS = 30.0
FRAMES_RANGE = (1, 3000)
SUFFIXES = (".mp4", ".gif")
# One palette per frame: plots are a few flat colours, a shared palette for a whole run would band the surface.
GIF_FILTER = "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1"


def check_video_path(path: str | os.PathLike) -> Path:
    """The path if it names a .mp4 or .gif in an existing folder; else a ConfigError saying what is allowed."""
    out = Path(path)
    if out.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"--video: expected a .mp4 or .gif file name, got '{out}'")
    if not out.parent.exists():
        raise ConfigError(f"--video: folder '{out.parent}' does not exist")
    return out


def check_frames(frames: int, fps: float) -> None:
    """A ConfigError naming the option unless ``frames`` and ``fps`` are usable."""
    lo, hi = FRAMES_RANGE
    if not lo <= frames <= hi:
        raise ConfigError(f"--frames: expected {lo} to {hi}, got {frames}")
    if not 1 <= fps <= 120:
        raise ConfigError(f"--fps: expected 1 to 120 frames per second, got {fps:g}")


def frame_steps(steps: int, frames: int, start: int = 0) -> list[int]:
    """The step counts at which to take ``frames`` video frames of a run trained to ``steps``: evenly spaced from
    ``start`` (0: the untrained nets) to ``steps``, whole and distinct (fewer than ``frames`` when the stretch has
    fewer steps). The last is always ``steps`` (one frame: only it); ``start`` comes first when there is room.
    Frame i of n is at ``start + round(i * (steps - start) / (n - 1))``."""
    if steps <= start:
        return [steps]
    n = min(frames, steps - start + 1)
    if n == 1:
        return [steps]
    # spacing ≥ 1 step, so the rounded steps are distinct; the set only guards the float round-off
    return sorted({int(round(v)) for v in np.linspace(start, steps, n)})


def check_start(start: int, steps: int) -> None:
    """A ConfigError naming ``--video-from`` unless ``start`` is a step the video can begin at: 0 or later and
    before the run's last step ``steps`` (the run is trained from 0 either way; frames come from ``start`` on)."""
    if steps <= 0:
        raise ConfigError(f"--video-from: the run has no steps to start at (--steps {steps}); give --steps ≥ 1")
    if not 0 <= start < steps:
        raise ConfigError(f"--video-from: expected a step from 0 to {steps - 1} (below --steps {steps}), got {start}")


def fit(picture: np.ndarray, height: int, width: int) -> np.ndarray:
    """``picture`` cropped or padded with white (bottom and right) to ``height`` × ``width``."""
    out = np.full((height, width, 3), 255, np.uint8)
    h, w = min(height, picture.shape[0]), min(width, picture.shape[1])
    out[:h, :w] = picture[:h, :w, :3]
    return out


def check_ffmpeg() -> None:
    """A ConfigError (one line) when the imageio-ffmpeg package, which brings ffmpeg, is not installed (checked
    before any training starts: the writer opens at the first frame)."""
    import importlib.util

    if importlib.util.find_spec("imageio_ffmpeg") is None:
        raise ConfigError("--video: the imageio-ffmpeg package is not installed; pip install 'gan-studio[video]'")


class VideoWriter:
    """Appends (H, W, 3) uint8 frames to an .mp4 or .gif through ffmpeg, one at a time; use as a context manager."""

    def __init__(self, path: str | os.PathLike, fps: float = DEFAULT_FPS):
        self.path = check_video_path(path)
        self.fps = float(fps)
        self.gif = self.path.suffix.lower() == ".gif"
        self.size: tuple[int, int] | None = None  # (height, width), fixed by the first frame
        self.count = 0
        self._pipe = None

    def _open(self, height: int, width: int) -> None:
        check_ffmpeg()
        import imageio_ffmpeg
        if self.gif:
            options = dict(codec="gif", pix_fmt_out="pal8", output_params=["-vf", GIF_FILTER, "-loop", "0"])
        else:
            options = dict(codec="libx264", pix_fmt_out="yuv420p", quality=7)
        self._pipe = imageio_ffmpeg.write_frames(str(self.path), (width, height), fps=self.fps, macro_block_size=1,
                                                 ffmpeg_log_level="error", **options)
        self._pipe.send(None)  # start ffmpeg

    def append(self, picture: np.ndarray) -> None:
        """Add one frame (the first one fixes the video's size; later ones are fitted to it)."""
        picture = np.asarray(picture, np.uint8)
        if self.size is None:
            height, width = picture.shape[:2]
            if not self.gif:
                height, width = height - height % 2, width - width % 2  # yuv420p: even sides
            self.size = (height, width)
            self._open(height, width)
        self._pipe.send(np.ascontiguousarray(fit(picture, *self.size)))
        self.count += 1

    def close(self) -> None:
        """Finish the file (ffmpeg writes its trailer)."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
