"""Generated and reviewed mapping data (see README.md here)."""
