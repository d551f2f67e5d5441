"""GAN Studio: watch a GAN learn. Importing the package imports neither torch nor Qt."""

__version__ = "0.1.0"
