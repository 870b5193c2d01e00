#!/usr/bin/env python3
"""Runs pytest with the Python that has boto3, borrowing Debian's pytest when pip has none.

Debian's python3-pytest lives in /usr/lib/python3/dist-packages; it is appended to sys.path
(not prepended) so that this interpreter's own boto3/botocore keep precedence.
"""
import sys

try:
    import pytest
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import pytest

sys.exit(pytest.main(sys.argv[1:]))
