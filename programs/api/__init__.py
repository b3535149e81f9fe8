"""The POS/CRM REST API (``/api/v1/``): thin views over ``programs.services`` and ``programs.selectors``."""
