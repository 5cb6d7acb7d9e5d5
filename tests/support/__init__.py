"""Set-up that only the test suite needs (finding a browser to drive)."""
