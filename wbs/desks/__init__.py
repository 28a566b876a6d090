"""Desks, their members and the recovery key (docs/spec/desks-v2.md): grants, the keys a
member holds, recovery shares."""
