"""Views: pyqtgraph widgets that draw Frames. Items are built once; updates call setData / setImage."""


def show_in_its_view(stack, samples, view1d, view2d, frame, probed: bool) -> None:
    """Show ``frame`` in the data view of its kind and bring that view to the front of ``stack``: image batches
    in the sample grid ``samples``, 1D points in ``view1d``, 2D points in ``view2d`` (``probed``: the frame
    carries surfaces / curves). The window's view of run A and the A/B view of run B both pick this way."""
    real = getattr(frame, "real", None)
    if real is not None and getattr(real, "ndim", 2) == 4:
        stack.setCurrentWidget(samples)
        samples.update_frame(frame)
    elif frame.dim == 1:
        stack.setCurrentWidget(view1d)
        view1d.update_frame(frame, probed)
    else:
        stack.setCurrentWidget(view2d)
        view2d.update_frame(frame, probed)
