using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Tests.Engine
{
    /// <summary>
    /// A storage kept in memory, for the engine's unit tests and as the smallest example of a backend. Everything is kept
    /// as text in the real formats (memory files, entry documents, branch records, engram.yaml), so every read returns a
    /// fresh copy and hashes are those a real storage would give back.
    /// <para>Consistency: the committed state is one immutable snapshot. A view reads the snapshot current when it was
    /// opened (it never sees a later commit). A write session holds the writer lock from <see cref="BeginWrite"/> to its
    /// disposal, reads the snapshot it started from, applies each change at once to a private working copy (so a bad
    /// call fails at the call, not at Commit) and publishes that copy at <see cref="IStorageWrite.Commit"/>.</para>
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The semaphore's wait handle is never asked for, so there is nothing to dispose; IEngramStorage is not disposable.")]
    public sealed class InMemoryStorage : IEngramStorage, IVectorStore
    {
        private readonly SemaphoreSlim _writer = new SemaphoreSlim(1, 1);
        private State _state = State.Empty; // replaced whole, never changed in place

        public InMemoryStorage(string name = "test") => Location = "memory:" + name;

        /// <summary>Called with "before-commit" just before a session's changes are published; a
        /// <see cref="SimulatedCrashException"/> thrown there leaves the store as it was.</summary>
        public Action<string>? FaultHook { get; set; }

        public string Kind => "memory";
        public string Location { get; }
        public bool Exists => Current.Config != null;
        public bool CanLeaveDanglingEntries => false;

        private State Current => Volatile.Read(ref _state);

        // ------------------------------------------------------------------ vectors (derived data, outside sessions)

        private readonly object _vectorsGate = new object();
        private ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredVector>> _vectors =
            ImmutableDictionary<string, ImmutableSortedDictionary<string, StoredVector>>.Empty.WithComparers(StringComparer.Ordinal);

        public IReadOnlyList<StoredVector> ReadVectors(string ns)
        {
            lock (_vectorsGate)
                return _vectors.TryGetValue(ns, out var stored) ? stored.Values.ToList() : new List<StoredVector>();
        }

        public void WriteVectors(string ns, IReadOnlyList<StoredVector> vectors)
        {
            _writer.Wait(); // under the store's write lock, as the interface asks
            try
            {
                var memories = Current.Memories.TryGetValue(ns, out var m) ? m : NoFiles;
                lock (_vectorsGate)
                {
                    var stored = _vectors.TryGetValue(ns, out var s) ? s : ImmutableSortedDictionary.Create<string, StoredVector>(StringComparer.Ordinal);
                    foreach (var v in vectors) stored = stored.SetItem(v.Key, new StoredVector(v.Key, v.ContentHash, v.Model, (float[])v.Vector.Clone()));
                    stored = stored.RemoveRange(stored.Keys.Where(k => !memories.ContainsKey(k)).ToList());
                    _vectors = _vectors.SetItem(ns, stored);
                }
            }
            finally
            {
                _writer.Release();
            }
        }

        private void Publish(State state) => Volatile.Write(ref _state, state);

        public StoreConfig? ReadConfig()
        {
            var text = Current.Config;
            return text == null ? null : StoreConfig.Parse(text, Location + "/" + StoreConfig.FileName);
        }

        public IStorageView OpenRead() => new View(this, Current);

        public IStorageWrite BeginWrite(bool repair = false)
        {
            _writer.Wait();
            try
            {
                // Nothing can be left half-done in memory, so there is nothing to recover or set aside (repair).
                if (Current.Config == null) Publish(Current with { Config = new StoreConfig().ToYaml() });
                return new Session(this, Current);
            }
            catch
            {
                _writer.Release();
                throw;
            }
        }

        // ------------------------------------------------------------------ state

        private static readonly IComparer<(string, string)> PairOrder = Comparer<(string, string)>.Create((a, b) =>
        {
            int c = string.CompareOrdinal(a.Item1, b.Item1);
            return c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2);
        });

        private static readonly ImmutableSortedDictionary<string, string> NoFiles = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

        /// <summary>One stored history entry: its document and the header it was read back as.</summary>
        private sealed record StoredEntry(string Document, HistoryTail Tail);

        private sealed record State(
            ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> Memories,        // ns -> key -> memory file
            ImmutableDictionary<(string Ns, string Branch, BranchSlot Slot), ImmutableSortedDictionary<string, string>> BranchMemories,
            ImmutableSortedDictionary<(string Ns, string Name), string> Branches,                         // branch.yaml
            ImmutableSortedDictionary<(string Ns, string Key), ImmutableList<StoredEntry>> Histories,
            ImmutableDictionary<(string Ns, string Key), ImmutableList<DerivedLink>> Derived,
            string? Config)
        {
            public static readonly State Empty = new State(
                ImmutableSortedDictionary.Create<string, ImmutableSortedDictionary<string, string>>(StringComparer.Ordinal),
                ImmutableDictionary<(string, string, BranchSlot), ImmutableSortedDictionary<string, string>>.Empty,
                ImmutableSortedDictionary.Create<(string, string), string>(PairOrder),
                ImmutableSortedDictionary.Create<(string, string), ImmutableList<StoredEntry>>(PairOrder),
                ImmutableDictionary<(string, string), ImmutableList<DerivedLink>>.Empty,
                null);
        }

        private string MemoryPath(string ns, string key) => Location + "/" + ns + "/" + key;

        private string BranchPath(string ns, string branch, BranchSlot slot, string key) =>
            Location + "/_branches/" + ns + "/" + branch + (slot == BranchSlot.Own ? "/mem/" : "/base/") + key;

        private string HistoryPath(string ns, string key) => Location + "/_provenance/" + ns + "/" + key;

        // ------------------------------------------------------------------ reading

        private class View : IStorageView
        {
            protected readonly InMemoryStorage Owner;
            private bool _disposed;

            public View(InMemoryStorage owner, State state)
            {
                Owner = owner;
                Snapshot = state;
            }

            /// <summary>What this view reads.</summary>
            protected State Snapshot { get; set; }

            protected State Reading
            {
                get
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    return Snapshot;
                }
            }

            public MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false) =>
                Reading.Memories.TryGetValue(ns, out var files) && files.TryGetValue(key, out var text)
                    ? MemoryFile.Parse(text, ns, Owner.MemoryPath(ns, key))
                    : null;

            public IEnumerable<MemoryLocation> ListMemories(string ns)
            {
                var files = Reading.Memories.TryGetValue(ns, out var f) ? f : NoFiles;
                return files.Keys.OrderBy(key => key, Names.KeyOrder).Select(key => new MemoryLocation(ns, key, Owner.MemoryPath(ns, key))).ToList();
            }

            public MemoryRecord ReadListed(MemoryLocation location)
            {
                var key = location.Key ?? throw new ArgumentException("A memory location of this storage always names its key.", nameof(location));
                return ReadMemory(location.Namespace, key)
                    ?? throw new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                        $"No memory '{key}' in namespace '{location.Namespace}'.", location.Namespace + "/" + key);
            }

            public IReadOnlyList<string> Namespaces() => Reading.Memories.Keys.ToList();

            public int CountMemories(string ns) => Reading.Memories.TryGetValue(ns, out var memories) ? memories.Count : 0;

            public MemoryRecord? ReadBranchMemory(string ns, string branch, BranchSlot slot, string key) =>
                Reading.BranchMemories.TryGetValue((ns, branch, slot), out var files) && files.TryGetValue(key, out var text)
                    ? MemoryFile.Parse(text, ns, Owner.BranchPath(ns, branch, slot, key), branch)
                    : null;

            public IReadOnlyList<MemoryRecord> ReadBranchMemories(string ns, string branch, BranchSlot slot) =>
                Reading.BranchMemories.TryGetValue((ns, branch, slot), out var files)
                    ? files.Select(kv => MemoryFile.Parse(kv.Value, ns, Owner.BranchPath(ns, branch, slot, kv.Key), branch)).ToList()
                    : new List<MemoryRecord>();

            public BranchRecord? ReadBranch(string ns, string branch) =>
                Reading.Branches.TryGetValue((ns, branch), out var text) ? BranchRecord.Parse(text, Owner.Location + "/_branches/" + ns + "/" + branch) : null;

            public IReadOnlyList<KeyValuePair<BranchRecord, int>> ReadBranches(string? ns)
            {
                var state = Reading;
                var result = new List<KeyValuePair<BranchRecord, int>>();
                foreach (var kv in state.Branches)
                {
                    if (ns != null && kv.Key.Ns != ns) continue;
                    int changed = state.BranchMemories.TryGetValue((kv.Key.Ns, kv.Key.Name, BranchSlot.Own), out var own) ? own.Count : 0;
                    result.Add(new KeyValuePair<BranchRecord, int>(BranchRecord.Parse(kv.Value, Owner.Location + "/_branches/" + kv.Key.Ns + "/" + kv.Key.Name), changed));
                }
                return result;
            }

            public HistoryTail? ReadTail(string ns, string key) =>
                Reading.Histories.TryGetValue((ns, key), out var entries) ? entries[entries.Count - 1].Tail : null;

            public HistoryTail? ReadPrevious(HistoryTail tail)
            {
                var (entries, at) = Locate(Reading, tail);
                return at == 0 ? null : entries[at - 1].Tail;
            }

            public ProvenanceEntry ReadEntry(HistoryTail tail, bool includeValues)
            {
                var (entries, at) = Locate(Reading, tail);
                return Parse(entries[at].Document, tail.Namespace, tail.Key, includeValues);
            }

            public IReadOnlyList<ProvenanceEntry> ReadNewest(HistoryTail upTo, int count, string? branch, bool includeValues)
            {
                var (entries, at) = Locate(Reading, upTo);
                var result = new List<ProvenanceEntry>();
                for (int i = at; i >= 0 && result.Count < count; i--)
                {
                    var e = Parse(entries[i].Document, upTo.Namespace, upTo.Key, includeValues);
                    if (branch == null || e.Branch == branch) result.Add(e);
                }
                result.Reverse();
                return result;
            }

            public IEnumerable<ProvenanceEntry> ReadHistory(string ns, string key, HistoryTail? upTo, bool includeValues)
            {
                var state = Reading;
                if (!state.Histories.TryGetValue((ns, key), out var entries)) return Enumerable.Empty<ProvenanceEntry>();
                int last = upTo == null ? entries.Count - 1 : Locate(state, upTo).At;
                return entries.Take(last + 1).Select(s => Parse(s.Document, ns, key, includeValues));
            }

            public IEnumerable<KeyValuePair<string, string>> Histories(string? ns) =>
                Reading.Histories.Keys.Where(k => ns == null || k.Ns == ns).Select(k => new KeyValuePair<string, string>(k.Ns, k.Key)).ToList();

            public IEnumerable<DerivedLink> ReadDerived(string ns, string key) =>
                Reading.Derived.TryGetValue((ns, key), out var links) ? links : Enumerable.Empty<DerivedLink>();

            private ProvenanceEntry Parse(string document, string ns, string key, bool includeValues) =>
                ProvenanceLog.ParseDocumentText(document, Owner.HistoryPath(ns, key), includeValues);

            /// <summary>Where <paramref name="tail"/> is in its history (found by hash; a tail names one entry).</summary>
            protected static (ImmutableList<StoredEntry> Entries, int At) Locate(State state, HistoryTail tail)
            {
                if (state.Histories.TryGetValue((tail.Namespace, tail.Key), out var entries))
                    for (int i = entries.Count - 1; i >= 0; i--)
                        if (entries[i].Tail.Seq == tail.Seq && entries[i].Tail.Hash == tail.Hash) return (entries, i);
                throw new InvalidOperationException($"The history of {tail.Namespace}/{tail.Key} has no entry {tail.Seq} ({tail.Hash}).");
            }

            public void Dispose() => DisposeCore();

            protected virtual void DisposeCore() => _disposed = true;
        }

        // ------------------------------------------------------------------ writing

        private sealed class Session : View, IStorageWrite
        {
            private State _work; // the session's staged state: Snapshot plus every change so far
            private bool _done;  // committed or disposed
            private bool _released;

            public Session(InMemoryStorage owner, State start) : base(owner, start)
            {
                _work = start;
                Config = StoreConfig.Parse(start.Config!, owner.Location + "/" + StoreConfig.FileName);
            }

            public StoreConfig Config { get; }

            private State Work
            {
                get
                {
                    if (_done) throw new InvalidOperationException("The write session has been committed or disposed.");
                    return _work;
                }
            }

            public void PutMemory(MemoryRecord memory, Func<string>? pendingHash = null)
            {
                var work = Work;
                if (pendingHash != null) memory.WithContentHash(pendingHash());
                var text = MemoryFile.Serialize(memory);
                var files = work.Memories.TryGetValue(memory.Namespace, out var f) ? f : NoFiles;
                _work = work with { Memories = work.Memories.SetItem(memory.Namespace, files.SetItem(memory.Key, text)) };
            }

            public void DeleteMemory(string ns, string key)
            {
                var work = Work;
                if (!work.Memories.TryGetValue(ns, out var files) || !files.ContainsKey(key)) return;
                files = files.Remove(key);
                _work = work with { Memories = files.IsEmpty ? work.Memories.Remove(ns) : work.Memories.SetItem(ns, files) };
            }

            public void PutBranchMemory(string ns, string branch, BranchSlot slot, MemoryRecord memory)
            {
                var work = Work;
                var files = work.BranchMemories.TryGetValue((ns, branch, slot), out var f) ? f : NoFiles;
                _work = work with { BranchMemories = work.BranchMemories.SetItem((ns, branch, slot), files.SetItem(memory.Key, MemoryFile.Serialize(memory))) };
            }

            public void DeleteBranchMemory(string ns, string branch, BranchSlot slot, string key)
            {
                var work = Work;
                if (!work.BranchMemories.TryGetValue((ns, branch, slot), out var files) || !files.ContainsKey(key)) return;
                files = files.Remove(key);
                _work = work with { BranchMemories = files.IsEmpty ? work.BranchMemories.Remove((ns, branch, slot)) : work.BranchMemories.SetItem((ns, branch, slot), files) };
            }

            public void Append(HistoryTail? after, IReadOnlyList<ProvenanceEntry> entries)
            {
                var work = Work;
                if (entries.Count == 0) return;
                var (ns, key) = (entries[0].Namespace, entries[0].Key);
                if (after != null && (after.Namespace != ns || after.Key != key))
                    throw new InvalidOperationException($"Entries of {ns}/{key} appended after a tail of {after.Namespace}/{after.Key}.");
                var history = work.Histories.TryGetValue((ns, key), out var h) ? h : ImmutableList<StoredEntry>.Empty;
                var newest = history.IsEmpty ? null : history[history.Count - 1].Tail;
                // The writer lock is held, so a tail that is not the newest is a writer's mistake (it would fork the chain).
                if (after == null ? newest != null : newest == null || newest.Seq != after.Seq || newest.Hash != after.Hash)
                    throw new InvalidOperationException($"The history of {ns}/{key} does not end at {(after == null ? "nothing" : "entry " + after.Seq)}: it ends at {(newest == null ? "nothing" : "entry " + newest.Seq)}.");
                _work = work with { Histories = work.Histories.SetItem((ns, key), history.AddRange(Store(ns, key, entries))) };
            }

            public void CutNewest(HistoryTail tail)
            {
                var work = Work;
                if (!ReferenceEquals(work, Snapshot))
                    throw new InvalidOperationException("CutNewest must come before any other change of the session.");
                var (entries, at) = Locate(work, tail);
                if (at != entries.Count - 1) throw new InvalidOperationException($"Entry {tail.Seq} is not the newest of {tail.Namespace}/{tail.Key}.");
                var key = (tail.Namespace, tail.Key);
                var cut = work with { Histories = at == 0 ? work.Histories.Remove(key) : work.Histories.SetItem(key, entries.RemoveAt(at)) };
                // At once: the cut takes effect now (committed or not), and the session reads the store without it.
                Owner.Publish(cut);
                Snapshot = cut;
                _work = cut;
            }

            public void ReplaceHistory(string ns, string key, IReadOnlyList<ProvenanceEntry> entries)
            {
                var work = Work;
                foreach (var e in entries)
                    if (e.Namespace != ns || e.Key != key)
                        throw new InvalidOperationException($"An entry of {e.Namespace}/{e.Key} in the history of {ns}/{key}.");
                _work = work with
                {
                    Histories = entries.Count == 0 ? work.Histories.Remove((ns, key)) : work.Histories.SetItem((ns, key), ImmutableList.CreateRange(Store(ns, key, entries))),
                };
            }

            public void PutBranch(BranchRecord branch)
            {
                var work = Work;
                _work = work with { Branches = work.Branches.SetItem((branch.Namespace, branch.Name), branch.ToYaml()) };
            }

            public void DropBranch(string ns, string branch)
            {
                var work = Work;
                _work = work with
                {
                    Branches = work.Branches.Remove((ns, branch)),
                    BranchMemories = work.BranchMemories.RemoveRange(new[] { (ns, branch, BranchSlot.Own), (ns, branch, BranchSlot.Base) }),
                };
            }

            public void AddDerived(string sourceNs, string sourceKey, int sourceVersion, ProvenanceEntry derived)
            {
                var work = Work;
                var links = work.Derived.TryGetValue((sourceNs, sourceKey), out var l) ? l : ImmutableList<DerivedLink>.Empty;
                var link = new DerivedLink(derived.Namespace, derived.Key, derived.Version, sourceVersion, derived.Seq);
                _work = work with { Derived = work.Derived.SetItem((sourceNs, sourceKey), links.Add(link)) };
            }

            public void PutConfig(StoreConfig config)
            {
                var work = Work;
                _work = work with { Config = config.ToYaml() };
            }

            public void Commit()
            {
                var work = Work;
                Owner.FaultHook?.Invoke("before-commit");
                Owner.Publish(work);
                _done = true;
            }

            /// <summary>The entries as stored: each document, and the header read back from it (not from the object).</summary>
            private List<StoredEntry> Store(string ns, string key, IReadOnlyList<ProvenanceEntry> entries)
            {
                var stored = new List<StoredEntry>(entries.Count);
                foreach (var e in entries)
                {
                    var document = ProvenanceLog.SerializeDocument(e);
                    var back = ProvenanceLog.ParseDocumentText(document, Owner.HistoryPath(ns, key), includeValues: false);
                    stored.Add(new StoredEntry(document, new HistoryTail(ns, key, back.Seq, back.Version, back.Action, back.Hash, back.Branch)));
                }
                return stored;
            }

            protected override void DisposeCore()
            {
                base.DisposeCore();
                _done = true;
                if (_released) return;
                _released = true;
                Owner._writer.Release();
            }
        }
    }
}
