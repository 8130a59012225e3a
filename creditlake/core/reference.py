"""Reference data files: one copy each, kept as dbt seeds and read from there by Python too."""

from creditlake.core.config import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
INDUSTRY_DIVISIONS_CSV = SEEDS / "gbt4754_divisions.csv"  # GB/T 4754-2017 sections and divisions
LOAN_PRODUCTS_CSV = SEEDS / "loan_products.csv"  # the bank's loan product catalog
