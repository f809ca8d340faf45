"""``python -m bot.mail [model]``: the mail intake worker."""
from bot.mail.worker import main

raise SystemExit(main())
