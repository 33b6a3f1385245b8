"""Where the comment-group round-robin stands (one row, locked while it moves)."""

from __future__ import annotations

from django.db import models


class GroupPointer(models.Model):
    """How many comment-group slots have been handed out; the next group is this mod the count."""

    name = models.CharField(max_length=32, unique=True, default="comments")
    position = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} pointer at {self.position}"
