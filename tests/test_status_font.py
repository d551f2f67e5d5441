"""The status bar follows the view scale: its message label (whose style sheet sets the message colour, and so
pinned the font of the last message) at 100 %, 200 %, in presentation mode and after it (issue #13)."""

import dataclasses

from gan_studio import config as C


def test_the_status_message_font_follows_the_view_scale():
    from gan_studio.gui.render import OffscreenWindow

    window = OffscreenWindow(dataclasses.asdict(C.Config()), (1280, 720))
    win = window.window
    try:
        def sizes():
            window.app.processEvents()
            return win.status_state.font().pointSizeF(), win.status_message.font().pointSizeF()

        win.show_message("a message at 100 %", False)
        assert sizes() == (10.0, 10.0)
        win.set_view("light", 2.0)  # no new message: the old one must grow too
        assert sizes() == (20.0, 20.0)
        win.set_view("light", 1.0)
        assert sizes() == (10.0, 10.0)
        win.toggle_presentation()
        win.show_message("an error while presenting", True)
        assert sizes() == (15.0, 15.0)
        win.toggle_presentation()
        assert sizes() == (10.0, 10.0), "back to 100 % after presentation mode"
    finally:
        window.close()
