"""Prints pyHanko's modification level for every signature of a PDF, with Acrobat's rule for new visible
signature fields after a certification signature (pyHanko forbids those by default, Acrobat allows them).

usage: pyhanko_diff.py FILE  -> one line per signature: FIELD LEVEL
"""
import sys

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    SigFieldCreationRule,
    StandardDiffPolicy,
)

policy = StandardDiffPolicy(
    global_rules=DEFAULT_DIFF_POLICY.global_rules,
    form_rule=DEFAULT_DIFF_POLICY.form_rule,
)
for rule in policy.form_rule.field_rules:
    if isinstance(rule, SigFieldCreationRule):
        rule.allow_new_visible_after_certify = True
with open(sys.argv[1], "rb") as f:
    r = PdfFileReader(f)
    for s in r.embedded_signatures:
        res = policy.review_file(r, s.signed_revision, field_mdp_spec=s.fieldmdp, doc_mdp=s.docmdp_level)
        level = getattr(res, "modification_level", res)
        print(s.field_name, getattr(level, "name", level))
