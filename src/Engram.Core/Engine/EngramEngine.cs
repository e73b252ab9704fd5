using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    /// <summary>
    /// The engine: every rule of Engram (validation, the tracking decision, version numbering, entries and their hashes,
    /// branches, merges, history reads) written once, over the primitives of an <see cref="IEngramStorage"/>. A store is
    /// an engine over one storage: <see cref="EngramStore"/> (files) and the SQL stores of Engram.Storage.Sql.
    /// </summary>
    public partial class EngramEngine : IEngramStore
    {
        /// <summary>An engine over <paramref name="storage"/>: everything a store does, on whatever keeps the records.</summary>
        public EngramEngine(IEngramStorage storage)
        {
            Storage = storage ?? throw new ArgumentNullException(nameof(storage));
        }

        /// <summary>The storage the engine keeps its records in.</summary>
        public IEngramStorage Storage { get; }

        /// <summary>"file", "sqlite" or "postgres".</summary>
        public string Backend => Storage.Kind;

        /// <summary>The location the store was opened from.</summary>
        public string Root => Storage.Location;

        public bool Exists => Storage.Exists;

        /// <summary>The store configuration (defaults when the store does not exist yet).</summary>
        public StoreConfig Config => Storage.ReadConfig() ?? new StoreConfig();

        /// <summary>Throws StoreNotFound unless the store exists (for read operations); a newer format is refused.</summary>
        public void EnsureExists()
        {
            if (!Storage.Exists) throw StoreErrors.StoreMissing(Root);
            _ = Config; // validates format
        }

        // ------------------------------------------------------------------ reads (no lock)

        /// <summary>Reads one memory; null when it does not exist. Never reads provenance.</summary>
        public MemoryRecord? TryGet(string ns, string key)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            using (var view = Storage.OpenRead()) return view.ReadMemory(ns, key);
        }

        /// <summary>Reads one memory; throws MemoryNotFound when it does not exist (StoreNotFound when the store does not).</summary>
        public MemoryRecord Get(string ns, string key)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            EnsureExists(); // like GetProvenance and Remove: StoreNotFound, and a newer store format is refused
            return TryGet(ns, key) ?? throw StoreErrors.MemoryMissing(ns, key);
        }

        /// <summary>Lists the memories of a namespace, sorted by key; cheap (reads no memory).</summary>
        public IEnumerable<MemoryLocation> List(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            using (var view = Storage.OpenRead()) return view.ListMemories(ns);
        }

        /// <summary>Reads the memory at a listed location.</summary>
        public MemoryRecord Read(MemoryLocation location)
        {
            using (var view = Storage.OpenRead()) return view.ReadListed(location);
        }

        /// <summary>Namespaces that hold memories (never the reserved ones), sorted.</summary>
        public IReadOnlyList<string> ListNamespaces()
        {
            using (var view = Storage.OpenRead()) return view.Namespaces();
        }

        /// <summary>Standard namespaces plus every namespace that exists, with counts and policy.</summary>
        public IReadOnlyList<NamespaceInfo> GetNamespaces()
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            using (var view = Storage.OpenRead()) foreach (var n in view.Namespaces()) counts[n] = view.CountMemories(n);
            var all = new SortedSet<string>(counts.Keys, StringComparer.Ordinal);
            foreach (var s in Names.StandardNamespaces) all.Add(s);
            var config = Config;
            return all.Select(n => new NamespaceInfo(n, config.IsTracked(n), counts.TryGetValue(n, out var c) ? c : 0,
                Names.StandardNamespaces.Contains(n), counts.ContainsKey(n))).ToList();
        }

        // ------------------------------------------------------------------ the history of a write

        /// <summary>
        /// Makes a history agree with its memory before a write decides anything from it, and returns its tail (null: no
        /// history). On a storage that can leave dangling entries, one entry a writer left dangling
        /// (<see cref="HistoryRules.LooksDangling"/>) is cut — the storage verifies the whole history first. A memory that
        /// is gone while its history is intact (<see cref="HistoryRules.FileLost"/>) lets the write continue that
        /// history. Any other disagreement is refused with <c>MalformedProvenance</c>, with nothing changed.
        /// </summary>
        internal HistoryTail? Reconcile(IStorageWrite s, MemoryRecord? current, string ns, string key)
        {
            var tail = s.ReadTail(ns, key);
            if (tail == null || !Storage.CanLeaveDanglingEntries) return tail;
            if (tail.Branch != Names.DefaultBranch || HistoryRules.Consistent(tail, current) // branch entries are transactional
                || HistoryRules.FileLost(tail.Action, current, () => HistoryRules.IsFirstOrFollowsDeletion(s, tail)))
                return tail;
            if (!HistoryRules.LooksDangling(tail.Action, tail.Version, current, () => HistoryRules.IsFirstOrFollowsDeletion(s, tail)))
                throw new EngramException(EngramErrorIds.MalformedProvenance, EngramErrorKind.InvalidData,
                    $"The history of '{key}' in '{ns}' (entry {tail.Seq}, version {tail.Version}) does not match its memory file (version {current?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}). Nothing was written; check the store with Test-EngramStore.",
                    HistoryOrigin(ns, key));
            s.CutNewest(tail);
            return s.ReadTail(ns, key);
        }

        /// <summary>Where a history is, for error records (a file store names its .prov file).</summary>
        protected virtual string HistoryOrigin(string ns, string key) => Root + "#_provenance/" + ns + "/" + key;

        /// <summary>Live branches of <paramref name="ns"/> that read <paramref name="key"/> from main and have no merge base for it yet.</summary>
        internal static List<string> BranchesNeedingBase(IStorageView s, string ns, string key, string? except = null)
        {
            var result = new List<string>();
            foreach (var b in s.ReadBranches(ns))
            {
                var record = b.Key;
                if (record.Name == except || !record.Covers(key)) continue;
                if (s.ReadBranchMemory(ns, record.Name, BranchSlot.Base, key) != null) continue;
                result.Add(record.Name);
            }
            return result;
        }

        /// <summary>Keeps, for each branch, the memory as main has it now (or a tombstone when it does not exist).</summary>
        internal static void KeepBases(IStorageWrite s, IEnumerable<string> branches, MemoryRecord? current, string ns, string key)
        {
            var snapshot = current ?? MemoryRecord.Tombstone("", ns, key, 0, Names.DefaultBranch);
            foreach (var b in branches) s.PutBranchMemory(ns, b, BranchSlot.Base, snapshot);
        }

        // ------------------------------------------------------------------ provenance reads

        /// <summary>True when the memory has a provenance history (it is, and stays, tracked).</summary>
        public bool HasProvenance(string ns, string key)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            HistoryTail? tail;
            using (var view = Storage.OpenRead())
            {
                try { tail = view.ReadTail(ns, key); }
                catch (EngramException) { return true; } // damaged history is still history (Test-EngramStore names it)
                if (tail == null) return false;
                if (!Storage.CanLeaveDanglingEntries || tail.Seq > 1 || tail.Branch != Names.DefaultBranch) return true;
                // A lone entry is no history when it is a write that died before its memory was stored (LooksDangling):
                // readers hide it and the next writer cuts it, so it must not make the memory tracked.
                MemoryRecord? current;
                try { current = view.ReadMemory(ns, key); }
                catch (EngramException) { return true; }
                return HistoryRules.Consistent(tail, current) || !HistoryRules.LooksDangling(tail.Action, tail.Version, current, () => true);
            }
        }

        /// <summary>
        /// The memory's history, oldest first, streaming; with <paramref name="last"/>, only the newest entries (cost
        /// independent of history length). An entry a writer is still committing is not shown.
        /// </summary>
        public IEnumerable<ProvenanceEntry> GetProvenance(string ns, string key, int? last = null, bool includeValues = true, string? branch = null)
        {
            var b = branch == null || branch == "*" ? null : Names.NormalizeBranch(branch);
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            EnsureExists();
            HistoryTail? tail;
            bool unreadableMemory;
            using (var view = Storage.OpenRead())
            {
                tail = VisibleTail(view, ns, key, out unreadableMemory);
                if (tail == null && unreadableMemory) return Array.Empty<ProvenanceEntry>();
                if (last.HasValue) return view.ReadNewest(tail!, Math.Max(0, last.Value), b, includeValues);
            }
            return StreamHistory(ns, key, tail!, b, includeValues);
        }

        private IEnumerable<ProvenanceEntry> StreamHistory(string ns, string key, HistoryTail upTo, string? branch, bool includeValues)
        {
            using (var view = Storage.OpenRead())
                foreach (var e in view.ReadHistory(ns, key, upTo, includeValues))
                    if (branch == null || e.Branch == branch) yield return e;
        }

        /// <summary>
        /// The newest entry readers show: entries beyond what the memory shows (an in-flight or crashed write) are hidden;
        /// with no memory, only a write that may have died before its memory was stored (LooksDangling) — a lost memory's
        /// history is shown whole. Throws MemoryNotFound / NoProvenance when there is nothing to show (or the memory's own
        /// error when it is unreadable and has no history); null with <paramref name="unreadableMemory"/> when the memory
        /// is unreadable and every entry is hidden.
        /// </summary>
        private HistoryTail? VisibleTail(IStorageView view, string ns, string key, out bool unreadableMemory)
        {
            // History stays readable when the memory is damaged: it is what the memory can be rebuilt from.
            MemoryRecord? current = null;
            EngramException? unreadable = null;
            try { current = view.ReadMemory(ns, key); }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MalformedMemoryFile) { unreadable = ex; }
            unreadableMemory = unreadable != null;
            var tail = view.ReadTail(ns, key);
            if (tail == null)
            {
                if (unreadable != null) throw unreadable;
                if (current == null) throw StoreErrors.MemoryMissing(ns, key);
                throw StoreErrors.NotTracked(ns, key);
            }
            if (!Storage.CanLeaveDanglingEntries) return tail;
            if (unreadable == null && tail.Branch == Names.DefaultBranch && !HistoryRules.Consistent(tail, current))
            {
                // The memory may have been replaced since it was read (a writer committed meanwhile): read it again.
                try { current = view.ReadMemory(ns, key); }
                catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MalformedMemoryFile) { unreadable = ex; unreadableMemory = true; }
            }
            while (unreadable == null && tail != null && tail.Branch == Names.DefaultBranch && !HistoryRules.Consistent(tail, current) &&
                   (current == null ? HistoryRules.LooksDangling(tail.Action, tail.Version, null, () => HistoryRules.IsFirstOrFollowsDeletion(view, tail))
                                    : tail.Version > current.Version || (tail.Version == current.Version && tail.Action == ProvenanceActions.Deleted)))
                tail = view.ReadPrevious(tail);
            if (tail == null && unreadable == null)
                // Every entry is a write that never finished (readers hide it; the next writer cuts it): no history.
                throw current == null ? StoreErrors.MemoryMissing(ns, key) : StoreErrors.NotTracked(ns, key);
            return tail;
        }
    }
}
