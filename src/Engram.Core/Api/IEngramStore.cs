using System;
using System.Collections.Generic;
using Engram.Core.Provenance;

namespace Engram.Core
{
    /// <summary>
    /// The public store interface: everything a store does with memories, provenance, branches and merges. Every cmdlet
    /// and the MCP server work through it. Its one implementation is the engine (<see cref="Engine.EngramEngine"/>) over a
    /// storage: <see cref="EngramStore"/> (files, the default), the SQL stores (SQLite, PostgreSQL) of Engram.Storage.Sql,
    /// or any <see cref="Storage.IEngramStorage"/>. Each operation that changes several records is atomic on every storage.
    /// </summary>
    public interface IEngramStore
    {
        /// <summary>"file", "sqlite" or "postgres".</summary>
        string Backend { get; }

        /// <summary>The location the store was opened from (a folder, <c>sqlite:&lt;path&gt;</c>, a PostgreSQL address without its password).</summary>
        string Root { get; }

        bool Exists { get; }
        StoreConfig Config { get; }
        StoreConfig Initialize(StoreConfig? config = null, bool force = false);
        void EnsureExists();

        // memories
        MemoryRecord? TryGet(string ns, string key);
        MemoryRecord Get(string ns, string key);
        MemoryRecord? TryGet(string ns, string key, string? branch);
        IEnumerable<MemoryLocation> List(string ns);
        MemoryRecord Read(MemoryLocation location);
        IReadOnlyList<string> ListKeys(string ns, string? branch);
        IReadOnlyList<string> ListNamespaces();
        IReadOnlyList<NamespaceInfo> GetNamespaces();
        SetResult Set(SetRequest request);
        ProvenanceEntry? Remove(string ns, string key, string? actor = null, string? reason = null, string? branch = null);
        /// <summary>Many Sets in few write sessions (one lock and one transaction each), each with the outcome it would have
        /// had alone, in order; a refused request gets its own error and the others still commit.</summary>
        IReadOnlyList<SetOutcome> SetMany(IReadOnlyList<SetRequest> requests);
        /// <summary>Many Removes in few write sessions, as <see cref="SetMany"/>.</summary>
        IReadOnlyList<RemoveOutcome> RemoveMany(IReadOnlyList<RemoveRequest> requests);

        // provenance
        bool HasProvenance(string ns, string key);
        IEnumerable<ProvenanceEntry> GetProvenance(string ns, string key, int? last = null, bool includeValues = true, string? branch = null);
        ProvenanceEntry GetVersion(string ns, string key, int version, string? branch = null);
        SetResult Restore(string ns, string key, int version, string? actor = null, string? reason = null, string? branch = null);
        (ProvenanceEntry from, ProvenanceEntry to) Connect(MemoryRef from, MemoryRef to, string? actor = null, string? reason = null);
        IReadOnlyList<LineageLink> GetLineage(string ns, string key, int depth = 3, LineageDirection direction = LineageDirection.Both);
        ProvenanceHead GetHead(string ns);
        StoreReport VerifyAgainst(ProvenanceHead head);
        StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null);
        AsOfResult GetAsOf(string ns, DateTime asOfUtc, Func<string, bool>? keyFilter = null);

        // branches
        BranchRecord? TryGetBranch(string ns, string branch);
        IReadOnlyList<BranchInfo> GetBranches(string? ns = null);
        BranchRecord Fork(string ns, string branch, IReadOnlyList<string>? keys, string? actor = null, string? reason = null);
        BranchInfo RemoveBranch(string ns, string branch);
        /// <summary>The three-way plan of a merge (what <see cref="Merge"/> would do), changing nothing; <paramref name="keyFilter"/>
        /// limits it to some keys.</summary>
        MergeResult PlanMerge(string ns, string branch, MergeStrategy strategy = MergeStrategy.Fail, Func<string, bool>? keyFilter = null);
        MergeResult Merge(string ns, string branch, MergeStrategy strategy = MergeStrategy.Fail, string? actor = null, string? reason = null,
            Func<string, bool>? keyFilter = null, Action<int, int, string>? progress = null);

        // store lifecycle
        StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null);
        UpgradeReport Upgrade(bool dryRun = false);
        StoreConfig SetRetention(string? ns, RetentionPolicy policy);
        /// <summary>Sets (or, with null, removes) the embeddings configuration semantic search uses.</summary>
        StoreConfig SetEmbeddings(Search.EmbeddingsConfig? embeddings);
        IReadOnlyList<OptimizeReport> Optimize(Func<string, bool>? namespaceFilter = null, bool dryRun = false, string? actor = null,
            DateTime? nowUtc = null, Action<int, int, string>? progress = null);

        // search
        /// <summary>Full-text search over keys and values, best first (at most <paramref name="top"/> hits). A memory
        /// that cannot be read (malformed) is left out and, when <paramref name="unreadable"/> is given, reported to it.</summary>
        IReadOnlyList<SearchHit> Search(string query, IReadOnlyCollection<string>? namespaces = null, int top = 10, Action<EngramException>? unreadable = null);

        /// <summary>The stored embedding vectors of a namespace (for semantic search), keyed by memory key.</summary>
        IReadOnlyList<StoredVector> GetVectors(string ns);

        /// <summary>Stores (replaces) embedding vectors; derived data, outside provenance.</summary>
        void PutVectors(string ns, IReadOnlyList<StoredVector> vectors);

        // moving between backends
        /// <summary>Everything the store holds, raw (entries with their hashes as stored), streamed.</summary>
        StoreExport Export();

        /// <summary>Writes an export into this store, which must be empty (no memories, histories or branches), atomically.</summary>
        void Import(StoreExport export, Action<int, int, string>? progress = null);
    }
}
