"""Knowledge of the institution: its service catalogue and the guideline knowledge base."""
