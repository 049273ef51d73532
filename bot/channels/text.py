"""Text shaping shared by the chat channels: splitting long texts and shortening labels to a platform's limits."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between paragraphs where possible, else between lines, else
    between words; a word longer than the limit is cut where it must be."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for separator in ("\n\n", "\n", " "):
        if separator in text:
            current = ""
            for part in text.split(separator):
                candidate = f"{current}{separator}{part}" if current else part
                if len(candidate) <= limit:
                    current = candidate
                    continue
                if current:
                    pieces.append(current)
                if len(part) <= limit:
                    current = part
                else:
                    pieces.extend(split_text(part, limit)[:-1])
                    current = split_text(part, limit)[-1]
            if current:
                pieces.append(current)
            return [piece for piece in pieces if piece.strip()]
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
