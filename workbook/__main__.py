from workbook.cli import app

app(prog_name="workbook")
