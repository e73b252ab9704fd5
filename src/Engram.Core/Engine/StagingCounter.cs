using System;
using System.Collections.Generic;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    /// <summary>
    /// A write session that counts the changes staged through it, so a batch knows whether a record that was refused
    /// staged anything (it must not have: then the others still commit) or broke the session (then its records are
    /// written again one at a time). Everything else passes straight through.
    /// </summary>
    internal sealed class StagingCounter : IStorageWrite
    {
        private readonly IStorageWrite _s;

        public StagingCounter(IStorageWrite session) => _s = session;

        /// <summary>Changes staged so far (<see cref="CutNewest"/>, which takes effect at once, is not one).</summary>
        public int Staged { get; private set; }

        public StoreConfig Config => _s.Config;

        public MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false) => _s.ReadMemory(ns, key, forWrite);
        public IEnumerable<MemoryLocation> ListMemories(string ns) => _s.ListMemories(ns);
        public MemoryRecord ReadListed(MemoryLocation location) => _s.ReadListed(location);
        public IReadOnlyList<string> Namespaces() => _s.Namespaces();
        public int CountMemories(string ns) => _s.CountMemories(ns);
        public MemoryRecord? ReadBranchMemory(string ns, string branch, BranchSlot slot, string key) => _s.ReadBranchMemory(ns, branch, slot, key);
        public IReadOnlyList<MemoryRecord> ReadBranchMemories(string ns, string branch, BranchSlot slot) => _s.ReadBranchMemories(ns, branch, slot);
        public BranchRecord? ReadBranch(string ns, string branch) => _s.ReadBranch(ns, branch);
        public IReadOnlyList<KeyValuePair<BranchRecord, int>> ReadBranches(string? ns) => _s.ReadBranches(ns);
        public HistoryTail? ReadTail(string ns, string key) => _s.ReadTail(ns, key);
        public HistoryTail? ReadPrevious(HistoryTail tail) => _s.ReadPrevious(tail);
        public ProvenanceEntry ReadEntry(HistoryTail tail, bool includeValues) => _s.ReadEntry(tail, includeValues);
        public IReadOnlyList<ProvenanceEntry> ReadNewest(HistoryTail upTo, int count, string? branch, bool includeValues) => _s.ReadNewest(upTo, count, branch, includeValues);
        public IEnumerable<ProvenanceEntry> ReadHistory(string ns, string key, HistoryTail? upTo, bool includeValues) => _s.ReadHistory(ns, key, upTo, includeValues);
        public IEnumerable<KeyValuePair<string, string>> Histories(string? ns) => _s.Histories(ns);
        public IEnumerable<DerivedLink> ReadDerived(string ns, string key) => _s.ReadDerived(ns, key);

        public void PutMemory(MemoryRecord memory, Func<string>? pendingHash = null) { Staged++; _s.PutMemory(memory, pendingHash); }
        public void DeleteMemory(string ns, string key) { Staged++; _s.DeleteMemory(ns, key); }
        public void PutBranchMemory(string ns, string branch, BranchSlot slot, MemoryRecord memory) { Staged++; _s.PutBranchMemory(ns, branch, slot, memory); }
        public void DeleteBranchMemory(string ns, string branch, BranchSlot slot, string key) { Staged++; _s.DeleteBranchMemory(ns, branch, slot, key); }
        public void Append(HistoryTail? after, IReadOnlyList<ProvenanceEntry> entries) { Staged++; _s.Append(after, entries); }
        public void CutNewest(HistoryTail tail) => _s.CutNewest(tail);
        public void ReplaceHistory(string ns, string key, IReadOnlyList<ProvenanceEntry> entries) { Staged++; _s.ReplaceHistory(ns, key, entries); }
        public void PutBranch(BranchRecord branch) { Staged++; _s.PutBranch(branch); }
        public void DropBranch(string ns, string branch) { Staged++; _s.DropBranch(ns, branch); }
        public void AddDerived(string sourceNs, string sourceKey, int sourceVersion, ProvenanceEntry derived) { Staged++; _s.AddDerived(sourceNs, sourceKey, sourceVersion, derived); }
        public void PutConfig(StoreConfig config) { Staged++; _s.PutConfig(config); }
        public void Commit() => _s.Commit();
        public void Dispose() => _s.Dispose();
    }
}
