"""Tools a spec offers a model: what they return when called, and the record of a
multi-step exchange (:class:`~harness.tools.trajectory.Trajectory`)."""
