"""Views of `status.ClassStatus`: terminal table, HTML page, PNG chart."""
