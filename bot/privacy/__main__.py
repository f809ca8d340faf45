"""``python -m bot.privacy erase REFERENCE --by NAME`` | ``purge``: erasure and retention (``bot.register.retention``)."""
from bot.register.retention import main

raise SystemExit(main())
