"""重大行政执法决定法制审核 (``enforcement-review@2021-07-15``): the legal review a major enforcement decision needs first.

《行政处罚法》(2021) 第五十八条: "未经法制审核或者审核未通过的，不得作出决定". The definition is ``procedure.yaml``;
``rules.py`` holds its refusals with their articles, ``guards.py`` and ``effects.py`` the pack's own checks and folds
(every name prefixed ``er_``). Specification: docs/procedure/enforcement-review.md.
"""
