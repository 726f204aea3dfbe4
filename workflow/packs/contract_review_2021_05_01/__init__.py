"""行政合同合法性审查 as of 2021-05-01 (《宁波市法治乡村建设促进条例》第十三条): a contract's legality review before
signing. Reuses Decree 713's draft, review and opinion functions explicitly (see its ``guards.py``, ``effects.py``)."""
