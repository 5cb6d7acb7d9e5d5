"""Student-side package of the Week 11 workbook: the notebooks' session (`workbook.session`,
`wb = setup("05")`), the DAG runner, the self-checks, and the `workbook` command line."""

__version__ = "0.1.0"
