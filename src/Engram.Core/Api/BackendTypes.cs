using System;
using System.Collections.Generic;
using Engram.Core.Provenance;

namespace Engram.Core
{
    /// <summary>One search result: the memory, its score (higher is better) and how it matched.</summary>
    public sealed class SearchHit
    {
        public SearchHit(MemoryRecord memory, double score, string matchedBy)
        {
            Memory = memory;
            Score = score;
            MatchedBy = matchedBy;
        }

        public MemoryRecord Memory { get; }
        public string Namespace => Memory.Namespace;
        public string Key => Memory.Key;

        /// <summary>Relevance: full-text rank for text search, cosine similarity for semantic search. Higher is better.</summary>
        public double Score { get; }

        /// <summary>"text" (full-text) or "semantic" (embeddings).</summary>
        public string MatchedBy { get; }
    }

    /// <summary>An embedding of one memory's value, stored beside it (derived data: not part of provenance).</summary>
    public sealed class StoredVector
    {
        public StoredVector(string key, string contentHash, string model, float[] vector)
        {
            Key = key;
            ContentHash = contentHash;
            Model = model;
            Vector = vector;
        }

        public string Key { get; }

        /// <summary>The content hash of the value that was embedded: a vector is stale when the memory's hash differs.</summary>
        public string ContentHash { get; }
        public string Model { get; }
        public float[] Vector { get; }
    }

    /// <summary>A branch with its pending changes and merge bases (tombstones included), as exported.</summary>
    public sealed class BranchExport
    {
        public BranchExport(BranchRecord record, IReadOnlyList<MemoryRecord> changes, IReadOnlyList<MemoryRecord> bases)
        {
            Record = record;
            Changes = changes;
            Bases = bases;
        }

        public BranchRecord Record { get; }
        public IReadOnlyList<MemoryRecord> Changes { get; }
        public IReadOnlyList<MemoryRecord> Bases { get; }
    }

    /// <summary>
    /// The whole content of a store, raw and streamed: configuration, main-line memories, every history (entries as
    /// stored, hashes and values included) and every branch. Moving it to another backend keeps the chains verifiable.
    /// </summary>
    public sealed class StoreExport
    {
        public StoreExport(StoreConfig config, Func<IEnumerable<MemoryRecord>> memories, Func<IEnumerable<IReadOnlyList<ProvenanceEntry>>> histories,
            Func<IEnumerable<BranchExport>> branches, int memoryCount, int historyCount)
        {
            Config = config;
            _memories = memories;
            _histories = histories;
            _branches = branches;
            MemoryCount = memoryCount;
            HistoryCount = historyCount;
        }

        private readonly Func<IEnumerable<MemoryRecord>> _memories;
        private readonly Func<IEnumerable<IReadOnlyList<ProvenanceEntry>>> _histories;
        private readonly Func<IEnumerable<BranchExport>> _branches;

        public StoreConfig Config { get; }
        public int MemoryCount { get; }
        public int HistoryCount { get; }
        public IEnumerable<MemoryRecord> Memories => _memories();

        /// <summary>One list per memory with a history: its entries, oldest first.</summary>
        public IEnumerable<IReadOnlyList<ProvenanceEntry>> Histories => _histories();
        public IEnumerable<BranchExport> Branches => _branches();
    }
}
