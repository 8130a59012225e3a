{#- References that can lead nowhere, declared once: rpt_reference_orphans counts each kind,
    the relationships tests classified as observations name their kind (meta.counted_as), and
    tests/dbt holds the two together. A record quarantined upstream (rightly) leaves the records
    that name it without a parent: validation publishes them on purpose (a reference to a
    quarantined key counts as resolved), so such orphans are counted, and the build fails only
    when a kind's share of orphans passes the threshold (orphan_share_threshold below), which
    says that a feed is broken rather than that some of its records were quarantined.

    Each kind: child model and column holding the reference, parent model and column it should
    name, `where` (optional): the child rows that hold a reference, `unresolved` (optional,
    default false): a null reference counts as an orphan (a taxpayer id that resolved to no
    enterprise); otherwise null references are not references (a utility account without a uscc
    is identity resolution's business, see identity_resolution_summary).
    Every join of the models that can drop or mis-attribute a record is here; joins whose keys
    validation or the models guarantee (industry divisions, products of offers) are not. -#}
{% macro reference_orphan_kinds() %}
{%- set registry = 'stg_commerce__enterprises' -%}
{%- do return([
    {'kind': 'identity_map_enterprise', 'child': 'identity_map', 'child_column': 'uscc',
     'parent': 'dim_enterprise', 'parent_column': 'uscc',
     'description': 'An identifier (legacy number, utility account, invoice buyer name) resolved to a uscc the registry lacks (the platform gave it, or an invoice named it with the buyer): its records reach no enterprise.'},
    {'kind': 'meter_reading_account', 'child': 'stg_utility__meter_readings', 'child_column': 'account_no',
     'parent': 'stg_utility__utility_accounts', 'parent_column': 'account_no',
     'description': 'A meter reading for an account not in staging (its record quarantined): the reading is in no utility figure.'},
    {'kind': 'confirmation_invoice', 'child': 'stg_supply_chain__receivable_confirmations', 'child_column': 'invoice_no',
     'parent': 'stg_supply_chain__invoices', 'parent_column': 'invoice_no',
     'description': 'A receivable confirmation for an invoice not in staging (its record quarantined).'},
    {'kind': 'confirmation_core_enterprise', 'child': 'stg_supply_chain__receivable_confirmations', 'child_column': 'core_uscc',
     'parent': 'stg_supply_chain__core_enterprises', 'parent_column': 'uscc',
     'description': 'A confirmation by a core enterprise the supply-chain platform does not list: it makes no chain membership.'},
    {'kind': 'confirmation_supplier_enterprise', 'child': 'stg_supply_chain__receivable_confirmations', 'child_column': 'supplier_uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'A confirmation for a supplier the registry lacks.'},
    {'kind': 'repayment_loan', 'child': 'stg_bank__repayments', 'child_column': 'loan_id',
     'parent': 'stg_bank__loans', 'parent_column': 'loan_id',
     'description': 'A repayment of a loan whose positions are not in staging (quarantined).'},
    {'kind': 'loan_enterprise', 'child': 'fct_loan_month', 'child_column': 'uscc',
     'parent': 'dim_enterprise', 'parent_column': 'uscc',
     'description': "A loan-month of a borrower the registry lacks: its exposure is in fct_loan_month and fct_product_month but not in rpt_portfolio_month (which reads the borrower's attributes)."},
    {'kind': 'loan_product', 'child': 'fct_loan_month', 'child_column': 'product_id',
     'parent': 'dim_product', 'parent_column': 'product_id',
     'description': 'A loan-month of a product not in the catalogue (seed loan_products): missing from fct_product_month.'},
    {'kind': 'taxpayer_enterprise', 'child': 'int_taxpayers__resolved', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc', 'unresolved': true,
     'description': 'A taxpayer whose id (a uscc, or a legacy number) names no enterprise in the registry: its rating is in no indicator.'},
    {'kind': 'tax_filing_enterprise', 'child': 'int_tax_filings__resolved', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc', 'unresolved': true,
     'description': 'A tax return whose taxpayer id names no enterprise in the registry: its revenue and tax are in no panel month.'},
    {'kind': 'tax_filing_taxpayer', 'child': 'stg_tax__tax_filings', 'child_column': 'taxpayer_id',
     'parent': 'stg_tax__taxpayers', 'parent_column': 'taxpayer_id',
     'description': "A tax return of a taxpayer not in staging: its revenue is taken as a general taxpayer's (monthly), not spread over a quarter."},
    {'kind': 'tax_arrear_enterprise', 'child': 'int_tax_arrears__resolved', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc', 'unresolved': true,
     'description': 'A tax arrear whose taxpayer id names no enterprise in the registry.'},
    {'kind': 'ss_contribution_enterprise', 'child': 'stg_social_security__ss_contributions', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'A social-security month of an enterprise the registry lacks: in no panel month.'},
    {'kind': 'invoice_seller_enterprise', 'child': 'stg_supply_chain__invoices', 'child_column': 'seller_uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'An invoice whose seller the registry lacks: its sales are in no panel month.'},
    {'kind': 'invoice_buyer_enterprise', 'child': 'stg_supply_chain__invoices', 'child_column': 'buyer_uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'An invoice whose buyer uscc (as the platform gives it) the registry lacks: its purchases are in no panel month.'},
    {'kind': 'core_enterprise_registry', 'child': 'stg_supply_chain__core_enterprises', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'A core enterprise the registry lacks: no warnings of its own, so none passed on to its chain.'},
    {'kind': 'chain_member_enterprise', 'child': 'int_supply_chain__members', 'child_column': 'member_uscc',
     'parent': registry, 'parent_column': 'uscc', 'where': 'is_main_chain is not null',
     'description': 'A chain member (supplier of a core enterprise) the registry lacks: no chain warning until its record arrives.'},
    {'kind': 'enterprise_change_enterprise', 'child': 'stg_commerce__enterprise_changes', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'A registry change record of an enterprise not in staging: its former names and addresses help no identity match.'},
    {'kind': 'penalty_enterprise', 'child': 'stg_commerce__penalties', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'An administrative penalty of an enterprise the registry lacks: in no panel month.'},
    {'kind': 'abnormal_operation_enterprise', 'child': 'stg_commerce__abnormal_operations', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'An abnormal-operation listing of an enterprise the registry lacks: in no panel month.'},
    {'kind': 'dishonest_debtor_enterprise', 'child': 'stg_commerce__dishonest_debtors', 'child_column': 'uscc',
     'parent': registry, 'parent_column': 'uscc',
     'description': 'A dishonest-debtor record of an enterprise the registry lacks: in no panel month.'},
    {'kind': 'enterprise_region', 'child': 'dim_enterprise', 'child_column': 'region_code',
     'parent': 'regions', 'parent_column': 'region_code',
     'description': 'A registry region code not in the GB/T 2260 table this release carries (validation observes it as region_code_not_in_reference): no province, city or county name.'},
]) -%}
{% endmacro %}

{#- The share of a kind's rows that may be orphans before the build fails: dbt var
    orphan_share_threshold (dbt_project.yml), overridden per deployment by the environment
    variable CREDITLAKE_ORPHAN_SHARE_THRESHOLD. An environment variable, not `--vars`: changing
    --vars between runs makes dbt parse the whole project again. -#}
{% macro orphan_share_threshold() -%}
{{ return(_orphan_setting('CREDITLAKE_ORPHAN_SHARE_THRESHOLD', 'orphan_share_threshold', 0, 1)) }}
{%- endmacro %}

{#- Kinds with fewer rows are counted but never fail the build: one orphan among a handful of
    records is no sign of a broken feed (CREDITLAKE_ORPHAN_MIN_CHILD_ROWS, var orphan_min_child_rows). -#}
{% macro orphan_min_child_rows() -%}
{{ return(_orphan_setting('CREDITLAKE_ORPHAN_MIN_CHILD_ROWS', 'orphan_min_child_rows', 0, none) | int) }}
{%- endmacro %}

{% macro _orphan_setting(env_name, var_name, low, high) -%}
{%- set text = env_var(env_name, var(var_name) | string) | trim -%}
{%- set value = text | float(-1) -%}
{#- not a number reads as -1, below every low bound -#}
{%- if value < low or (high is not none and value > high) -%}
{{ exceptions.raise_compiler_error(env_name ~ ' (or var ' ~ var_name ~ ') must be a number from ' ~ low
                                   ~ (' to ' ~ high if high is not none else ' up') ~ ', got ' ~ text) }}
{%- endif -%}
{{ return(value) }}
{%- endmacro %}
