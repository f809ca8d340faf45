"""Palīgs: a Rasa helpdesk assistant for Latvian public-service institutions."""
