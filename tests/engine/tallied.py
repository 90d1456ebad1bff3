"""What a trigger-kept tally (engine.tallies) counts now, read with the ORM: its rows and its changes not folded in
yet, summed per key, keys whose counts sum to zero left out."""

from django.db.models import Sum

from engine.tallies import Tally


def tallied(tally: Tally) -> dict[tuple, int]:
    totals: dict[tuple, int] = {}
    for model in (tally.model, tally.changes):
        for row in model.objects.values(*tally.keys).annotate(n=Sum(tally.counted)):
            key = tuple(row[k] for k in tally.keys)
            totals[key] = totals.get(key, 0) + row["n"]
    return {key: n for key, n in totals.items() if n}
