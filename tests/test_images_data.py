"""Image data sets: shipped digits, procedural shapes, IDX files and image folders, with every error path."""

from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from gan_studio.config import ConfigError, DataConfig
from gan_studio.data import get_dataset
from gan_studio.data.images import (
    FASHION_CLASSES,
    SHAPE_CLASSES,
    load_digits,
    load_image_dataset,
    load_shapes,
    read_idx,
    render_shapes,
)


# ----------------------------------------------------------------------------------------------- digits
def test_digits_is_the_uci_set():
    ds = get_dataset(DataConfig(name="digits"))
    assert ds.is_image and ds.name == "digits"
    assert ds.shape == (1, 8, 8) and ds.dim == 64
    assert len(ds) == 1797
    assert ds.class_names == [str(i) for i in range(10)]
    # class sizes of the UCI optical digits test set (as in scikit-learn's copy)
    assert np.bincount(ds.labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # grey levels 0..16 map to v/8 - 1: exactly the 17 values k/8 - 1
    assert np.unique(ds.images).tolist() == [k / 8 - 1 for k in range(17)]
    assert ds.bounds.shape == (0, 2)
    assert ds.class_histogram().sum() == pytest.approx(1.0, abs=1e-12)  # float rounding only


def test_image_sampling_uses_only_the_generator():
    ds = load_digits()
    a = ds.sample(50, torch.Generator().manual_seed(3))
    torch.manual_seed(123)  # the global RNG must not matter
    b = ds.sample(50, torch.Generator().manual_seed(3))
    assert a.dtype == torch.float32 and a.shape == (50, 1, 8, 8)
    assert torch.equal(a, b)
    # every sample is a stored image
    idx = torch.randint(0, len(ds), (50,), generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, torch.from_numpy(ds.images[idx.numpy()]))


# ----------------------------------------------------------------------------------------------- shapes
def test_shapes_are_deterministic_balanced_and_in_range():
    a, b, c = load_shapes(16, seed=0), load_shapes(16, seed=0), load_shapes(16, seed=1)
    assert a.shape == (1, 16, 16) and len(a) == 3000
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)
    assert a.class_names == SHAPE_CLASSES
    assert np.bincount(a.labels).tolist() == [600] * len(SHAPE_CLASSES)
    assert a.images.min() == -1.0 and a.images.max() == 1.0
    assert np.all(a.images[:, :, [0, -1], :] == -1.0)  # shapes stay inside: border rows are background
    assert np.all(a.images[:, :, :, [0, -1]] == -1.0)
    assert load_shapes(32, seed=0).shape == (1, 32, 32)


def test_shapes_through_get_dataset_use_image_size_and_seed():
    ds = get_dataset(DataConfig(name="shapes", image_size=32), seed=5)
    assert ds.shape == (1, 32, 32)
    assert np.array_equal(ds.images, load_shapes(32, seed=5).images)
    assert "seed 5" in ds.description


def test_shape_rendering_matches_the_distance_formula():
    # circle of radius 5 centred at (8, 8), stroke 1: ink = clip(1 - |dist - 5|, 0, 1) at pixel centres
    ink = render_shapes(np.array([0]), np.array([8.0]), np.array([8.0]), np.array([5.0]), np.array([1.0]), 16)[0]
    ys, xs = np.mgrid[0:16, 0:16] + 0.5
    expected = np.clip(1.0 - np.abs(np.hypot(xs - 8, ys - 8) - 5.0), 0, 1)
    assert ink == pytest.approx(expected, abs=1e-6)  # float32 storage of the same formula
    # cross, arms of half-length 4 centred at (8, 8), stroke 1: the pixel centred on an arm is full ink
    cross = render_shapes(np.array([3]), np.array([8.0]), np.array([8.0]), np.array([4.0]), np.array([1.0]), 16)[0]
    assert cross[7, 10] == pytest.approx(1.0 - 0.5, abs=1e-6)  # centre (10.5, 7.5) is 0.5 px from the arm y = 8
    assert cross[2, 2] == 0.0


def test_shapes_need_at_least_8_pixels():
    with pytest.raises(ConfigError, match="image_size"):
        load_shapes(6)


# --------------------------------------------------------------------------------------------------- IDX
def _idx_bytes(magic: int, dims: tuple[int, ...], data: np.ndarray) -> bytes:
    return struct.pack(">i", magic) + struct.pack(f">{len(dims)}i", *dims) + data.astype(np.uint8).tobytes()


def _write_mnist(folder, images: np.ndarray, labels: np.ndarray, gz: bool, img_dims=None, lab_dims=None):
    folder.mkdir(parents=True, exist_ok=True)
    img = _idx_bytes(0x803, img_dims or images.shape, images)
    lab = _idx_bytes(0x801, lab_dims or labels.shape, labels)
    suffix = ".gz" if gz else ""
    for name, blob in (("train-images-idx3-ubyte", img), ("train-labels-idx1-ubyte", lab)):
        (folder / (name + suffix)).write_bytes(gzip.compress(blob) if gz else blob)


@pytest.fixture
def small_mnist():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 28, 28)).astype(np.uint8)
    labels = (np.arange(12) % 10).astype(np.uint8)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_idx_pair_loads_exactly(tmp_path, small_mnist, gz):
    images, labels = small_mnist
    _write_mnist(tmp_path, images, labels, gz)
    ds = get_dataset(DataConfig(name="mnist", path=str(tmp_path), image_size=28))
    assert ds.shape == (1, 28, 28) and len(ds) == 12
    assert ds.labels.tolist() == labels.tolist()
    assert ds.images[:, 0] == pytest.approx(images / 127.5 - 1.0, abs=1e-6)  # float32 of the same map
    assert ds.class_names == [str(i) for i in range(10)]


def test_idx_is_resized_to_image_size(tmp_path):
    images = np.full((3, 28, 28), 51, dtype=np.uint8)  # constant images stay constant under any resampling
    _write_mnist(tmp_path, images, np.array([1, 2, 3], dtype=np.uint8), gz=True)
    ds = load_image_dataset(DataConfig(name="fashion-mnist", path=str(tmp_path), image_size=16))
    assert ds.shape == (1, 16, 16)
    assert ds.images == pytest.approx(np.full((3, 1, 16, 16), 51 / 127.5 - 1), abs=1e-5)  # resampling rounding
    assert ds.class_names == FASHION_CLASSES
    assert "resized from 28×28" in ds.description


def test_idx_errors_are_clear(tmp_path, small_mnist):
    images, labels = small_mnist
    with pytest.raises(ConfigError, match="needs data.path"):
        get_dataset(DataConfig(name="mnist", path=""))
    with pytest.raises(ConfigError, match="does not exist"):
        get_dataset(DataConfig(name="mnist", path=str(tmp_path / "nowhere")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="train-images-idx3-ubyte"):
        get_dataset(DataConfig(name="mnist", path=str(tmp_path / "empty")))

    # labels and images swapped: the magic number tells
    swapped = tmp_path / "swapped"
    _write_mnist(swapped, images, labels, gz=False)
    img, lab = swapped / "train-images-idx3-ubyte", swapped / "train-labels-idx1-ubyte"
    a, b = img.read_bytes(), lab.read_bytes()
    img.write_bytes(b)
    lab.write_bytes(a)
    with pytest.raises(ConfigError, match="magic number 0x00000801, expected 0x00000803"):
        get_dataset(DataConfig(name="mnist", path=str(swapped)))

    # header promises 13 images, the file holds 12
    short = tmp_path / "short"
    _write_mnist(short, images, labels, gz=False, img_dims=(13, 28, 28))
    with pytest.raises(ConfigError, match="13 × 28 × 28"):
        get_dataset(DataConfig(name="mnist", path=str(short)))

    # 12 images, 11 labels
    mismatch = tmp_path / "mismatch"
    _write_mnist(mismatch, images, labels[:11], gz=True)
    with pytest.raises(ConfigError, match="12 images.*11 labels"):
        get_dataset(DataConfig(name="mnist", path=str(mismatch)))

    # a .gz that is not gzip
    broken = tmp_path / "broken"
    _write_mnist(broken, images, labels, gz=True)
    (broken / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ConfigError, match="cannot read IDX file"):
        get_dataset(DataConfig(name="mnist", path=str(broken)))

    # labels outside 0-9
    bad_labels = tmp_path / "bad_labels"
    _write_mnist(bad_labels, images, np.full(12, 11, dtype=np.uint8), gz=False)
    with pytest.raises(ConfigError, match="labels must be 0–9"):
        get_dataset(DataConfig(name="mnist", path=str(bad_labels)))


def test_read_idx_rejects_a_truncated_header(tmp_path):
    p = tmp_path / "x-idx3-ubyte"
    p.write_bytes(struct.pack(">i", 0x803) + b"\x00\x00")
    with pytest.raises(ConfigError, match="truncated"):
        read_idx(p, 0x803)
    p.write_bytes(b"\x00")
    with pytest.raises(ConfigError, match="too short"):
        read_idx(p, 0x803)


# ------------------------------------------------------------------------------------------------ folder
@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "pics"
    (folder / "sub").mkdir(parents=True)
    Image.new("L", (20, 10), 255).save(folder / "white_wide.png")  # non-square: centre-cropped
    Image.new("RGB", (8, 8), (255, 0, 0)).save(folder / "red.png")
    Image.new("RGB", (40, 40), (0, 0, 0)).save(folder / "sub" / "black.jpg", quality=95)
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (folder / "notes.txt").write_text("not an image")
    (folder / ".hidden.png").write_bytes(b"ignored")  # hidden files are not even tried
    return folder


def test_folder_loads_readable_images_and_counts_the_rest(image_folder):
    ds = get_dataset(DataConfig(name="folder", path=str(image_folder), image_size=16, grey=False))
    assert ds.shape == (3, 16, 16) and len(ds) == 3
    assert ds.labels is None and ds.class_names is None
    assert len(ds.warnings) == 1 and "skipped 2" in ds.warnings[0]
    assert "corrupt.png" in ds.warnings[0] and "notes.txt" in ds.warnings[0]
    assert "WARNING: skipped 2" in ds.description
    assert "cannot identify image file" in ds.warnings[0]  # why each was skipped
    # sorted order: red.png, sub/black.jpg, white_wide.png
    assert ds.images[0, 0] == pytest.approx(np.ones((16, 16)))  # pure red, exact in PNG
    assert ds.images[0, 1:] == pytest.approx(-np.ones((2, 16, 16)))
    assert ds.images[1] == pytest.approx(-np.ones((3, 16, 16)), abs=0.02)  # JPEG of black: within 1 grey level
    assert ds.images[2] == pytest.approx(np.ones((3, 16, 16)))


def test_folder_grey(image_folder):
    ds = get_dataset(DataConfig(name="folder", path=str(image_folder), image_size=8, grey=True))
    assert ds.shape == (1, 8, 8)
    red_grey = round(0.299 * 255)  # Pillow's L conversion: L = R·299/1000 + G·587/1000 + B·114/1000
    assert ds.images[0] == pytest.approx(np.full((1, 8, 8), red_grey / 127.5 - 1), abs=1 / 127.5)  # ±1 level


def test_folder_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="needs data.path"):
        get_dataset(DataConfig(name="folder", path=""))
    with pytest.raises(ConfigError, match="does not exist"):
        get_dataset(DataConfig(name="folder", path=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="is empty"):
        get_dataset(DataConfig(name="folder", path=str(tmp_path / "empty")))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.png").write_bytes(b"nope")
    (bad / "b.jpg").write_bytes(b"")
    with pytest.raises(ConfigError, match="none of the 2 files"):
        get_dataset(DataConfig(name="folder", path=str(bad)))
    f = tmp_path / "file.png"
    Image.new("L", (4, 4)).save(f)
    with pytest.raises(ConfigError, match="is a file"):
        get_dataset(DataConfig(name="folder", path=str(f)))


def test_unknown_image_name():
    with pytest.raises(ConfigError, match="not an image set"):
        load_image_dataset(DataConfig(name="ring8"))


def test_descriptions_state_the_parameters():
    d = load_shapes(16, seed=2).description
    for part in ("3,000", "1×16×16", "5 classes", "circle", "seed 2", "stroke"):
        assert part in d
    assert math.isclose(load_digits().dim, 64)


def test_run_on_a_folder_says_how_many_files_were_skipped_and_why(image_folder, tmp_path, capsys):
    from gan_studio import cli

    args = ["run", "--steps", "2", "--out", str(tmp_path / "run"), "--quiet", "--set", "data.name=folder",
            "--set", f"data.path={image_folder}", "--set", "data.image_size=16", "--set", "train.batch_size=4",
            "--set", "metrics.n_samples=100", "--set", "model.hidden=16"]
    assert cli.main(args) == 0
    err = capsys.readouterr().err
    assert "note: data: skipped 2 of 5 files that are not readable images" in err
    assert "corrupt.png: Truncated File Read" in err and "notes.txt: cannot identify image file" in err
