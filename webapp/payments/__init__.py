"""Online fee payment for dossiers: the payment gateway connector (thanh_toan) and its fake."""
