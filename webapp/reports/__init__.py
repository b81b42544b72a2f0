"""The service-quality index (Decision 766/QĐ-TTg): the indicators this system can compute from its
own data, per month, for the province and each handling unit. A background job computes them into
``quality_snapshots``; the leaders' dashboard and ``/metrics`` only read the stored figures."""
