using System;
using System.Collections.Generic;
using Engram.Core.Provenance;

namespace Engram.Core.Storage
{
    /// <summary>
    /// What a storage keeps: the primitives the engine (<see cref="Engine.EngramEngine"/>) builds every rule on. A storage
    /// reads and writes memories, branch memories, histories, branch records, the derived-from index and the
    /// configuration, and makes a write session atomic; it decides nothing about versions, tracking, merges or history.
    /// Implementations: the file storage (<see cref="FileStorage"/>), the SQL storage (Engram.Storage.Sql) and the
    /// in-memory storage of the engine's unit tests.
    /// </summary>
    public interface IEngramStorage
    {
        /// <summary>"file", "sqlite", "postgres", …: the backend name users see.</summary>
        string Kind { get; }

        /// <summary>Where the store is, for messages (a folder, <c>sqlite:&lt;path&gt;</c>, an address without password).</summary>
        string Location { get; }

        /// <summary>True when the store has been initialised (has a configuration).</summary>
        bool Exists { get; }

        /// <summary>
        /// True when a write can die after its history entry was stored but before its memory was (the file storage's
        /// append-then-rename): the engine then treats an entry its memory does not show as possibly dangling. False when
        /// a write session is all or nothing (SQL).
        /// </summary>
        bool CanLeaveDanglingEntries { get; }

        /// <summary>The stored configuration; null when the store does not exist. A newer format is refused.</summary>
        StoreConfig? ReadConfig();

        /// <summary>A consistent view for reading (a connection, or nothing at all on files). Never blocks on writers.</summary>
        IStorageView OpenRead();

        /// <summary>
        /// Opens a write session holding the store's write lock (creating the store with a default configuration when it
        /// does not exist), after finishing or discarding what an interrupted writer left; its changes take effect together
        /// at <see cref="IStorageWrite.Commit"/>, and disposing it uncommitted changes nothing. The lock is taken here or,
        /// at the latest, with the session's first read or change (a storage across a network may send it with that
        /// read, saving a round trip): everything a session reads, decides and writes happens under the lock.
        /// </summary>
        /// <param name="repair">Test-EngramStore -Repair: interrupted work that must not be replayed is set aside instead of refused.</param>
        IStorageWrite BeginWrite(bool repair = false);
    }

    /// <summary>Which copy of a memory a branch keeps: its own change, or the merge base kept when main moved on.</summary>
    public enum BranchSlot
    {
        /// <summary>The branch's own version (or tombstone) of a memory.</summary>
        Own,

        /// <summary>Main's version at the fork (kept when main changes it later): what a merge compares against.</summary>
        Base,
    }

    /// <summary>The newest entry of a history, header fields only (a storage may subclass it to remember where it is).</summary>
    public class HistoryTail
    {
        public HistoryTail(string ns, string key, long seq, int version, string action, string hash, string branch)
        {
            Namespace = ns;
            Key = key;
            Seq = seq;
            Version = version;
            Action = action;
            Hash = hash;
            Branch = branch;
        }

        public string Namespace { get; }
        public string Key { get; }
        public long Seq { get; }
        public int Version { get; }
        public string Action { get; }
        public string Hash { get; }
        public string Branch { get; }
    }

    /// <summary>One line of the derived-from index: <c>Namespace/Key</c> at <c>Version</c> was derived from the indexed
    /// memory at <c>SourceVersion</c> (entry <c>Seq</c> of its history).</summary>
    public readonly struct DerivedLink
    {
        public DerivedLink(string ns, string key, int version, int sourceVersion, long seq)
        {
            Namespace = ns;
            Key = key;
            Version = version;
            SourceVersion = sourceVersion;
            Seq = seq;
        }

        public string Namespace { get; }
        public string Key { get; }
        public int Version { get; }
        public int SourceVersion { get; }
        public long Seq { get; }
    }

    /// <summary>Reading primitives. Every name passed in is already validated and normalised by the engine.</summary>
    public interface IStorageView : IDisposable
    {
        /// <summary>A main-line memory, or null. <paramref name="forWrite"/>: inside a write session, the value may be
        /// loaded only when asked for (the record's content hash is then the stored one).</summary>
        MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false);

        /// <summary>The main-line memories of a namespace in key order (<see cref="Names.KeyOrder"/>), before they are read.
        /// It may be enumerated after the view is disposed; it may stream (the SQL storage reads it from its index on a
        /// connection of its own), so a listing of a million memories holds no more than its names.</summary>
        IEnumerable<MemoryLocation> ListMemories(string ns);

        /// <summary>Reads a listed memory (MemoryNotFound when it is gone since).</summary>
        MemoryRecord ReadListed(MemoryLocation location);

        /// <summary>Namespaces holding memories, sorted.</summary>
        IReadOnlyList<string> Namespaces();

        /// <summary>How many main-line memories a namespace holds.</summary>
        int CountMemories(string ns);

        /// <summary>A branch's own version or merge base of a memory (tombstones included), or null.</summary>
        MemoryRecord? ReadBranchMemory(string ns, string branch, BranchSlot slot, string key);

        /// <summary>Every record a branch keeps in one slot (tombstones included).</summary>
        IReadOnlyList<MemoryRecord> ReadBranchMemories(string ns, string branch, BranchSlot slot);

        BranchRecord? ReadBranch(string ns, string branch);

        /// <summary>The branches of a namespace (every namespace when null), sorted by namespace then name, with the
        /// number of memories each has changed.</summary>
        IReadOnlyList<KeyValuePair<BranchRecord, int>> ReadBranches(string? ns);

        /// <summary>The newest complete entry of a history, or null when there is none.</summary>
        HistoryTail? ReadTail(string ns, string key);

        /// <summary>The entry before <paramref name="tail"/>, or null.</summary>
        HistoryTail? ReadPrevious(HistoryTail tail);

        ProvenanceEntry ReadEntry(HistoryTail tail, bool includeValues);

        /// <summary>The newest <paramref name="count"/> entries up to and including <paramref name="upTo"/> (only those of
        /// <paramref name="branch"/> when given), oldest first. Its cost does not depend on the history's length.</summary>
        IReadOnlyList<ProvenanceEntry> ReadNewest(HistoryTail upTo, int count, string? branch, bool includeValues);

        /// <summary>A history, oldest first, streaming, up to and including <paramref name="upTo"/> (the whole history when null).</summary>
        IEnumerable<ProvenanceEntry> ReadHistory(string ns, string key, HistoryTail? upTo, bool includeValues);

        /// <summary>The memories with a history, in one namespace or (null) all of them.</summary>
        IEnumerable<KeyValuePair<string, string>> Histories(string? ns);

        /// <summary>Memories derived from <paramref name="ns"/>/<paramref name="key"/> (the "down" side of lineage).</summary>
        IEnumerable<DerivedLink> ReadDerived(string ns, string key);
    }

    /// <summary>A write session (see <see cref="IEngramStorage.BeginWrite"/>). Its reads see the store as it was when the
    /// session began, not the session's own staged changes.</summary>
    public interface IStorageWrite : IStorageView
    {
        /// <summary>The configuration as the session found it (another writer may have changed it since it was last read).</summary>
        StoreConfig Config { get; }

        /// <summary>Stores a main-line memory. With <paramref name="pendingHash"/>, the record's content hash is still being
        /// computed: the storage calls it (and sets the result on the record) before it returns.</summary>
        void PutMemory(MemoryRecord memory, Func<string>? pendingHash = null);

        void DeleteMemory(string ns, string key);

        void PutBranchMemory(string ns, string branch, BranchSlot slot, MemoryRecord memory);

        void DeleteBranchMemory(string ns, string branch, BranchSlot slot, string key);

        /// <summary>Appends consecutive entries to one history, after <paramref name="after"/> (null: the history is new).</summary>
        void Append(HistoryTail? after, IReadOnlyList<ProvenanceEntry> entries);

        /// <summary>Removes the newest entry (one a writer left dangling), at once, before anything else of this session
        /// touches that history (a batch may already have staged changes to other memories: they are left as they are).</summary>
        void CutNewest(HistoryTail tail);

        /// <summary>Replaces a whole history (squash, repair, import).</summary>
        void ReplaceHistory(string ns, string key, IReadOnlyList<ProvenanceEntry> entries);

        void PutBranch(BranchRecord branch);

        /// <summary>Deletes a branch record and everything the branch keeps.</summary>
        void DropBranch(string ns, string branch);

        /// <summary>Indexes <paramref name="derived"/> (an entry that names its sources) as derived from
        /// <paramref name="sourceNs"/>/<paramref name="sourceKey"/> at <paramref name="sourceVersion"/>.</summary>
        void AddDerived(string sourceNs, string sourceKey, int sourceVersion, ProvenanceEntry derived);

        void PutConfig(StoreConfig config);

        /// <summary>Makes every change of the session take effect, atomically.</summary>
        void Commit();
    }
}
