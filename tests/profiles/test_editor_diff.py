"""Comparing two profile versions: criteria paired by attribute and operator, then by attribute alone."""

from types import SimpleNamespace

from profiles.selectors import diff_versions


def version(criteria, tiers=None, description=""):
    return SimpleNamespace(criteria=criteria, tiers=tiers or {"A": 80, "B": 50}, description=description)


GTE = {"attribute": "employees", "op": "gte", "value": 300, "weight": 10}
LTE = {"attribute": "employees", "op": "lte", "value": 5000, "weight": 10}
IND = {"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 30}


def statuses(diff):
    return [(r.status, r.old_index, r.new_index, r.fields) for r in diff.rows]


def test_reordering_the_same_criteria_is_no_change():
    diff = diff_versions(old=version([GTE, LTE, IND]), new=version([IND, LTE, GTE]))
    assert not diff.has_changes
    assert statuses(diff) == [("same", 2, 0, ()), ("same", 1, 1, ()), ("same", 0, 2, ())]


def test_the_same_attribute_twice_pairs_by_operator_first():
    diff = diff_versions(old=version([GTE, LTE]), new=version([dict(LTE, value=3000), GTE]))
    assert statuses(diff) == [("changed", 1, 0, ("value",)), ("same", 0, 1, ())]


def test_an_operator_change_on_one_attribute_reads_as_one_changed_criterion():
    between = {"attribute": "employees", "op": "between", "value": [300, 5000], "weight": 10}
    diff = diff_versions(old=version([between, IND]), new=version([GTE]))
    assert statuses(diff) == [("changed", 0, 0, ("op", "value")), ("removed", 1, None, ())]
    assert diff.counts == {"same": 0, "changed": 1, "added": 0, "removed": 1}


def test_tiers_and_description_changes_are_reported():
    diff = diff_versions(old=version([IND], {"A": 80, "B": 50}, "a"), new=version([IND], {"A": 80, "B": 40}, "b"))
    assert diff.tiers_changed == ("B",) and diff.description_changed and diff.has_changes


def test_the_first_version_compared_with_nothing_is_all_added():
    diff = diff_versions(old=None, new=version([IND, GTE]))
    assert [r.status for r in diff.rows] == ["added", "added"] and diff.tiers_changed == ("A", "B")
