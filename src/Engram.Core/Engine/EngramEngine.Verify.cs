using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    // The verifier, one flow for every storage: the layout's own checks (IVerifiedLayout: links, interrupted work,
    // leftovers), then every memory, every history's chain (ChainRules) and its agreement with its memory (HistoryRules),
    // every branch; -Repair cuts what a crashed write left and rebuilds a lost memory from its history. Whatever looks
    // wrong is read again under the store's lock where the storage has one (EngramEngine.Verify.Recheck.cs).
    public partial class EngramEngine
    {
        /// <summary>Where a memory is, for findings (a file store names its memory file).</summary>
        protected virtual string MemoryOrigin(string ns, string key) => Root + "#" + ns + "/" + key;

        /// <summary>Where a branch record is, for findings.</summary>
        protected virtual string BranchOrigin(string ns, string branch) => Root + "#_branches/" + ns + "/" + branch;

        /// <summary>The storage's layout as the verifier sees it.</summary>
        private IVerifiedLayout Layout => Storage as IVerifiedLayout ?? new ViewLayout(Storage, MemoryOrigin, HistoryOrigin, BranchOrigin);

        /// <summary>
        /// Checks the whole store: every memory reads, every history's chain verifies (hashes, links, sequence, versions,
        /// value hashes) and its main line ends where its memory is, every branch record and branch memory reads and
        /// belongs to its branch, and what only the storage's layout knows (links, interrupted transactions, temp files,
        /// headers, trailers, torn appends). With <paramref name="repair"/>, does only safe repairs: finishes or sets
        /// aside interrupted work, deletes leftovers, cuts torn or dangling trailing entries (writes that never completed)
        /// and rebuilds a missing or unreadable memory from its intact history (a <c>repaired</c> entry records it).
        /// </summary>
        /// <remarks>
        /// Consistent on a live store without blocking its writers for long: the store is read without the lock, and
        /// whatever looks wrong is checked again under the store's lock, briefly, and reported only if it is still wrong
        /// then: a write in progress is not damage. With <paramref name="repair"/> the lock is held throughout. Values are
        /// read one at a time: memory use follows the largest value, not the store.
        /// </remarks>
        public StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            var report = new StoreReport(Root);
            var layout = Layout;
            IDisposable? held = null;
            try
            {
                // Taking the lock finishes interrupted work: record it first so the report says so.
                Rechecked(layout, report, repair, layout.CheckJournal);
                if (repair)
                {
                    held = layout.HoldForRepair();
                    if (held == null) repair = false; // something in the way (reported below): nothing is repaired
                    else foreach (var f in report.Findings) f.Repaired = true;
                }
                layout.ScanLinks(report);
                Rechecked(layout, report, repair, r => layout.CheckLeftovers(r, repair));
                using (var view = Storage.OpenRead())
                {
                    var all = layout.Namespaces(view, report);
                    int done = 0;
                    foreach (var ns in all)
                    {
                        progress?.Invoke(++done, all.Count, ns);
                        RecheckedByStem(layout, report, repair, (r, only) => VerifyNamespace(layout, view, ns, repair, r, only));
                    }
                    Rechecked(layout, report, repair, r => VerifyBranches(layout, view, r));
                }
            }
            finally
            {
                held?.Dispose();
            }
            if (Storage is ISearchIndexCheck index) index.CheckSearchIndex(report, repair);
            return report;
        }

        /// <summary>Verifies the histories of one namespace (optionally some keys) against their memories; changes nothing.</summary>
        public StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var report = new StoreReport(Root);
            var layout = Layout;
            using (var view = Storage.OpenRead())
                foreach (var item in layout.Histories(view, ns, report, alone: true))
                {
                    var key = item.Key ?? item.Stem;
                    if (keyFilter != null && !keyFilter(key)) continue;
                    report.HistoriesChecked++;
                    Rechecked(layout, report, false, r =>
                    {
                        if (!TryReadMemory(view, ns, key, r, out var memory)) return;
                        if (memory != null) r.MemoriesChecked++;
                        VerifyHistory(layout, ns, key, layout.History(view, ns, key, item), memory, false, r);
                    });
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
        public StoreReport VerifyAgainst(ProvenanceHead head)
        {
            ChainRules.CheckAnchorHead(head);
            var ns = Names.NormalizeNamespace(head.Namespace);
            EnsureExists();
            var report = new StoreReport(Root);
            var layout = Layout;
            using (var view = Storage.OpenRead())
                foreach (var anchored in head.Entries)
                {
                    report.HistoriesChecked++;
                    if (!layout.AnchorReadable(ns, anchored.Key, report)) continue;
                    var history = layout.History(view, ns, anchored.Key, null);
                    if (!history.Exists)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMissing",
                            $"The history of '{anchored.Key}' in '{ns}' was anchored at entry {anchored.Seq} but no longer exists.", history.Origin, ns, anchored.Key, anchored.Seq));
                        continue;
                    }
                    Rechecked(layout, report, false, r =>
                    {
                        int before = r.Findings.Count;
                        if (!TryReadMemory(view, ns, anchored.Key, r, out var memory)) return;
                        if (memory != null) r.MemoriesChecked++;
                        VerifyHistory(layout, ns, anchored.Key, history, memory, false, r); // counts the entries it walks
                        if (r.Findings.Count > before) return; // the chain itself is broken: already reported
                        ChainRules.CheckAnchor(anchored, history.Entries(includeValues: false).ToList(), ns, history.Origin, r);
                    });
                }
            return report;
        }

        /// <summary>The memories of a namespace, then its histories, each against its memory.</summary>
        /// <param name="only">When set, only the memories (and histories) whose stem it accepts.</param>
        private void VerifyNamespace(IVerifiedLayout layout, IStorageView view, string ns, bool repair, StoreReport report, Func<string, bool>? only)
        {
            // Kept until the namespace's histories are checked: the headers of memories with a history only (version and hash
            // are compared with it), so an untracked namespace of a million memories holds nothing but its history names.
            // The names are listed first into a scratch report: the histories' findings come once, from the walk below.
            var tracked = new HashSet<string>(layout.Histories(view, ns, report.Scratch(), alone: false).Select(h => h.Stem), StringComparer.Ordinal);
            var memories = new Dictionary<string, MemoryRecord?>(StringComparer.Ordinal); // stem -> header (null: unreadable)
            var malformed = new Dictionary<string, StoreFinding>(StringComparer.Ordinal); // stem -> its MalformedMemory finding
            foreach (var item in layout.Memories(view, ns, report))
            {
                if (only != null && !only(item.Stem)) continue;
                report.MemoriesChecked++;
                bool keep = tracked.Contains(item.Stem);
                try
                {
                    var header = Header(layout.CheckMemory(view, item, report, repair));
                    if (keep) memories[item.Stem] = header;
                }
                catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MemoryNotFound) { } // gone since it was listed
                catch (EngramException ex)
                {
                    if (keep) memories[item.Stem] = null;
                    var kind = ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : ex.ErrorId == EngramErrorIds.ValueTooLarge ? "ValueTooLarge" : "MalformedMemory";
                    var f = new StoreFinding(FindingSeverity.Error, kind, ex.Message, item.Origin, ns, item.Key);
                    report.Findings.Add(f);
                    if (kind == "MalformedMemory" && keep) malformed[item.Stem] = f;
                }
            }
            foreach (var item in layout.Histories(view, ns, report, alone: false))
            {
                if (only != null && !only(item.Stem)) continue;
                report.HistoriesChecked++;
                memories.TryGetValue(item.Stem, out var memory);
                malformed.TryGetValue(item.Stem, out var damaged);
                if (memories.ContainsKey(item.Stem) && memory == null && damaged == null) continue; // reported: a newer format or too large, never rewritten
                var key = item.Key ?? memory?.Key ?? item.Stem;
                VerifyHistory(layout, ns, key, layout.History(view, ns, key, item), memory, repair, report, damaged);
            }
        }

        /// <summary>Reads a memory for a history check: null when absent; a finding (and false) when it cannot be read.</summary>
        private bool TryReadMemory(IStorageView view, string ns, string key, StoreReport report, out MemoryRecord? memory)
        {
            memory = null;
            try
            {
                memory = Header(view.ReadMemory(ns, key));
                return true;
            }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MemoryNotFound)
            {
                return true; // gone since it was listed
            }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsafeStorePath ? "UnsafeStorePath" : "MalformedMemory",
                    ex.Message, ex.Target as string ?? MemoryOrigin(ns, key), ns, key));
                return false;
            }
        }

        /// <summary>A memory without its value (the verifier holds one value at a time, however many memories there are).</summary>
        private static MemoryRecord? Header(MemoryRecord? m) =>
            m == null ? null : new MemoryRecord(m.Id, m.Namespace, m.Key, () => throw new InvalidOperationException("not kept"), m.ContentHash, m.Tags, m.Version, m.CreatedUtc, m.UpdatedUtc);

        /// <summary>Every branch record reads and names its place, and every memory it keeps reads and is one it covers.</summary>
        private static void VerifyBranches(IVerifiedLayout layout, IStorageView view, StoreReport report)
        {
            foreach (var b in layout.Branches(view, report))
            {
                report.BranchesChecked++;
                try
                {
                    var record = layout.ReadBranch(view, b);
                    if (record == null) continue; // removed since it was listed
                    foreach (var m in layout.BranchMemories(view, b, record, report))
                        if (!record.Covers(m.Key.Key))
                            throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"'{m.Value}' holds key '{m.Key.Key}', which branch '{record.Name}' does not cover.", m.Value);
                }
                catch (EngramException ex)
                {
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedBranch", ex.Message, b.Origin, b.Namespace));
                }
            }
        }
    }
}
