"""kiemphieu command line."""
