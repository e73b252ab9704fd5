using System.Collections.Generic;
using System.IO;
using Engram.Core.Provenance;

namespace Engram.Core.Storage
{
    /// <summary>
    /// A <c>.prov</c> log as the verifier reads it: its tail (trailer cross-checked, torn bytes proven an unfinished
    /// append), its entries with every trailer checked against the entry it closes and the offset it really starts at,
    /// and the two cuts -Repair may make (the torn bytes; the newest entry, a write that never finished).
    /// </summary>
    internal sealed class LogHistory : HistoryUnderCheck
    {
        private readonly ProvenanceLog _log;
        private long _validLength;
        private LogTail? _tail;
        private (long Seq, string Why)? _mismatch;

        public LogHistory(ProvenanceLog log, long validLength = -1)
        {
            _log = log;
            _validLength = validLength;
        }

        public override string Origin => _log.Path;

        public override bool Exists => _log.Exists;

        public override HistoryShape? Open()
        {
            _tail = _log.ReadTail();
            if (_tail == null) return null;
            _validLength = _tail.ValidLength;
            return new HistoryShape { Seq = _tail.Seq, TornBytes = _tail.FileLength - _tail.ValidLength };
        }

        public override (long Seq, string Why)? LayoutMismatch => _mismatch;

        public override IEnumerable<ProvenanceEntry> Entries(bool includeValues, bool whole = false)
        {
            long length = whole ? new FileInfo(_log.Path).Length : _validLength >= 0 ? _validLength : (_log.ReadTail()?.ValidLength ?? 0);
            _mismatch = null;
            using (var scan = _log.ScanTrailers(length).GetEnumerator())
                foreach (var e in _log.ReadAll(length, includeValues))
                {
                    if (_mismatch == null && scan.MoveNext())
                    {
                        var (start, _, t) = scan.Current;
                        var why = t == null ? "its trailer line cannot be read"
                            : t.Start != start ? $"its trailer says it starts at offset {t.Start}, it starts at {start}"
                            : ProvenanceLog.TrailerDisagreement(t, e);
                        if (why != null) _mismatch = (e.Seq, why);
                    }
                    yield return e;
                }
        }

        public override void CutTorn() => FileOps.Truncate(_log.Path, _tail!.ValidLength);

        public override void CutNewest() => FileOps.Truncate(_log.Path, _tail!.Start);
    }
}
