"""Encrypted backups of the stored ciphertext and their restore (docs/backup.md).

``archive`` is the file format (docs/spec/backup-v1.md): a passphrase, Argon2id and libsodium's
secretstream around a stream of records. ``stores`` reads and writes the objects of a local
folder or an S3 bucket, tags included, create-only. ``run`` joins them: create, verify, restore.
"""

from functions.errors import WbsError


class BackupError(WbsError, ValueError):
    """A backup file that cannot be used: wrong passphrase, damaged, truncated, not a backup;
    or a store that changed while it was read."""
