"""Can a window be opened here? Checked before Qt starts, because Qt's own answer is an abort with several
lines about plugins that point at the wrong library.

No Qt import: ``gan-studio`` asks this first and prints one line when the answer is no.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

# Debian/Ubuntu packages a real (X11) window needs, with the library each one provides. The first six are
# enough offscreen (the tests); Qt's xcb plugin needs the rest. The README's apt line and CI use this list.
QT_PACKAGES: dict[str, str] = {
    "libegl1": "EGL",
    "libgl1": "GL",
    "libfontconfig1": "fontconfig",
    "libxkbcommon0": "xkbcommon",
    "libdbus-1-3": "dbus-1",
    "libglib2.0-0": "glib-2.0",
    "libxcb-cursor0": "xcb-cursor",
    "libxcb-icccm4": "xcb-icccm",
    "libxcb-keysyms1": "xcb-keysyms",
    "libxcb-shape0": "xcb-shape",
    "libxkbcommon-x11-0": "xkbcommon-x11",
}
OFFSCREEN_PACKAGES = list(QT_PACKAGES)[:6]
NO_WINDOW_PLATFORMS = ("offscreen", "minimal", "vnc")  # Qt platforms that need no screen


def missing_packages(packages=QT_PACKAGES, find=ctypes.util.find_library) -> list[str]:
    """The packages of ``packages`` whose library the system's loader cannot find."""
    return [package for package, library in packages.items() if find(library) is None]


def display_problem(environ=os.environ, platform: str = sys.platform, find=ctypes.util.find_library) -> str | None:
    """Why no window can be opened here, in one line with what to do; None when one can (or we cannot tell)."""
    if not platform.startswith("linux"):
        return None  # macOS and Windows bring their own platform plugins
    qt_platform = environ.get("QT_QPA_PLATFORM", "")
    if qt_platform.split(":")[0] in NO_WINDOW_PLATFORMS:
        return None
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): run it on a desktop, "
                "or under a virtual one with `xvfb-run gan-studio`, or save a picture with "
                "`gan-studio render --steps N --out FILE.png`")
    if environ.get("WAYLAND_DISPLAY") and not environ.get("DISPLAY"):
        return None  # Qt's wayland plugin: its libraries differ; let Qt speak
    missing = missing_packages(QT_PACKAGES, find)
    if missing:
        return (f"the window needs system libraries that are missing: {' '.join(missing)}; install them with "
                f"`apt-get install {' '.join(missing)}` (Debian/Ubuntu package names)")
    return None
