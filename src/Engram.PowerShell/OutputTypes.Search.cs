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

        internal EngramSearchHit(SearchHit hit, int rank, string store) : base(hit.Memory, store)
        {
            Rank = rank;
            Score = hit.Score;
            MatchedBy = hit.MatchedBy;
        }

        /// <summary>1 for the best hit, then 2, 3…</summary>
        public int Rank { get; }
        /// <summary>Relevance, higher is better: the backend's full-text rank ("text"), or cosine similarity -1..1 ("semantic").</summary>
        public double Score { get; }
        /// <summary>"text" or "semantic".</summary>
        public string MatchedBy { get; }
    }
}
