"""The workbook's one error type."""


class WorkbookError(RuntimeError):
    """Something in the workbook cannot go on; the message says what and how to fix it."""
