"""Pure domain: value types and rules that need nothing but the standard library (and python-stdnum)."""
