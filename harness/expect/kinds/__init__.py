"""The built-in assertion types, one :class:`~harness.expect.declare.AssertionType` each.

They are registered in pyproject.toml under the ``harness.assertions`` entry points, the
same way a third-party package registers its own.
"""
