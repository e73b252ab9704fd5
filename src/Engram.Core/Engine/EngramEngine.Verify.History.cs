using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    // The verifier's check of one history against its memory, its repairs, and the re-check of findings under the lock.
    public partial class EngramEngine
    {
        /// <param name="damagedFile">The MalformedMemory finding of the memory, when it exists but cannot be read.</param>
        private void VerifyHistory(IVerifiedLayout layout, string ns, string key, HistoryUnderCheck history, MemoryRecord? memory, bool repair, StoreReport report, StoreFinding? damagedFile = null)
        {
            HistoryShape? shape;
            try { shape = history.Open(); }
            catch (EngramException ex) when (HistoryDamage.KindOf(ex) != null)
            {
                var kind = HistoryDamage.KindOf(ex)!;
                // Damage, not a crash: nothing is cut or rewritten. Walk what is there for everything else that is wrong;
                // the walk names the entry where it can (a broken chain, a trailer that does not match its entry).
                int before = report.Findings.Count;
                ChainRules.CheckHistory(history, ns, key, report, whole: true);
                if (!report.Findings.Skip(before).Any(f => f.Kind == kind))
                    report.Findings.Insert(before, new StoreFinding(FindingSeverity.Error, kind, ex.Message + ChainRules.RepairByHand, history.Origin, ns, key));
                return;
            }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : "MalformedProvenance", ex.Message, history.Origin, ns, key));
                return;
            }
            if (shape == null) return;
            // The bytes after the last complete entry are an append that never finished. They are cut only once the
            // history before them verified and agrees with the memory (as a writer's Reconcile does): a memory ahead of
            // that history means the write finished, so those bytes are damage, never cut.
            StoreFinding? torn = null;
            if (shape.TornBytes > 0)
            {
                torn = new StoreFinding(FindingSeverity.Warning, "TornAppend",
                    $"The history of '{key}' in '{ns}' ends with an incomplete entry ({shape.TornBytes} bytes) from an interrupted write.", history.Origin, ns, key, shape.Seq + 1);
                report.Findings.Add(torn);
            }
            void CutTorn()
            {
                if (torn == null || !repair) return;
                history.CutTorn();
                torn.Repaired = true;
            }
            if (shape.Seq == 0) { CutTorn(); return; }

            var walk = ChainRules.CheckHistory(history, ns, key, report, whole: false);
            if (walk.Broken) return;
            ProvenanceEntry? last = walk.Last, lastMain = walk.LastMain;

            // The main line's last entry must agree with the memory.
            if (lastMain == null) { CutTorn(); return; }
            bool consistent = memory == null ? lastMain.Action == ProvenanceActions.Deleted
                : lastMain.Action != ProvenanceActions.Deleted && lastMain.Version == memory.Version && lastMain.ContentHash == memory.ContentHash;
            if (consistent) { CutTorn(); return; }
            bool FirstOrAfterDeletion() => HistoryRules.IsFirstOrAfterDeletion(walk.MainActionBeforeLast);
            bool canDangle = Storage.CanLeaveDanglingEntries;
            if (damagedFile == null && canDangle && HistoryRules.LooksDangling(lastMain.Action, lastMain.Version, memory, FirstOrAfterDeletion))
            {
                var f = new StoreFinding(FindingSeverity.Warning, "DanglingEntry",
                    $"Entry {lastMain.Seq} of '{key}' in '{ns}' records a write that never completed (the process stopped before the memory file was replaced).", history.Origin, ns, key, lastMain.Seq);
                report.Findings.Add(f);
                if (repair && lastMain == last)
                {
                    history.CutNewest();
                    f.Repaired = true;
                    if (torn != null) torn.Repaired = true;
                }
                else CutTorn();
            }
            else if (damagedFile != null || (canDangle ? HistoryRules.FileLost(lastMain.Action, memory, FirstOrAfterDeletion) : memory == null && lastMain.Action != ProvenanceActions.Deleted))
            {
                CutTorn();
                Rebuild(layout, ns, key, walk, history, damagedFile, repair, report);
            }
            else
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMismatch",
                    $"The {layout.MemoryNoun} of '{key}' in '{ns}' (version {memory?.Version.ToString(CultureInfo.InvariantCulture) ?? "none"}) does not match its last history entry {lastMain.Seq} (version {lastMain.Version}, {lastMain.Action}).", history.Origin, ns, key, lastMain.Seq));
            }
        }

        /// <summary>
        /// A memory that is missing or cannot be read (<paramref name="damagedFile"/>) while its history verified:
        /// reported, and with <paramref name="repair"/> rebuilt from the newest main-line entry that holds the value of
        /// the last main version; a <c>repaired</c> entry (hash-chained like any entry) records it. As a write: the entry
        /// and the memory together (on files, the entry first, then the memory file by rename).
        /// </summary>
        private void Rebuild(IVerifiedLayout layout, string ns, string key, ChainWalk walk, HistoryUnderCheck history, StoreFinding? damagedFile, bool repair, StoreReport report)
        {
            var f = ChainRules.ReportRebuild(walk, ns, key, MemoryOrigin(ns, key), damagedFile, report, out var source);
            if (!repair || source == null) return;
            // The walk kept the source's header only: its value is read again, alone.
            if (!source.HasValue || source.Value == null) source = history.Entries(includeValues: true).First(e => e.Seq == source.Seq);
            using (var s = layout.RepairWrite())
            {
                var tail = s.ReadTail(ns, key);
                var (record, entry) = ChainRules.Rebuilt(walk, source, ns, key, tail?.Seq ?? 0, tail?.Hash, damagedFile != null);
                s.PutMemory(record);
                s.Append(tail, new[] { entry });
                s.Commit();
            }
            f.Repaired = true;
        }

        /// <summary>
        /// Runs one part of a verification. When it finds something while the caller does not hold the store's lock,
        /// the part runs again under the lock and only what it finds then is kept: a write that was half-done during
        /// the first reading (a history appended, its memory not yet replaced; a temp file; a transaction folder) is not
        /// damage. The lock is held only for that second reading. If the lock cannot be taken (a storage without one, a
        /// read-only store, a link at <c>_lock</c>, a writer holding it past the timeout), the first reading stands.
        /// </summary>
        private static void Rechecked(IVerifiedLayout layout, StoreReport report, bool locked, Action<StoreReport> part)
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
            if (!layout.UnderRecheckLock(() => part(again)))
            {
                report.Findings.AddRange(first.Findings);
                return;
            }
            report.Findings.AddRange(again.Findings);
            report.DismissedOnRecheck += Math.Max(0, first.Findings.Count - again.Findings.Count);
        }

        /// <summary>
        /// <see cref="Rechecked"/> for a namespace: only the memories (by stem: the name of the file a finding names)
        /// with a finding are read again under the lock, so the lock is held for a few records, not for the namespace.
        /// </summary>
        private static void RecheckedByStem(IVerifiedLayout layout, StoreReport report, bool locked, Action<StoreReport, Func<string, bool>?> part)
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
            if (!layout.UnderRecheckLock(() => part(again, stems.Contains)))
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
