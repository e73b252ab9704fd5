using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Storage;

namespace Engram.Core
{
    // Re-checking under the store's lock what looked wrong on a store that other processes are writing (the file-only
    // checks, links, transaction records and temp files, are the file storage's: Files/FileStorage.Verify.cs).
    public sealed partial class EngramStore
    {
        /// <summary>
        /// Runs one part of a verification. When it finds something while the caller does not hold the store's lock,
        /// the part runs again under the lock and only what it finds then is kept: a write that was half-done during
        /// the first reading (a history appended, its memory file not yet renamed; a temp file; a transaction folder)
        /// is not damage. The lock is held only for that second reading. If the lock cannot be taken (a read-only
        /// store, a link at <c>_lock</c>, a writer holding it past the timeout), the first reading stands.
        /// </summary>
        private void Rechecked(StoreReport report, bool locked, Action<StoreReport> part)
        {
            var first = report.Scratch();
            part(first);
            report.AddCounts(first);
            if (locked || !first.Findings.Any(f => f.Severity != FindingSeverity.Information))
            {
                report.Findings.AddRange(first.Findings);
                return;
            }
            var again = report.Scratch();
            if (!Files.UnderRecheckLock(() => part(again)))
            {
                report.Findings.AddRange(first.Findings);
                return;
            }
            report.Findings.AddRange(again.Findings);
            report.DismissedOnRecheck += Math.Max(0, first.Findings.Count - again.Findings.Count);
        }

        /// <summary>
        /// <see cref="Rechecked"/> for a namespace: only the memories (by file name stem) with a finding are read again
        /// under the lock, so the lock is held for a few files, not for the namespace.
        /// </summary>
        private void RecheckedByStem(StoreReport report, bool locked, Action<StoreReport, Func<string, bool>?> part)
        {
            var first = report.Scratch();
            part(first, null);
            report.AddCounts(first);
            if (locked || !first.Findings.Any(f => f.Severity != FindingSeverity.Information))
            {
                report.Findings.AddRange(first.Findings);
                return;
            }
            string Stem(StoreFinding f) => f.Path == null ? "" : Path.GetFileNameWithoutExtension(f.Path);
            var stems = new HashSet<string>(first.Findings.Where(f => f.Severity != FindingSeverity.Information).Select(Stem), StringComparer.Ordinal);
            var again = report.Scratch();
            if (!Files.UnderRecheckLock(() => part(again, stems.Contains)))
            {
                report.Findings.AddRange(first.Findings);
                return;
            }
            var kept = first.Findings.Where(f => !stems.Contains(Stem(f))).ToList();
            report.Findings.AddRange(kept);
            report.Findings.AddRange(again.Findings);
            report.DismissedOnRecheck += Math.Max(0, first.Findings.Count - kept.Count - again.Findings.Count);
        }
    }
}
