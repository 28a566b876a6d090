"""Storage for ciphertext: one small interface, a local folder and S3 behind it."""

from functions.storage.base import ObjectInfo, Readable, Storage, check_key
from functions.storage.local import LocalStorage
from functions.storage.s3 import S3Storage

__all__ = ["LocalStorage", "ObjectInfo", "Readable", "S3Storage", "Storage", "check_key"]
