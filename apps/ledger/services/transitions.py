"""Status changes as compare-and-swap updates, allowed only along a model's transition table."""

from __future__ import annotations


def compare_and_swap(model, *, pk: int, table: dict, current: str, new: str, **changes) -> bool:
    """Move row PK of MODEL from CURRENT to NEW; False when someone else moved it first.

    TABLE is the model's transition table: a move it does not list is a programming error.
    """
    if new not in table.get(current, ()):
        raise ValueError(f"{model.__name__} may not go from {current!r} to {new!r}.")
    return model.objects.filter(pk=pk, status=current).update(status=new, **changes) == 1
