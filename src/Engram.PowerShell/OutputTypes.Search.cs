using Engram.Core;

namespace Engram.PowerShell
{
    /// <summary>
    /// A memory found by Find-EngramMemory (PSTypeName Engram.SearchHit): the memory's properties, as Get-EngramMemory
    /// emits them, plus its Score and how it matched. Namespace, Key and Store bind by property name, so a hit pipes
    /// into Get-EngramMemory, Set-EngramMemory, Get-EngramProvenance and the other memory cmdlets.
    /// </summary>
    public sealed class EngramSearchHit : EngramMemory
    {
        public new const string TypeName = "Engram.SearchHit";

        internal EngramSearchHit(SearchHit hit, int rank, string store, double score) : base(hit.Memory, store)
        {
            Rank = rank;
            Score = score;
            RawScore = hit.Score;
            MatchedBy = hit.MatchedBy;
        }

        /// <summary>1 for the best hit, then 2, 3…</summary>
        public int Rank { get; }
        /// <summary>Relevance, higher is better, on the same scale on every backend: for "text", relative to the best
        /// hit of the query (the best is 1, a hit half as relevant 0.5: 0 &lt; Score ≤ 1); for "semantic", the cosine
        /// similarity of the meanings (-1..1).</summary>
        public double Score { get; }
        /// <summary>The backend's own rank, before scaling: BM25F (file store), -bm25 (SQLite), ts_rank (PostgreSQL) or
        /// the cosine similarity. Comparable only within one backend.</summary>
        public double RawScore { get; }
        /// <summary>"text" or "semantic".</summary>
        public string MatchedBy { get; }
    }
}
