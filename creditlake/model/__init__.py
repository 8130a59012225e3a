"""Fitted scorecards: learned from the loan book's history, validated out of time, promoted
through a gate, stored as lakehouse data (model.*) that fct_credit_score reads.

fit.py      WoE binning (optbinning) + logistic regression -> a points card
card.py     a card as data: bins, grades, scaling; scores a frame the way fct_credit_score does
metrics.py  AUC, KS, Gini, calibration
gate.py     champion against challenger on the test window; the decision and its figures
store.py    the model.* Iceberg tables
run.py      one retraining run: read, fit, validate, gate, store (`creditlake model fit`)
"""
