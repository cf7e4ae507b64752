"""What runs in background worker processes outside consumers: the RQ jobs
(``manage.py rqworker``) and what they build on."""
