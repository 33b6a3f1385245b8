"""The daily backup job (beat, at BACKUP_TIME in TIME_ZONE)."""

import logging

from celery import shared_task

from apps.common.backups.files import BackupError
from apps.common.backups.service import make_backup

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def daily_backup() -> str | None:
    """Back up the database; an ERROR log line is the alert when it fails."""
    try:
        result = make_backup()
    except (BackupError, OSError) as error:
        logger.error("Daily backup FAILED: %s", error)
        return None
    logger.info(
        "Daily backup written: %s (%d bytes, sha256 %s); %d old backup(s) deleted",
        result.path,
        result.size_bytes,
        result.checksum,
        len(result.deleted),
    )
    return str(result.path)
