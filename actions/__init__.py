"""Rasa SDK custom actions of Palīgs: registration form, registration, status check."""
