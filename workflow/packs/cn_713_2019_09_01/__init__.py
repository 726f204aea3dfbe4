"""《重大行政决策程序暂行条例》 (State Council Decree 713) as in force from 2019-09-01: the national major-decision
procedure (docs/procedure/cn-713.md). Frozen: a change in the law is a new pack."""
