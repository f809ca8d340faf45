"""Informing the applicant: the delivery worker and one module per route."""
