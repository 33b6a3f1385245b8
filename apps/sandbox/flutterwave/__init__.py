"""The fake Flutterwave v3 API, mounted at /sandbox/flutterwave/ (external-apis.md §1).

endpoint.py: the Bearer key check and the v3 error envelope every route shares; wire.py: how
objects look on the wire. Bank-transfer charges: charges.py holds their state and what tests and
sandbox actions do to it (pay_charge, charge_completed_webhook), charge_views.py the routes.
Transfers, banks and account resolution join later the same way (transfers.py, transfer_views.py),
behind the same endpoint decorator and urls.py.
"""
