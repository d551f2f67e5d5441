"""Training dynamics of the GAN game: where simultaneous gradient descent goes, and why.

``dirac``: the Dirac-GAN of Mescheder, Geiger & Nowozin (2018), pure NumPy: the gradient vector field of each
loss and regulariser the paper analyses, trajectories of simultaneous and alternating gradient descent, and the
eigenvalues of the field's Jacobian and of the update operator at the equilibrium, in closed form and numerically.
``game_jacobian``: the same Jacobian for real G and D (torch modules), with ``torch.func``.

This ``__init__`` imports nothing, so that the window can import ``dynamics.dirac`` without torch.
"""
