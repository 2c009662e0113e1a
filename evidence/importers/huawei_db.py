"""Read the message and call-log databases of a Huawei/Honor backup once decrypted: sms.db, calllog.db.

Huawei's Backup app (KoBackup) and HiSuite do not copy the phone's `mmssms.db` or `calllog.db`:
they write the providers' rows into databases of their own, one table per provider table, named
with a `_tb` suffix. The columns and their values are the providers' own (Android's `Telephony`
and `CallLog.Calls` contracts), so the events are the ones `android_db` makes of a phone's
databases, read through `android_db.read_messages` / `read_calls` with these table names.

Sources (two independent ones agree on the tables):

* P79N6A/pa_script (a Chinese forensic tool's parsers): android_sms.py `AutoBackupHuaweiSMSParser`
  reads `sms_tb` of a Huawei backup's `sms.db` (columns `date` ms, `address`, `type`, `body`,
  `date_sent`, `read`, …; "sms_tb no _id field", rows keyed by `group_id`), its MMS from
  `pdu_tb`, `addr_tb` (`msg_id`, `address`, `type` 137/151) and `part_tb` (`mid`, `ct`, `text`);
  android_callrecord.py `analyze_call_records_case5` ("华为自带备份") reads `calls_tb` of
  `calllog.db`: `number`, `date`, `duration`, `type`, `name`.
* Huawei's backup app itself (decompiled `BackupCallLogsImp`, and the SMS module naming
  `sms_tb` and `pdu_tb`): it queries `CallLog.Calls.CONTENT_URI` and stores each row's
  `ContentValues` (number, type, date, duration, subscription) into `calls_tb` unchanged.
* RealityNet/kobackupdec README.md lists the decrypted `sms.db` and `calllog.db` among "the special
  databases as created by the Huawei backups".

These importers read the databases in the clear: decrypted here from a backup folder
(`huawei_backup`, with the backup password), or decrypted elsewhere (kobackupdec's output).
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from evidence.importers.android_db import ProviderTables, read_calls, read_messages
from evidence.importers.apple_db import open_in_memory
from evidence.importers.streams import ExportStream
from evidence.records import ParsedEvent, SkippedRecord

_MESSAGES = "the Huawei backup's messages database"
_CALLS = "the Huawei backup's call-log database"
HUAWEI_BACKUP = ProviderTables("sms_tb", "pdu_tb", "addr_tb", "part_tb", "calls_tb", _MESSAGES, _CALLS)
_HINT = "is this the sms.db or calllog.db of a Huawei or Honor backup?"


def is_huawei_sms(tables: set[str]) -> bool:
    """Whether a database with these real tables is a Huawei backup's `sms.db`."""
    names = {t.lower() for t in tables}
    return "sms_tb" in names or "pdu_tb" in names


def is_huawei_calls(tables: set[str]) -> bool:
    """Whether a database with these real tables is a Huawei backup's `calllog.db`."""
    return "calls_tb" in {t.lower() for t in tables}


class HuaweiMessages:
    name = "huawei-sms"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        with open_in_memory(stream, _MESSAGES) as database:
            yield from read_messages(database, HUAWEI_BACKUP, _HINT)


class HuaweiCalls:
    name = "huawei-calls"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        with open_in_memory(stream, _CALLS) as database:
            yield from read_calls(database, HUAWEI_BACKUP, _HINT)
