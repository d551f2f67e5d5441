"""Views: pyqtgraph widgets that draw Frames. Items are built once; updates call setData / setImage."""
