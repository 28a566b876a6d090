"""Evidence uploads that never pass through a function (docs/spec/upload-v1.md): grants and
their limits (``grants``), the local host's multipart store (``local``) and S3's
(``s3``)."""

from functions.uploads.grants import Backend, Limits, UploadError, Uploads
from functions.uploads.local import LocalUploads
from functions.uploads.s3 import S3Uploads

__all__ = ["Backend", "Limits", "LocalUploads", "S3Uploads", "UploadError", "Uploads"]
