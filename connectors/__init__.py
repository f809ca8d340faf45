"""Channels of Palīgs: Telegram (python-telegram-bot) and the web portal with its chat widget."""
