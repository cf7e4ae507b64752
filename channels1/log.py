"""The 1.x ``channels.log``: console logging for the commands, so a project
without LOGGING settings still sees what its workers do."""

import logging

handler = logging.StreamHandler()


def setup_logger(name, verbosity=1):
    """Log ``name`` (and Daphne's protocol loggers) to the console at INFO, or DEBUG
    from verbosity 2; returns the logger."""
    handler.setFormatter(logging.Formatter(fmt="%(asctime)s - %(levelname)s - %(module)s - %(message)s"))
    level = logging.DEBUG if verbosity > 1 else logging.INFO
    logger = logging.getLogger(name)
    logger.setLevel(level)
    logger.addHandler(handler)
    logger.propagate = False
    for module in ("daphne.ws_protocol", "daphne.http_protocol", "daphne.server"):
        daphne_logger = logging.getLogger(module)
        daphne_logger.addHandler(handler)
        daphne_logger.setLevel(level)
    return logger
