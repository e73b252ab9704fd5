using System;
using System.Collections.Generic;
using Engram.Core.Provenance;

namespace Engram.Core.Engine
{
    // Members of the store interface each store still implements itself while issue #14 moves them into the engine.
    public abstract partial class EngramEngine : IEngramBackend
    {
        public abstract StoreConfig Initialize(StoreConfig? config = null, bool force = false);
        public abstract AsOfResult GetAsOf(string ns, DateTime asOfUtc, Func<string, bool>? keyFilter = null);
        public abstract UpgradeReport Upgrade(bool dryRun = false);
        public abstract StoreConfig SetRetention(string? ns, RetentionPolicy policy);
        public abstract StoreConfig SetEmbeddings(Search.EmbeddingsConfig? embeddings);
        public abstract IReadOnlyList<OptimizeReport> Optimize(Func<string, bool>? namespaceFilter = null, bool dryRun = false, string? actor = null,
            DateTime? nowUtc = null, Action<int, int, string>? progress = null);
        public abstract IReadOnlyList<SearchHit> Search(string query, IReadOnlyCollection<string>? namespaces = null, int top = 10, Action<EngramException>? unreadable = null);
        public abstract IReadOnlyList<StoredVector> GetVectors(string ns);
        public abstract void PutVectors(string ns, IReadOnlyList<StoredVector> vectors);
        public abstract StoreExport Export();
        public abstract void Import(StoreExport export, Action<int, int, string>? progress = null);
    }
}
