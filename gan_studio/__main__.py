"""``python -m gan_studio``: the same as the ``gan-studio`` command."""

from gan_studio.cli import main

raise SystemExit(main())
