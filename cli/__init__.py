"""The ``juece`` command line: administration and scripting over the service layer."""
