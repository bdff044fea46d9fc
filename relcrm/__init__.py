"""relcrm: a terminal CRM for a solo B2B salesperson, grounded in relationship selling."""

__version__ = "0.1.0"
