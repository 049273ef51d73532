"""Read-only figures for the staff dashboard and the weekly digest, always for one person's scope (scope.py)."""
