"""Ready-to-print financial statements: pure computation (Decimal) and XlsxWriter workbooks."""
