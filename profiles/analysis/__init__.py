"""The ICP analyses (issue #5): review a profile, explain an account's fit, learn from the best customers,
validate tiers against outcomes, breadth of A/B targets.

domain.py     plain arithmetic of the figures (histograms, lifts, suggestions, outcomes), no ORM
selectors.py  the set-based reads: each figure one GROUP BY over the SQL form of the criteria (profiles.fit_sql)
snapshots.py  those reads run in the background and stored as JSON (ProfileAnalysis), rebuilt for the pages
views.py, urls.py  the pages
"""
