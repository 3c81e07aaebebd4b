"""Cached profile embeddings: one row per (person, text field, embedder), with the text's hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import ProfileEmbedding
from storage.types import utcnow


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredVector:
    person_id: int
    field: str
    text_hash: str
    vector: bytes
    dimensions: int


def cached(
    session: Session, *, person_ids: Sequence[int], embedder: str
) -> dict[tuple[int, str], StoredVector]:
    """Everything cached for these people and this embedder, keyed by (person id, field)."""
    found: dict[tuple[int, str], StoredVector] = {}
    for start in range(0, len(person_ids), 500):  # keep IN lists short for both databases
        chunk = person_ids[start : start + 500]
        rows = session.exec(
            select(ProfileEmbedding).where(
                ProfileEmbedding.embedder == embedder, col(ProfileEmbedding.person_id).in_(chunk)
            )
        )
        for row in rows:
            found[(row.person_id, row.field)] = StoredVector(
                row.person_id, row.field, row.text_hash, row.vector, row.dimensions
            )
    return found


def store(session: Session, *, embedder: str, vectors: Iterable[StoredVector]) -> int:
    """Insert or replace vectors; returns how many were written."""
    count = 0
    for item in vectors:
        row = session.exec(
            select(ProfileEmbedding).where(
                ProfileEmbedding.person_id == item.person_id,
                ProfileEmbedding.field == item.field,
                ProfileEmbedding.embedder == embedder,
            )
        ).first()
        if row is None:
            row = ProfileEmbedding(
                person_id=item.person_id,
                field=item.field,
                embedder=embedder,
                text_hash=item.text_hash,
                dimensions=item.dimensions,
                vector=item.vector,
            )
        else:
            row.text_hash = item.text_hash
            row.dimensions = item.dimensions
            row.vector = item.vector
            row.created_at = utcnow()
        session.add(row)
        count += 1
    session.flush()
    return count
