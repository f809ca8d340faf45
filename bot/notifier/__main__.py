"""``python -m bot.notifier``: the delivery worker."""
from bot.notifier.worker import main

main()
