"""The audit trail that proves itself: sealing (sealing.py), what a seal commits to (canon.py) and verifying
(verify.py). The sealed tables are named in settings.AUDIT_SEALED: ops knows none of the apps."""

from ops.seal.sealing import Sealed, seal_pass, sealed_upto, trail_seal
from ops.seal.verify import Mismatch, Report, check_age_words, last_check, trail_verify, verify_pass

SCHEDULES = {"ops.seal.seal_pass": 5, "ops.seal.verify_pass": 24 * 60}  # task -> every so many minutes (migration 0003)

__all__ = ["SCHEDULES", "Mismatch", "Report", "Sealed", "check_age_words", "last_check", "seal_pass", "sealed_upto",
           "trail_seal", "trail_verify", "verify_pass"]
