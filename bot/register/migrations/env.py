"""Alembic environment: migrates the register at the URL given in the Alembic config."""
from alembic import context

from bot.register import create_register_engine, metadata

url = context.config.get_main_option("sqlalchemy.url")
engine = create_register_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
