"""gunicorn's settings for Kartka (``gunicorn -c config/gunicorn.py config.wsgi:application``): its access and
error lines go through the same filter as Django's, so phones and card numbers in request lines are masked."""

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "config.logfilters.MaskPersonalData"}},
    "formatters": {
        "access": {"format": "%(message)s"},
        "error": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "error", "filters": ["personal_data"]},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "filters": ["personal_data"]},
        "error": {"class": "logging.StreamHandler", "formatter": "error", "filters": ["personal_data"]},
    },
    "loggers": {
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
    },
}
