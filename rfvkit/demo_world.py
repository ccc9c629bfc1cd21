"""The made-up world of the demo CRM: tables of constants that :mod:`rfvkit.demo` draws from.

Countries and their shares, regions (with time zones), first names, product categories and
products with their price levels, month and hour weights of the orders, the shares of each phone
fault, and the planted effects: :data:`SEGMENT_EFFECTS` per segment, when the two campaigns are
sent and when the two history snapshots are taken. Changing a value here changes the generated
data (and the pinned checksums in ``tests/test_demo.py``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CAMPAIGN_AT",
    "CATEGORIES",
    "COUNTRY_SHARE",
    "DAY",
    "GONE_SHARE",
    "HOUR_WEIGHT",
    "MONTH_WEIGHT",
    "NAMES",
    "PHONE_SHARES",
    "PRODUCTS",
    "REGIONS",
    "SEGMENT_EFFECTS",
    "SNAPSHOT_AT",
]

DAY = 86_400  # seconds
COUNTRY_SHARE = {
    "GB": 0.34,
    "US": 0.18,
    "DE": 0.10,
    "FR": 0.09,
    "ES": 0.08,
    "IE": 0.07,
    "NL": 0.07,
    "AU": 0.07,
}
# region: (country, share within the country, IANA timezone)
REGIONS = {
    "England": ("GB", 0.80, "Europe/London"),
    "Scotland": ("GB", 0.10, "Europe/London"),
    "Wales": ("GB", 0.06, "Europe/London"),
    "Northern Ireland": ("GB", 0.04, "Europe/London"),
    "California": ("US", 0.30, "America/Los_Angeles"),
    "New York": ("US", 0.25, "America/New_York"),
    "Texas": ("US", 0.20, "America/Chicago"),
    "Illinois": ("US", 0.15, "America/Chicago"),
    "Colorado": ("US", 0.10, "America/Denver"),
    "Bayern": ("DE", 0.40, "Europe/Berlin"),
    "Berlin": ("DE", 0.30, "Europe/Berlin"),
    "Hamburg": ("DE", 0.30, "Europe/Berlin"),
    "Île-de-France": ("FR", 0.50, "Europe/Paris"),
    "Occitanie": ("FR", 0.25, "Europe/Paris"),
    "Bretagne": ("FR", 0.25, "Europe/Paris"),
    "Madrid": ("ES", 0.45, "Europe/Madrid"),
    "Cataluña": ("ES", 0.35, "Europe/Madrid"),
    "Andalucía": ("ES", 0.20, "Europe/Madrid"),
    "Leinster": ("IE", 0.55, "Europe/Dublin"),
    "Munster": ("IE", 0.30, "Europe/Dublin"),
    "Connacht": ("IE", 0.15, "Europe/Dublin"),
    "Noord-Holland": ("NL", 0.45, "Europe/Amsterdam"),
    "Zuid-Holland": ("NL", 0.35, "Europe/Amsterdam"),
    "Utrecht": ("NL", 0.20, "Europe/Amsterdam"),
    "New South Wales": ("AU", 0.40, "Australia/Sydney"),
    "Victoria": ("AU", 0.35, "Australia/Melbourne"),
    "Queensland": ("AU", 0.25, "Australia/Brisbane"),
}
NAMES = {
    "F": "Olivia Emma Sophie Mia Chloe Lucía Hannah Léa Aoife Grace Ava Emily Lena Sara Julia Isla",
    "M": "Jack Liam Noah Oliver Lucas Hugo Leon Daniel Sean James Ethan Mateo Finn Max Thomas Sem",
}
# category: (median unit price, mean extra quantity per line); products cheapest first
CATEGORIES = {
    "Apparel": (38.0, 0.15),
    "Beauty": (14.0, 0.4),
    "Home": (29.0, 0.2),
    "Electronics": (89.0, 0.05),
    "Pantry": (7.0, 1.0),
}
PRODUCTS = {
    "Apparel": "Socks 3-pack, Beanie, T-shirt, Wool scarf, Jeans, Hoodie, Sneakers, Rain jacket",
    "Beauty": "Lip balm, Hand soap, Nail polish, Shampoo, Sunscreen, Body lotion, Face cream, Perfume",
    "Home": "Candle, Plant pot, Picture frame, Mug set, Cushion, Towel set, Table lamp, Throw blanket",
    "Electronics": "USB cable, Phone case, Charger, Power bank, Earbuds, Speaker, Headphones, Smartwatch",
    "Pantry": "Pasta, Green tea, Hot sauce, Dark chocolate, Granola, Honey, Olive oil, Coffee beans",
}
MONTH_WEIGHT = np.array([0.85, 0.8, 0.9, 0.95, 1.0, 0.95, 0.9, 0.9, 0.95, 1.05, 1.4, 1.6])
HOUR_WEIGHT = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 4.5, 5, 6, 5.5, 5, 4.5, 4.5, 5, 6, 7, 7.5, 6, 4, 2]
)
CAMPAIGN_AT = (0.60, 0.87)  # send days, as fractions of the generated period
PHONE_SHARES = {
    "missing": 0.06,
    "fixed_line": 0.04,
    "invalid_short": 0.015,
    "invalid_letters": 0.015,
    "shared": 0.01,
}
# segment at send: (conversion holdout, conversion treatment, STOP replies in treatment)
SEGMENT_EFFECTS = {
    "Champions": (0.15, 0.20, 0.005),
    "Loyal Customers": (0.10, 0.15, 0.005),
    "New Customers": (0.08, 0.12, 0.005),
    "At Risk": (0.06, 0.12, 0.01),
    "Needs Attention": (0.05, 0.05, 0.005),  # no effect
    "Hibernating": (0.03, 0.07, 0.06),  # converts, but sheds subscribers
}
SNAPSHOT_AT = (0.75, 0.875)  # as_of of the two history snapshots, as fractions of the period
GONE_SHARE = 0.01  # customers of the first snapshot planted as missing from the second
