using System;
using System.Collections.Generic;
using Engram.Core;
using Engram.Core.Provenance;

namespace Engram.Storage.Sql
{
    /// <summary>TEMPORARY skeleton, being written.</summary>
    public sealed partial class SqlEngramStore : IEngramBackend
    {
        public SqlEngramStore(SqlDialect dialect, EngramStoreOptions? options = null) { }
        public string Backend => throw new NotImplementedException();
        public string Root => throw new NotImplementedException();
        public bool Exists => throw new NotImplementedException();
        public StoreConfig Config => throw new NotImplementedException();
        public StoreConfig Initialize(StoreConfig? config = null, bool force = false) => throw new NotImplementedException();
        public void EnsureExists() => throw new NotImplementedException();
        public MemoryRecord? TryGet(string ns, string key) => throw new NotImplementedException();
        public MemoryRecord Get(string ns, string key) => throw new NotImplementedException();
        public MemoryRecord? TryGet(string ns, string key, string? branch) => throw new NotImplementedException();
        public IEnumerable<MemoryLocation> List(string ns) => throw new NotImplementedException();
        public MemoryRecord Read(MemoryLocation location) => throw new NotImplementedException();
        public IReadOnlyList<string> ListKeys(string ns, string? branch) => throw new NotImplementedException();
        public IReadOnlyList<string> ListNamespaces() => throw new NotImplementedException();
        public IReadOnlyList<NamespaceInfo> GetNamespaces() => throw new NotImplementedException();
        public SetResult Set(SetRequest request) => throw new NotImplementedException();
        public ProvenanceEntry? Remove(string ns, string key, string? actor = null, string? reason = null, string? branch = null) => throw new NotImplementedException();
        public bool HasProvenance(string ns, string key) => throw new NotImplementedException();
        public IEnumerable<ProvenanceEntry> GetProvenance(string ns, string key, int? last = null, bool includeValues = true, string? branch = null) => throw new NotImplementedException();
        public ProvenanceEntry GetVersion(string ns, string key, int version, string? branch = null) => throw new NotImplementedException();
        public SetResult Restore(string ns, string key, int version, string? actor = null, string? reason = null, string? branch = null) => throw new NotImplementedException();
        public (ProvenanceEntry from, ProvenanceEntry to) Connect(MemoryRef from, MemoryRef to, string? actor = null, string? reason = null) => throw new NotImplementedException();
        public IReadOnlyList<LineageLink> GetLineage(string ns, string key, int depth = 3, LineageDirection direction = LineageDirection.Both) => throw new NotImplementedException();
        public ProvenanceHead GetHead(string ns) => throw new NotImplementedException();
        public StoreReport VerifyAgainst(ProvenanceHead head) => throw new NotImplementedException();
        public StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null) => throw new NotImplementedException();
        public AsOfResult GetAsOf(string ns, DateTime asOfUtc, Func<string, bool>? keyFilter = null) => throw new NotImplementedException();
        public BranchRecord? TryGetBranch(string ns, string branch) => throw new NotImplementedException();
        public IReadOnlyList<BranchInfo> GetBranches(string? ns = null) => throw new NotImplementedException();
        public BranchRecord Fork(string ns, string branch, IReadOnlyList<string>? keys, string? actor = null, string? reason = null) => throw new NotImplementedException();
        public BranchInfo RemoveBranch(string ns, string branch) => throw new NotImplementedException();
        public MergeResult PlanMerge(string ns, string branch, IReadOnlyList<string>? keyPatterns = null, MergeStrategy strategy = MergeStrategy.Fail, Func<string, bool>? keyFilter = null) => throw new NotImplementedException();
        public MergeResult Merge(string ns, string branch, MergeStrategy strategy = MergeStrategy.Fail, string? actor = null, string? reason = null, Func<string, bool>? keyFilter = null, Action<int, int, string>? progress = null) => throw new NotImplementedException();
        public StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null) => throw new NotImplementedException();
        public UpgradeReport Upgrade(bool dryRun = false) => throw new NotImplementedException();
        public StoreConfig SetRetention(string? ns, RetentionPolicy policy) => throw new NotImplementedException();
        public IReadOnlyList<OptimizeReport> Optimize(Func<string, bool>? namespaceFilter = null, bool dryRun = false, string? actor = null, DateTime? nowUtc = null, Action<int, int, string>? progress = null) => throw new NotImplementedException();
        public IReadOnlyList<SearchHit> Search(string query, IReadOnlyCollection<string>? namespaces = null, int top = 10) => throw new NotImplementedException();
        public IReadOnlyList<StoredVector> GetVectors(string ns) => throw new NotImplementedException();
        public void PutVectors(string ns, IReadOnlyList<StoredVector> vectors) => throw new NotImplementedException();
        public StoreExport Export() => throw new NotImplementedException();
        public void Import(StoreExport export, Action<int, int, string>? progress = null) => throw new NotImplementedException();
    }
}
