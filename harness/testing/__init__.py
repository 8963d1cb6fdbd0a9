"""The pytest plugin's logic: collection, items, failure output, execution, fixtures.

:mod:`harness.pytest_plugin` holds only the hooks and fixtures that call into these.
"""
