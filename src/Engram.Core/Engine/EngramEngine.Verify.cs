using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    // The verifier: every memory readable, every history's chain (ChainRules) and its agreement with its memory, every
    // branch; -Repair rebuilds a lost memory from its history. Written over the storage primitives, for a storage whose
    // write sessions are all or nothing (SQL); the file store still verifies with its own (EngramStore.Verify), which
    // also checks what only files have (links, transaction records, temp files, trailers, torn appends).
    public partial class EngramEngine
    {
        /// <summary>Where a memory is, for findings (a file store names its memory file).</summary>
        protected virtual string MemoryOrigin(string ns, string key) => Root + "#" + ns + "/" + key;

        /// <summary>Where a branch record is, for findings.</summary>
        protected virtual string BranchOrigin(string ns, string branch) => Root + "#_branches/" + ns + "/" + branch;

        /// <summary>
        /// Checks the whole store: every memory reads, every history's chain verifies (hashes, links, sequence, versions,
        /// value hashes) and its main line ends where its memory is, every branch record and branch memory reads and
        /// belongs to its branch. With <paramref name="repair"/>, a memory that is gone while its history is intact is
        /// rebuilt from its newest valued entry, and a <c>repaired</c> entry records it.
        /// </summary>
        public virtual StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            var report = new StoreReport(Root);
            using (var view = Storage.OpenRead())
            {
                var histories = view.Histories(null).ToList();
                var namespaces = view.Namespaces();
                var all = namespaces.Concat(histories.Select(h => h.Key)).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
                int done = 0;
                foreach (var ns in all)
                {
                    progress?.Invoke(++done, all.Count, ns);
                    // Memories first (kept without their values: only version and hash are compared with a history).
                    var memories = new Dictionary<string, MemoryRecord?>(StringComparer.Ordinal); // key -> header (null: unreadable)
                    foreach (var location in view.ListMemories(ns))
                    {
                        report.MemoriesChecked++;
                        var key = location.Key ?? location.Path;
                        memories[key] = TryReadForVerify(() => view.ReadListed(location), ns, key, location.Path, report, out var m) ? Header(m) : null;
                    }
                    foreach (var h in histories.Where(h => h.Key == ns))
                    {
                        var key = h.Value;
                        report.HistoriesChecked++;
                        MemoryRecord? memory;
                        if (memories.TryGetValue(key, out memory)) { if (memory == null) continue; } // unreadable: reported above
                        else if (!TryReadForVerify(() => view.ReadMemory(ns, key), ns, key, MemoryOrigin(ns, key), report, out memory)) continue;
                        VerifyHistory(view, ns, key, memory, report, repair);
                    }
                }
                VerifyBranches(view, report);
            }
            if (Storage is ISearchIndexCheck index) index.CheckSearchIndex(report, repair);
            return report;
        }

        /// <summary>Verifies the histories of one namespace (optionally some keys) against their memories; changes nothing.</summary>
        public virtual StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var report = new StoreReport(Root);
            using (var view = Storage.OpenRead())
                foreach (var key in view.Histories(ns).Select(h => h.Value).ToList())
                {
                    if (keyFilter != null && !keyFilter(key)) continue;
                    report.HistoriesChecked++;
                    if (!TryReadForVerify(() => view.ReadMemory(ns, key), ns, key, MemoryOrigin(ns, key), report, out var memory)) continue;
                    if (memory != null) report.MemoriesChecked++;
                    VerifyHistory(view, ns, key, memory, report);
                }
            return report;
        }

        /// <summary>The head of every tracked memory's history in a namespace (its newest entry's number and hash).</summary>
        public ProvenanceHead GetHead(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var list = new List<HeadEntry>();
            using (var view = Storage.OpenRead())
                foreach (var h in view.Histories(ns).ToList())
                {
                    var tail = view.ReadTail(ns, h.Value);
                    if (tail != null) list.Add(new HeadEntry(h.Value, tail.Seq, tail.Hash));
                }
            return new ProvenanceHead(ns, DateTime.UtcNow, list.OrderBy(e => e.Key, StringComparer.Ordinal).ToList());
        }

        /// <summary>
        /// Verifies the namespace's histories against a head saved earlier: each anchored entry must still be in its
        /// chain with the same hash (no truncation, no rewriting), and every chain must verify.
        /// </summary>
        public virtual StoreReport VerifyAgainst(ProvenanceHead head)
        {
            ChainRules.CheckAnchorHead(head);
            var ns = Names.NormalizeNamespace(head.Namespace);
            EnsureExists();
            var report = new StoreReport(Root);
            using (var view = Storage.OpenRead())
                foreach (var anchored in head.Entries)
                {
                    report.HistoriesChecked++;
                    var where = HistoryOrigin(ns, anchored.Key);
                    if (view.ReadTail(ns, anchored.Key) == null)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMissing",
                            $"The history of '{anchored.Key}' in '{ns}' was anchored at entry {anchored.Seq} but no longer exists.", where, ns, anchored.Key, anchored.Seq));
                        continue;
                    }
                    int before = report.Findings.Count;
                    if (!TryReadForVerify(() => view.ReadMemory(ns, anchored.Key), ns, anchored.Key, MemoryOrigin(ns, anchored.Key), report, out var memory)) continue;
                    if (memory != null) report.MemoriesChecked++;
                    VerifyHistory(view, ns, anchored.Key, memory, report); // counts the entries it walks
                    if (report.Findings.Count > before) continue;
                    var entries = view.ReadHistory(ns, anchored.Key, null, includeValues: false).ToList();
                    ChainRules.CheckAnchor(anchored, entries, ns, where, report);
                }
            return report;
        }

        /// <summary>Reads a memory for verification: null when absent; a finding (and false) when it cannot be read.</summary>
        private static bool TryReadForVerify(Func<MemoryRecord?> read, string ns, string key, string origin, StoreReport report, out MemoryRecord? memory)
        {
            memory = null;
            try
            {
                memory = read();
                return true;
            }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MemoryNotFound)
            {
                return true; // gone since it was listed
            }
            catch (EngramException ex)
            {
                var kind = ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : ex.ErrorId == EngramErrorIds.ValueTooLarge ? "ValueTooLarge" : "MalformedMemory";
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, kind, ex.Message, origin, ns, key));
                return false;
            }
        }

        /// <summary>A memory without its value (the verifier holds one value at a time, however many memories there are).</summary>
        private static MemoryRecord? Header(MemoryRecord? m) =>
            m == null ? null : new MemoryRecord(m.Id, m.Namespace, m.Key, () => throw new InvalidOperationException("not kept"), m.ContentHash, m.Tags, m.Version, m.CreatedUtc, m.UpdatedUtc);

        /// <summary>Checks one history's chain and that its main line ends where its memory is; with <paramref name="repair"/>,
        /// rebuilds a lost memory from it.</summary>
        private void VerifyHistory(IStorageView view, string ns, string key, MemoryRecord? memory, StoreReport report, bool repair = false)
        {
            var where = HistoryOrigin(ns, key);
            var walk = ChainRules.CheckChain(view.ReadHistory(ns, key, null, includeValues: true), ns, key, where, report);
            if (walk.Broken || walk.LastMain == null) return;
            var lastMain = walk.LastMain;
            bool consistent = memory == null ? lastMain.Action == ProvenanceActions.Deleted
                : lastMain.Action != ProvenanceActions.Deleted && lastMain.Version == memory.Version && lastMain.ContentHash == memory.ContentHash;
            if (!consistent && memory == null && lastMain.Action != ProvenanceActions.Deleted)
            {
                // The memory is gone while its history verifies (a change is all or nothing here: never a crashed write).
                var f = ChainRules.ReportRebuild(walk, ns, key, MemoryOrigin(ns, key), null, report, out var source);
                if (!repair || source == null) return;
                using (var s = Storage.BeginWrite())
                {
                    var tail = s.ReadTail(ns, key);
                    var (record, entry) = ChainRules.Rebuilt(walk, source, ns, key, tail?.Seq ?? 0, tail?.Hash, malformed: false);
                    s.PutMemory(record);
                    s.Append(tail, new[] { entry });
                    s.Commit();
                }
                f.Repaired = true;
            }
            else if (!consistent)
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMismatch",
                    $"The memory '{key}' in '{ns}' (version {memory?.Version.ToString(CultureInfo.InvariantCulture) ?? "none"}) does not match its last history entry {lastMain.Seq} (version {lastMain.Version}, {lastMain.Action}).", where, ns, key, lastMain.Seq));
        }

        /// <summary>Every branch record reads and names its place, and every memory it keeps reads and is one it covers.</summary>
        private void VerifyBranches(IStorageView view, StoreReport report)
        {
            var branches = Storage is IStorageLayoutCheck layout ? layout.StoredBranches(view)
                : view.ReadBranches(null).Select(b => new KeyValuePair<string, string>(b.Key.Namespace, b.Key.Name)).ToList();
            foreach (var b in branches)
            {
                string ns = b.Key, name = b.Value;
                report.BranchesChecked++;
                try
                {
                    var record = view.ReadBranch(ns, name);
                    if (record == null) continue; // removed since it was listed
                    if (record.Name != name || record.Namespace != ns)
                        throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch record of '{ns}@{name}' names '{record.Namespace}@{record.Name}'.", ns + "@" + name);
                    foreach (var slot in new[] { BranchSlot.Own, BranchSlot.Base })
                        foreach (var m in view.ReadBranchMemories(ns, name, slot))
                            if (!record.Covers(m.Key))
                                throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"Branch '{name}' of '{ns}' holds key '{m.Key}', which it does not cover.", ns + "@" + name);
                }
                catch (EngramException ex)
                {
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedBranch", ex.Message, BranchOrigin(ns, name), ns));
                }
            }
        }
    }
}
