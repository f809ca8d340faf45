"""Latvian NLU data and the custom NLU components of Palīgs."""
