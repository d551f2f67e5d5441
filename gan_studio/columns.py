"""The column registry: every metrics.csv column, once, with what the time series, the CSV and the README need.

One ``Column`` per column and meaning (``rkl`` and ``sw1`` mean different things for points and for images, so
each has two entries). ``COLUMNS`` is ordered: a run's columns are the entries that apply to its data, in this
order, with each per-layer pattern (``grad_d_<i>``) expanded over the layers (``run_columns``); entries marked
``late`` (added after metrics.csv headers were first recorded) come after all the others, so every older column
keeps its position. The time series builds its curves from ``panel``, ``label``, ``colour``, ``style``,
``right``, ``more``, ``when`` and ``counts``, with ``estimator`` as each curve's tooltip; the README tables are
``readme_table``'s output (tests/test_columns.py checks them). A new metric is one entry here plus its function.

This module imports nothing of the package, neither torch nor Qt (the window imports it).
"""

from __future__ import annotations

from dataclasses import dataclass

LAYER = "<i>"  # the placeholder of a per-layer pattern


@dataclass(frozen=True)
class Column:
    """One metrics.csv column: its name, how it is labelled and plotted, and how it is estimated."""

    name: str  # header in metrics.csv; a per-layer pattern ends in "<i>" (grad_d_<i>)
    label: str  # curve name in the time series
    unit: str  # "" for a pure number
    panel: str | None  # time-series panel: losses, dmean, js, w1, grads, modes; None = not plotted
    estimator: str  # the README's "meaning and estimator" text (equal texts next to each other share a row)
    runs: str = "all"  # which runs have it: "all", "points" (1D/2D), "2d" or "images"
    layers: str = ""  # per-layer patterns: "D" or "G", whose weight layers <i> counts
    colour: str = "fg"  # theme colour role (gui.theme.Theme attribute)
    style: str = "line"  # "line", "dash", "dots" (sparse measurements), "floor" (a band from 0 up to it)
    right: bool = False  # drawn on the panel's right axis
    more: bool = False  # hidden until asked for (one click on the panel's "more"): at most three lines a panel
    when: str = ""  # a boolean fact of frames.Display that must hold for the curve to be drawn at all
    counts: bool = False  # whole numbers (modes, classes): the axis gets integer ticks
    late: bool = False  # added after metrics.csv headers were first recorded: written after every other column
    instead_of: str = ""  # a default floor band drawn only while this other column has no data

    def applies_to(self, kind: str) -> bool:
        """Whether a run on data of this kind ("1d", "2d" or "image") has this column."""
        if self.runs == "2d":
            return kind == "2d"
        return self.runs == "all" or (self.runs == "images") == (kind == "image")

    @property
    def tooltip(self) -> str:
        """The curve's tooltip: its label and the full definition (the README's text without markdown)."""
        return f"{self.label}: {self.estimator.replace('`', '').replace(chr(92), '')}"


_GRAD = ("L2 norm of the parameter gradients, whole net and per weight layer `i` (input layer = 0), after backward, "
         "before the optimizer step")
_LOSS = "the active loss (D's without the penalty), last update of the step"
_D_MEAN = ("mean raw score on the training batch (higher = more real); for a features head the mean witness, for "
           "an autoencoder D (EBGAN, BEGAN, MAGAN) the mean energy (lower = more real); empty for GMMN (no D)")
_JS = ("JS(p_data ‖ p_g) in nats: exact data density (where known) against a histogram of `metrics.n_samples` "
       "generated samples (100 bins in 1D, 50×50 in 2D, plus one cell for everything outside the plot, so no sample "
       "is dropped); the floor is the same estimator on a data sample of the same size")
_W1 = ("Wasserstein-1: exact between empirical distributions in 1D; in 2D exact optimal transport (Euclidean cost, "
       "`linear_sum_assignment`) on `metrics.ot_samples` points, every `metrics.ot_every` steps; "
       "floor = data against data")
_MODES = ("mixtures: modes with ≥ 1 high-quality sample (< 3 std from its nearest centre), percent of high-quality "
          "samples, KL(q ‖ w) of their mode histogram q against the mixture weights w (0 when the generator "
          "reproduces the weights; `nan` when no sample is high quality)")
_REACHED = ("mixtures: modes reached, a coarser count the picture agrees with: a mode is reached when ≥ 1 % of the "
            "generated samples lie within half the distance from its centre to the nearest other centre (so each "
            "sample counts for its nearest mode); a mixture of one mode: within 3 std of its centre")
_W1_FAST = ("Wasserstein-1 (2D), exact optimal transport on the first 256 points of the generated and a data sample, "
            "every measurement (~7–14 ms): the W1 panel's main line; floor = data against data at n = 256 (higher "
            "than at `metrics.ot_samples`: the bias shrinks with n)")
_GX = "mean ‖∇ₓD‖ on 512 real, fake and interpolated points"
# Why a measurement is NaN: the ``note`` column holds the sum of the flags that apply (empty when none does), so
# metrics.csv stays numeric. One flag per cause; ``note_text`` spells a sum out.
NOTES: dict[int, str] = {
    1: "non-finite generated samples: the sample-based columns (JS, W1, coverage; the image columns) are NaN",
    2: "no generated sample inside the plot: every finite sample lies outside the data's plot bounds",
    4: "no high-quality (points) or confidently classified (images) sample: rkl is NaN",
    8: "Fréchet distance undefined: fewer than 2 images or non-finite classifier features",
}
_NOTES = "; ".join(f"{flag} = {text}" for flag, text in NOTES.items())


def note_text(code: float | None) -> str:
    """The reasons a ``note`` cell holds, in words ("" for an empty cell or 0), ``"; "``-joined."""
    if code is None or code != code or code <= 0:  # code != code: NaN
        return ""
    flags = int(code)
    return "; ".join(text for flag, text in NOTES.items() if flags & flag)
_SHARP = ("mean gradient magnitude of the images in [0, 1] intensity units: the mean over samples, channels and the "
          "(H−1)×(W−1) pixels of √(Δx² + Δy²), forward differences to the right and below (`metrics.images."
          "sharpness`), on `metrics.n_samples` generated images and on a fixed data sample of the same size; blur "
          "lowers it (a VAE's samples), noise raises it, so read it against the data's")
_CLASS_MATCH = ("conditional GANs on mixtures: per class k, the percent of the high-quality generated samples asked "
                "for class k whose nearest mode is mode k; the mean over classes and the worst class")
_CLASS_ACC = ("conditional GANs on labelled images: per class k, the percent of the images generated for class k "
              "that the classifier (as `classes`) puts in class k; the mean over classes and the worst class")

COLUMNS: tuple[Column, ...] = (
    Column("step", "step", "steps", None, "completed steps"),
    Column("loss_d", "L_D", "", "losses", _LOSS, colour="d"),
    Column("loss_g", "L_G", "", "losses", _LOSS, colour="g"),
    Column("penalty", "penalty", "", None,
           "the Lipschitz penalty added to D's loss (0 for none, clip, sn); on the witness for a features head"),
    Column("d_real", "real", "", "dmean", _D_MEAN, colour="real"),
    Column("d_fake", "generated", "", "dmean", _D_MEAN, colour="fake"),
    Column("grad_norm_d", "D, whole net", "", "grads", _GRAD, colour="d"),
    Column("grad_norm_g", "G, whole net", "", "grads", _GRAD, colour="g"),
    Column("grad_d_<i>", "D layer <i>", "", "grads", _GRAD, layers="D", colour="d", more=True),
    Column("grad_g_<i>", "G layer <i>", "", "grads", _GRAD, layers="G", colour="g", more=True),
    Column("js", "sample estimate", "nats", "js", _JS, runs="points"),
    Column("js_floor", "noise floor", "nats", "js", _JS, runs="points", colour="muted", style="floor"),
    Column("classes", "classes", "", "modes",
           "classes with ≥ 1 generated sample classified with probability ≥ 0.9 by a small classifier trained once "
           "on the data set (cached in `~/.cache/gan_studio`, retrained when the data change; `GAN_STUDIO_CACHE` "
           "moves it)", runs="images", counts=True),
    Column("confident", "% confident (right)", "percent", "modes",
           "percent of generated samples classified with probability ≥ 0.9 (the classifier has an extra \"junk\" "
           "class for blank, noisy and shuffled images)", runs="images", colour="g", style="dash", right=True),
    Column("rkl", "reverse KL", "nats", None,
           "KL(q ‖ p_data) of the confident samples' class histogram against the data's, nats", runs="images"),
    Column("fd_classifier", "Fréchet distance", "", None,
           "Fréchet distance between Gaussians fitted to the classifier's penultimate features, generated vs data "
           "— named for what it is: not FID, which uses Inception", runs="images"),
    Column("sw1", "sliced", "pixel units", "w1", "sliced W1 in pixel space, generated vs a data sample of the same "
           "size", runs="images", colour="muted", style="dash"),
    Column("js_d", "D-implied", "nats", "js", "D-implied JS, (V + log 4)/2 on fresh batches, classifier losses "
           "(`minimax`, `ns`) only; a lower bound unless D is optimal", colour="extra", style="dash"),
    Column("fdiv_d", "f-GAN bound", "nats", "js",
           "f-GAN losses: the variational bound E g(s_r) − E f\\*(g(s_f)) on fresh batches (kl: KL(p_data‖p_g), "
           "rkl: KL(p_g‖p_data), pearson: χ², hellinger: ∫(√p−√q)², js: 2·JS)", colour="sky"),
    Column("w1_fast", "exact (n = 256)", "", "w1", _W1_FAST, runs="2d", late=True),
    Column("w1_fast_floor", "floor (n = 256)", "", "w1", _W1_FAST, runs="2d", colour="muted", style="floor",
           late=True),
    Column("w1", "W1 exact", "", "w1", _W1, runs="points", style="dots"),
    Column("w1_floor", "floor", "", "w1", _W1, runs="points", colour="muted", style="floor",
           instead_of="w1_fast_floor"),
    Column("sw1", "sliced", "", "w1", "sliced W1 (2D), 32 random directions: a cheap trend, SW1 ≤ W1",
           runs="points", colour="muted", style="dash", more=True),
    Column("w1_critic", "critic estimate", "", "w1", "E s_r − E s_f on fresh batches: the critic's estimate of "
           "W1, on its own axis (D's score units), drawn only for critic losses or under a Lipschitz method "
           "(meaningful when D is 1-Lipschitz)", colour="d", right=True, when="critic_estimates_w1"),
    Column("lip", "lip", "", "w1", "max ‖∇ₓD‖ over a 50×50 grid on the plot bounds and 512 real, fake and "
           "interpolated points: a lower bound of D's Lipschitz constant", colour="sky", style="dash", right=True,
           more=True),
    Column("w1_lb", "critic / lip", "", "w1", "`w1_critic / lip`: a lower bound of W1 when `lip` bounds D's slope",
           colour="extra", style="dash", more=True),
    Column("modes_reached", "reached (≥1 %)", "", "modes", _REACHED, runs="points", colour="real", counts=True,
           late=True),
    Column("modes", "high quality (3σ)", "", "modes", _MODES, runs="points", style="dash", counts=True),
    Column("hq", "% high quality (3σ)", "percent", "modes", _MODES, runs="points", colour="g", style="dash",
           right=True),
    Column("rkl", "reverse KL", "nats", None, _MODES, runs="points"),
    Column("gx_real", "‖∇ₓD‖ real", "", None, _GX),
    Column("gx_fake", "‖∇ₓD‖ fake", "", None, _GX),
    Column("gx_interp", "‖∇ₓD‖ interpolated", "", None, _GX),
    Column("sigma_d_<i>", "σ of D layer <i>", "", None,
           "top singular value of D's weight layer `i` (the effective weight under spectral norm)", layers="D"),
    Column("grad_act_d_<i>", "∂D/∂ activation <i>", "", "grads", "mean ‖∂D(x)/∂a_i‖₂ over 512 real and 512 "
           "generated points, a_i = the input activation of D's weight layer `i` (a_0 = x): how the critic's "
           "gradient grows or shrinks layer by layer (Gulrajani et al. 2017, Fig. 1b)", layers="D", colour="extra",
           style="dash", more=True, late=True),
    Column("note", "note", "", None, "why cells of this row are NaN, as a sum of flags (`columns.NOTES`, "
           "`columns.note_text`): " + _NOTES, late=True),
    # The objective zoo's own estimates (on fresh batches, like js_d and fdiv_d) and running state. Every run has
    # every objective's columns, since a run may switch to any objective; cells of inactive objectives stay empty.
    Column("rel_gap", "relativistic gap", "", None, "relativistic losses (`rsgan`, `rasgan`, `ralsgan`, `rahinge`): "
           "E s_r − E s_f on fresh batches, how much more real D scores the data than the generated samples (score "
           "units; 0 = undecided); not a divergence; the same number as `w1_critic`, which the W1 panel draws",
           late=True),
    Column("tv_d", "EBGAN TV bound", "", "js", "`ebgan`, `ebgan-pt`: 1 − L_D/m on fresh batches, a lower bound of the "
           "total variation ½∫|p_data − p_g| ∈ [0, 1], tight at the optimal D (Zhao et al. 2017, Theorem 1)",
           colour="sky", style="dash", right=True, late=True),
    Column("mmd2", "MMD²", "", "w1", "`gmmn`: unbiased MMD²_u between fresh generated and data batches, Gaussian "
           "mixture σ ∈ {2, 5, 10, 20, 40, 80} (may be < 0 when p_g ≈ p_data)", colour="sky", right=True,
           more=True, late=True),
    Column("mmd2_d", "MMD² of D's features", "", "w1", "`mmdgan`: unbiased MMD²_u of D's features of fresh batches, "
           "Gaussian mixture σ ∈ {1, 2, 4, 8, 16}; D maximises it (the learned-kernel MMD)", colour="sky",
           right=True, more=True, late=True),
    Column("energy_distance_d", "energy distance of D's features", "", "w1", "`cramer`: energy distance "
           "U-statistic 2E‖h_r − h_f‖ − E‖h_r − h_r′‖ − E‖h_f − h_f′‖ of D's features h on fresh batches",
           colour="sky", right=True, more=True, late=True),
    Column("mcgan_mean", "McGAN mean gap", "", "w1", "`mcgan-mean`: ‖μ_φ(real) − μ_φ(generated)‖₂ of D's features "
           "on fresh batches; a lower bound of the IPM (a max over φ)", colour="sky", right=True, more=True, late=True),
    Column("mcgan_cov", "McGAN covariance gap", "", "w1", "`mcgan-cov`: sum of the 16 largest singular values of "
           "E φφᵀ(real) − E φφᵀ(generated) on fresh batches; a lower bound of the IPM", colour="sky", right=True,
           more=True, late=True),
    Column("fisher_ipm", "Fisher IPM", "", "js", "`fisher`: Ê/√Ω̂ on fresh batches (Ê = E f_r − E f_f, Ω̂ = "
           "½(E f_r² + E f_f²)), ≤ the Fisher IPM 2·√χ²(p_data ‖ (p_data + p_g)/2), equal at the optimal critic",
           colour="sky", right=True, late=True),
    Column("began_k", "BEGAN k_t", "", None, "`began`: the equilibrium variable k_t ∈ [0, 1] after the step's "
           "last D update, k ← clip(k + λ_k(γ E e_r − E e_f), 0, 1)", late=True),
    Column("began_m_global", "BEGAN M_global", "", None, "`began`: convergence measure E e_r + |γ E e_r − E e_f| "
           "on the D batch", late=True),
    Column("energy_real", "energy, real", "", None, "energy objectives: mean reconstruction energy of the D batch "
           "(lower = more real), real and generated", late=True),
    Column("energy_fake", "energy, generated", "", None, "energy objectives: mean reconstruction energy of the D "
           "batch (lower = more real), real and generated", late=True),
    Column("margin", "MAGAN margin", "", None, "`magan`: the adaptive margin m (only decreases)", late=True),
    Column("magan_window_real", "MAGAN window mean, real", "", None, "`magan`: running means of the real and "
           "generated energies and the count of D steps in the current window", late=True),
    Column("magan_window_fake", "MAGAN window mean, generated", "", None, "`magan`: running means of the real and "
           "generated energies and the count of D steps in the current window", late=True),
    Column("magan_window_n", "MAGAN window steps", "", None, "`magan`: running means of the real and "
           "generated energies and the count of D steps in the current window", late=True),
    Column("fisher_lambda", "Fisher λ", "", None, "`fisher`: the Lagrange multiplier λ ← λ − ρ(1 − Ω̂)", late=True),
    Column("fisher_omega", "Fisher Ω", "", None, "`fisher`: the critic's second moment Ω̂ = ½(E f_r² + E f_f²) on "
           "the D batch (the constraint is Ω = 1)", late=True),
    # conditional GANs (model.conditional, issue 12): is the sample asked for class k of class k? The measured
    # samples ask for the classes in the data's proportions (nets.conditional.prior_labels); empty otherwise
    Column("class_match", "% on the asked mode (right)", "percent", "modes", _CLASS_MATCH, runs="points",
           colour="extra", style="dash", right=True, more=True, when="conditional", late=True),
    Column("class_match_min", "worst class, % on its mode", "percent", None, _CLASS_MATCH, runs="points",
           late=True),
    Column("class_acc", "% classified as asked (right)", "percent", "modes", _CLASS_ACC, runs="images",
           colour="extra", style="dash", right=True, when="conditional", late=True),
    Column("class_acc_min", "worst class, % classified as asked", "percent", None, _CLASS_ACC, runs="images",
           late=True),
    # The VAE contrast (loss.name vae / ae, objectives/vae.py): the loss's two terms, and how sharp images are
    Column("recon", "reconstruction", "", "losses", "`vae`, `ae`: mean squared reconstruction error "
           "Σᵢ(xᵢ − x̂ᵢ)² per sample on the training batch (x̂ = G(μ + σε) for the vae, G(μ) for the ae); `loss_g` is "
           "the whole loss", colour="sky", style="dash", late=True),
    Column("kl_prior", "KL(q ‖ prior)", "nats", "losses", "`vae`: mean KL(q(z|x) ‖ N(0, I)) per sample on "
           "the training batch, closed form, before the weight `loss.beta`", colour="extra", style="dash",
           more=True, late=True),  # more: L_D, L_G, recon fill the panel's three lines (loss_g − recon = β·KL)
    # image runs have no exact JS, so the JS panel holds them, on its right axis: generated against data, in the
    # colours of the mean-D panel's generated and real
    Column("sharpness", "sharpness", "", "js", _SHARP, runs="images", colour="fake", right=True, late=True),
    Column("sharpness_data", "data's sharpness", "", "js", _SHARP, runs="images", colour="real", style="dash",
           right=True, late=True),
)

TRAINING = ("step", "loss_d", "loss_g", "penalty", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "grad_d_<i>",
            "grad_g_<i>", "began_k", "began_m_global", "energy_real", "energy_fake", "margin", "magan_window_real",
            "magan_window_fake", "magan_window_n", "fisher_lambda",
            "fisher_omega", "recon",
            "kl_prior")  # filled by the engine's step (objective state included); every other column by measurement


def expand(column: Column, n_d: int, n_g: int) -> list[str]:
    """The header names of one entry: itself, or its pattern over D's ``n_d`` / G's ``n_g`` weight layers."""
    if not column.layers:
        return [column.name]
    n = n_d if column.layers == "D" else n_g
    return [column.name.replace(LAYER, str(i)) for i in range(n)]


def run_columns(kind: str, n_d: int, n_g: int, training_only: bool = False) -> list[str]:
    """Every metrics.csv column of a run on ``kind`` data ("1d", "2d", "image") with D and G having ``n_d`` and
    ``n_g`` weight layers, in order (``training_only``: those the engine's step fills, ``TRAINING``)."""
    chosen = [c for c in COLUMNS if c.applies_to(kind) and (c.name in TRAINING or not training_only)]
    return [name for c in sorted(chosen, key=lambda c: c.late) for name in expand(c, n_d, n_g)]


def lookup(name: str, kind: str) -> Column | None:
    """The entry of header ``name`` (``grad_d_3`` finds ``grad_d_<i>``) for ``kind`` data, or None."""
    for c in COLUMNS:
        if not c.applies_to(kind):
            continue
        if c.name == name or (c.layers and name.startswith(c.name[:-len(LAYER)])
                              and name[len(c.name) - len(LAYER):].isdigit()):
            return c
    return None


def panel_columns(panel: str) -> list[Column]:
    """The entries drawn in one time-series panel (for every kind of data), in registry order."""
    return [c for c in COLUMNS if c.panel == panel]


def readme_table(runs: str) -> str:
    """The README's markdown table of the columns of ``runs`` ("all" or "points": every column a point run has;
    "images": the columns only image runs have); entries with equal estimator text next to each other share a row."""
    wanted = ("images",) if runs == "images" else ("all", "points", "2d")
    chosen = [c for c in COLUMNS if c.runs in wanted]
    rows: list[tuple[list[str], str]] = []
    for c in chosen:
        if rows and rows[-1][1] == c.estimator:
            rows[-1][0].append(c.name)
        else:
            rows.append(([c.name], c.estimator))
    lines = ["| column | meaning and estimator |", "|---|---|"]
    lines += ["| " + ", ".join(f"`{n}`" for n in names) + f" | {text} |" for names, text in rows]
    return "\n".join(lines)
