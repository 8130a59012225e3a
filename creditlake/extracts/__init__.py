"""Regulator extracts: the monthly inclusive-finance report and the loan-level extract.

Both read the bank's loans and the enterprise register from Iceberg bronze *as of recorded
snapshot ids*, so re-running a past period reproduces its files byte for byte even after
new data has arrived. See creditlake.extracts.run for the flow.
"""
