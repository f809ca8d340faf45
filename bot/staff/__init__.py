"""Staff: the directory of who is staff, how they prove it, their chat commands and reports."""
