"""Mail intake: letters to the institution's mailbox (IMAP) land in the register and are answered by e-mail."""
