using System;
using System.Collections.Generic;
using Engram.Core.Provenance;

namespace Engram.Core.Storage
{
    /// <summary>A memory, history or branch as a storage keeps it, listed before it is read (the verifier reads each on
    /// its own, so one damaged record is one finding).</summary>
    internal sealed class StoredItem
    {
        public StoredItem(string ns, string stem, string? key, string origin, MemoryLocation? location = null)
        {
            Namespace = ns;
            Stem = stem;
            Key = key;
            Origin = origin;
            Location = location;
        }

        public string Namespace { get; }
        /// <summary>What pairs a memory with its history (a file name stem; a key elsewhere), and what a re-check under
        /// the lock is narrowed to.</summary>
        public string Stem { get; }
        /// <summary>The key, when the listing knows it (a file name that is a hashed long key does not).</summary>
        public string? Key { get; }
        /// <summary>Where it is, for findings.</summary>
        public string Origin { get; }
        public MemoryLocation? Location { get; }
    }

    /// <summary>What a history check found in the history's layout beside its entries.</summary>
    internal sealed class HistoryShape
    {
        /// <summary>The newest complete entry's number (0: none, only an append that never finished).</summary>
        public long Seq;
        /// <summary>Bytes after the newest complete entry, proven an append that never finished (0: none).</summary>
        public long TornBytes;
    }

    /// <summary>
    /// One history as the verifier (<see cref="Engine.EngramEngine.Verify"/>) reads it: its shape, its entries and, on a
    /// storage where writes can be cut short, the two cuts -Repair may make.
    /// </summary>
    internal abstract class HistoryUnderCheck
    {
        /// <summary>Where it is, for findings.</summary>
        public abstract string Origin { get; }

        public abstract bool Exists { get; }

        /// <summary>Its shape (null: empty); throws an <see cref="EngramException"/> for a history that cannot be read,
        /// tagged by <see cref="HistoryDamage"/> when the entries can still be walked.</summary>
        public abstract HistoryShape? Open();

        /// <summary>Its entries oldest first (only the complete ones, or with <paramref name="whole"/> everything stored,
        /// for a damaged history), streaming.</summary>
        public abstract IEnumerable<ProvenanceEntry> Entries(bool includeValues, bool whole = false);

        /// <summary>After <see cref="Entries"/>: the first entry its layout disagrees with (a trailer), or null.</summary>
        public virtual (long Seq, string Why)? LayoutMismatch => null;

        /// <summary>Removes the bytes of an append that never finished (<see cref="HistoryShape.TornBytes"/>).</summary>
        public virtual void CutTorn() => throw new NotSupportedException("This storage has no torn appends.");

        /// <summary>Removes the newest entry (a write that never finished) and anything after it.</summary>
        public virtual void CutNewest() => throw new NotSupportedException("This storage has no dangling entries.");
    }

    /// <summary>
    /// Optional capability of a storage, for the verifier: what only its own layout knows. The file storage implements
    /// it (links and unsafe paths, interrupted transactions, temp files, memory file headers, trailers and torn appends,
    /// the lock a finding is re-checked under); a storage without it is verified over its reading primitives
    /// (<see cref="Engine.ViewLayout"/>).
    /// </summary>
    internal interface IVerifiedLayout
    {
        /// <summary>What a memory is called in findings ("memory file").</summary>
        string MemoryNoun { get; }

        /// <summary>Runs <paramref name="action"/> holding the store's writer lock; false (without running it) when the
        /// lock cannot be taken.</summary>
        bool UnderRecheckLock(Action action);

        /// <summary>Interrupted work the next writer would finish or refuse (a Warning, or an Error each).</summary>
        void CheckJournal(StoreReport report);

        /// <summary>-Repair: holds the writer lock until disposed (finishing or setting aside interrupted work); null
        /// when it cannot be taken safely (a finding says why): nothing is repaired then.</summary>
        IDisposable? HoldForRepair();

        /// <summary>A write session under the lock <see cref="HoldForRepair"/> holds.</summary>
        IStorageWrite RepairWrite();

        /// <summary>Links and other places nothing may be read through (an Error each; everything under them is skipped).</summary>
        void ScanLinks(StoreReport report);

        /// <summary>What interrupted writes left behind (deleted by <paramref name="repair"/>).</summary>
        void CheckLeftovers(StoreReport report, bool repair);

        /// <summary>Every namespace with memories or histories as stored, sorted.</summary>
        IReadOnlyList<string> Namespaces(IStorageView view, StoreReport report);

        /// <summary>The memories of a namespace as stored, whether or not they read.</summary>
        IEnumerable<StoredItem> Memories(IStorageView view, string ns, StoreReport report);

        /// <summary>The histories of a namespace as stored, sorted. <paramref name="alone"/> (Test-EngramProvenance):
        /// their paths are checked here (an Error each that is unsafe) and every key is resolved.</summary>
        IEnumerable<StoredItem> Histories(IStorageView view, string ns, StoreReport report, bool alone);

        /// <summary>Reads a listed memory for the check, without its value (the verifier holds one value at a time);
        /// throws for one that cannot be read. Records what is wrong with how it is stored (and fixes it with
        /// <paramref name="repair"/> where that is safe) in <paramref name="report"/>.</summary>
        MemoryRecord CheckMemory(IStorageView view, StoredItem memory, StoreReport report, bool repair);

        /// <summary>An anchored memory's places are safe to read (else an Error each, and false).</summary>
        bool AnchorReadable(string ns, string key, StoreReport report);

        HistoryUnderCheck History(IStorageView view, string ns, string key, StoredItem? stored);

        /// <summary>Every branch record as stored, whether or not it reads.</summary>
        IEnumerable<StoredItem> Branches(IStorageView view, StoreReport report);

        /// <summary>A listed branch's record; null when it is gone since; throws for one that cannot be read or that names
        /// another place than the one it is stored at.</summary>
        BranchRecord? ReadBranch(IStorageView view, StoredItem branch);

        /// <summary>Every memory a branch keeps (its own changes and merge bases) with where it is; throws at one that cannot be read.</summary>
        IEnumerable<KeyValuePair<MemoryRecord, string>> BranchMemories(IStorageView view, StoredItem branch, BranchRecord record, StoreReport report);
    }
}
